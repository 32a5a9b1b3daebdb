// SPDX-License-Identifier: BSD-3-Clause
// The slot positions (slot_set.h). A READY slot takes a journal entry at once (no worker reads
// it); an ACTIVE slot takes it at once only when its driver is live-update safe, else the entry
// waits in the slot's pending list until the slot has been flipped away from and its grace
// period is over; a BUILDING slot collects it for its catch-up.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/integrity/integrity.h"
#include "control/metabolism/build_thread.h"
#include "control/metabolism/slot_set.h"
#include "control/metabolism/upd_list.h"
#include "control/neigh/neigh.h"
#include "control/slot/slot_lifecycle.h"
#include "control/slot/slot_update.h"
#include "control/slot/slot_verify.h"
#include "control/telemetry/telemetry.h"
#include "dataplane/dataplane.h"

#define SUB "metabolism"
#define INLINE_VERIFY_MAX 100000 // rules walked on the control thread at most

struct mslot {
	struct slot *s; // NULL when EMPTY
	enum slot_state state;
	struct slot_books books;
	// BUILDING: the catch-up list; ACTIVE (unsafe driver) and DRAINING: updates it still needs
	struct upd_list pend;
	uint64_t token; // DRAINING: QSBR token taken at the flip
	uint64_t flip_ns; // DRAINING: when the flip away from it was decided
	bool retire; // DRAINING: erase after the grace period, not back to READY
	bool stale; // built from a mirror since replaced (resync): never make live
	bool broken; // an update failed: its contents are unknown, never make live
	int refused; // broken: the error of the entry it refused (-ENOSPC: out of headroom)
};

static struct {
	const struct molt_config *cfg;
	const struct feed_sync *fs;
	struct slot_planner *planner; // plans the journal entries
	struct mslot m[SLOT_SET_MAX];
	struct slot *ptrs[SLOT_SET_MAX]; // m[i].s, for slot.list and telemetry
	unsigned n;
	int active; // position of the ACTIVE slot, -1 before the first
	struct slot_set_stats st;
} slots;

static unsigned idx(const struct mslot *m)
{
	return (unsigned)(m - slots.m);
}

// Telemetry reads slots under its own lock: hand it the live list before anything is freed.
static void publish_list(const struct slot *leaving)
{
	struct slot *list[SLOT_SET_MAX];
	unsigned n = 0;

	for (unsigned i = 0; i < slots.n; i++) {
		slots.ptrs[i] = slots.m[i].s != leaving ? slots.m[i].s : NULL;
		if (slots.ptrs[i] != NULL)
			list[n++] = slots.ptrs[i];
	}
	telemetry_set_slots(list, n);
}

static void erase(struct mslot *m)
{
	struct slot *s = m->s;

	if (m->state != SLOT_ERASED)
		slot_transition(&m->state, s, idx(m), SLOT_ERASED);
	if (s != NULL) {
		publish_list(s);
		neigh_slot_detach(s);
		integrity_slot_forget(s);
		builder_free(s);
		m->s = NULL;
	}
	upd_free(&m->pend);
	m->retire = m->stale = m->broken = false;
	m->refused = 0;
	slot_transition(&m->state, NULL, idx(m), SLOT_EMPTY);
	slots.st.erased++;
}

// A driver with seal (molt) answers lookups from the structure its last seal built: a slot
// that took updates as a standby is sealed when it is about to be read, once for however many
// updates it took (quick when it took none). On this thread: the slot is not published yet and
// nothing else writes it, and a flip waits for nothing else. A slot that cannot be sealed is
// broken (retired and rebuilt).
static bool seal(struct mslot *m)
{
	uint64_t t = molt_now_ns();
	char err[256];

	if (slot_seal(m->s, err, sizeof(err)) < 0) {
		LOG_ERR(SUB, "slot %u: %s: it will be retired and rebuilt", idx(m), err);
		m->broken = true;
		slots.st.slot_update_errors++;
		return false;
	}
	if (m->s->ops4->seal != NULL || m->s->ops6->seal != NULL) {
		// A seal that rebuilt the lookup memory: its pages are MACed again.
		integrity_slot_resealed(m->s);
		latency_stats_add(&slots.st.seal_ns, molt_now_ns() - t);
	}
	return true;
}

// to is READY and sealed.
static void flip(struct mslot *to, uint64_t decided_ns, bool update_flip)
{
	struct mslot *old = slots.active >= 0 ? &slots.m[slots.active] : NULL;

	slot_transition(&to->state, to->s, idx(to), SLOT_ACTIVE);
	to->s->activated_ns = molt_now_ns();
	// Release: a worker that loads the pointer sees the whole slot and its next hops.
	atomic_store_explicit(&molt_dp.active, to->s, memory_order_release);
	slots.active = (int)idx(to);
	slots.st.flips++;
	if (update_flip)
		slots.st.update_flips++;
	if (old == NULL)
		return;
	slot_transition(&old->state, old->s, idx(old), SLOT_DRAINING);
	old->token = molt_dp.qsbr != NULL ? rte_rcu_qsbr_start(molt_dp.qsbr) : 0;
	old->flip_ns = decided_ns;
	old->retire = old->stale || old->broken || old->pend.overflow;
}

// --- journal entries ---------------------------------------------------------------------------

static bool attached(const struct mslot *m)
{
	return m->state == SLOT_READY || m->state == SLOT_ACTIVE || m->state == SLOT_DRAINING;
}

// A slot that refuses an update is marked broken: its contents are unknown from then on.
static bool apply_one(struct mslot *m, const struct molt_route *old, const struct molt_route *new_)
{
	bool added;
	int ret;

	// The pages the change writes are checked before it and MACed again after it, so the
	// audit neither misses a tamper there nor mistakes the change for one.
	integrity_route_begin(m->s, old, new_);
	ret = slot_update_apply(m->s, &m->books, slots.planner, old, new_, &added);
	integrity_route_end(m->s, old, new_);

	if (ret < 0) {
		char r[160] = "";

		molt_route_format(new_ != NULL ? new_ : old, r, sizeof(r));
		// Out of the room it was sized with: a burst of updates, not a fault.
		if (ret == -ENOSPC)
			LOG_NOTICE(SUB,
				   "slot %u has no room left for \"%s\": it will be rebuilt for "
				   "the new table",
				   m->s->id, r);
		else
			LOG_ERR(SUB, "slot %u refused \"%s\" (%s): it will be retired and rebuilt",
				m->s->id, r, strerror(-ret));
		m->broken = true;
		m->refused = ret;
		slots.st.slot_update_errors++;
		return false;
	}
	if (added && attached(m))
		neigh_slot_refresh(m->s);
	return true;
}

// Applies m's pending list; false (m marked broken) when the slot refused one entry.
static bool apply_pending(struct mslot *m)
{
	for (uint32_t i = 0; i < m->pend.n && !m->broken; i++) {
		const struct upd *u = &m->pend.v[i];

		apply_one(m, u->has_old ? &u->old : NULL, u->has_new ? &u->new_ : NULL);
	}
	return !m->broken;
}

static bool live_safe(const struct slot *s)
{
	return s->driver->live_update_safe_v4 && s->driver->live_update_safe_v6;
}

void slot_set_entry(const struct molt_route *old, const struct molt_route *new_, uint64_t seq,
		    int walking)
{
	for (unsigned i = 0; i < slots.n; i++) {
		struct mslot *m = &slots.m[i];

		if (m->stale || m->broken)
			continue;
		switch (m->state) {
		case SLOT_READY:
			apply_one(m, old, new_);
			break;
		case SLOT_ACTIVE:
			// Never under the build thread's walk, live-safe driver or not.
			if (live_safe(m->s) && m->pend.n == 0 && (int)i != walking)
				apply_one(m, old, new_);
			else
				upd_push(&m->pend, old, new_, seq);
			break;
		case SLOT_DRAINING:
			if (!m->retire)
				upd_push(&m->pend, old, new_, seq);
			break;
		case SLOT_BUILDING:
			upd_push(&m->pend, old, new_, seq);
			break;
		default:
			break;
		}
	}
}

// Whatever the slots hold is relative to the old table.
void slot_set_resync(void)
{
	for (unsigned i = 0; i < slots.n; i++) {
		struct mslot *m = &slots.m[i];

		switch (m->state) {
		case SLOT_READY:
			erase(m);
			break;
		case SLOT_ACTIVE:
		case SLOT_DRAINING:
		case SLOT_BUILDING:
			m->stale = true;
			upd_clear(&m->pend);
			break;
		default:
			break;
		}
	}
}

uint64_t slot_set_oldest_pending(void)
{
	uint64_t min = slots.fs->next_seq;

	for (unsigned i = 0; i < slots.n; i++) {
		const struct mslot *m = &slots.m[i];
		bool live = m->state == SLOT_READY || m->state == SLOT_ACTIVE ||
			    (m->state == SLOT_DRAINING && !m->retire);

		if (live && !m->stale && m->pend.n > 0 && m->pend.v[0].seq < min)
			min = m->pend.v[0].seq;
	}
	return min;
}

// --- grace periods and flips -------------------------------------------------------------------

unsigned slot_set_drain(int walking)
{
	unsigned still = 0;

	for (unsigned i = 0; i < slots.n; i++) {
		struct mslot *m = &slots.m[i];

		// A slot the build thread is walking stays as it is until the walk is collected.
		if (m->state != SLOT_DRAINING || (int)i == walking)
			continue;
		// Never blocks: a worker that has not passed a quiescent point yet is waited for
		// on a later poll.
		if (molt_dp.qsbr != NULL &&
		    rte_rcu_qsbr_check(molt_dp.qsbr, m->token, false) != 1) {
			still++;
			continue;
		}
		latency_stats_add(&slots.st.flip_ns, molt_now_ns() - m->flip_ns);
		if (m->retire || m->stale || m->broken || m->pend.overflow || !apply_pending(m)) {
			erase(m);
			continue;
		}
		upd_clear(&m->pend);
		m->s->feed_seq = slots.fs->next_seq;
		slot_transition(&m->state, m->s, i, SLOT_READY);
	}
	return still;
}

unsigned slot_set_draining(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < slots.n; i++)
		n += slots.m[i].state == SLOT_DRAINING;
	return n;
}

bool slot_set_update_flip(uint64_t now, bool building)
{
	bool want_build = false;
	struct mslot *a;
	int standby = -1;

	// A standby that refused an update holds unknown contents: gone, and a build replaces it.
	for (unsigned i = 0; i < slots.n; i++) {
		if (slots.m[i].state == SLOT_READY && slots.m[i].broken) {
			erase(&slots.m[i]);
			want_build = true;
		}
	}

	if (slots.active < 0)
		return want_build;
	a = &slots.m[slots.active];
	if (a->pend.n == 0 && !a->broken && !a->pend.overflow)
		return want_build;
	for (unsigned i = 0; i < slots.n; i++) {
		struct mslot *m = &slots.m[i];

		if (m->state == SLOT_READY && !m->stale && !m->broken &&
		    (standby < 0 || m->s->generation > slots.m[standby].s->generation))
			standby = (int)i;
	}
	if (standby >= 0) {
		if (seal(&slots.m[standby])) {
			flip(&slots.m[standby], now, true);
			return want_build;
		}
		// Broken by its seal: the next poll erases it and wants a build.
		return want_build;
	}
	// A slot coming back from its grace period will be the standby: wait for it.
	for (unsigned i = 0; i < slots.n; i++) {
		const struct mslot *m = &slots.m[i];

		if (m->state == SLOT_DRAINING && !m->retire && !m->stale && !m->broken)
			return want_build;
	}
	// Two slots, or the standby was lost: build one now.
	return want_build || !building;
}

// --- builds ------------------------------------------------------------------------------------

int slot_set_empty(void)
{
	for (unsigned i = 0; i < slots.n; i++)
		if (slots.m[i].state == SLOT_EMPTY)
			return (int)i;
	return -1;
}

void slot_set_building(unsigned i)
{
	struct mslot *m = &slots.m[i];

	slot_transition(&m->state, NULL, i, SLOT_BUILDING);
	m->stale = m->broken = m->retire = false;
	m->refused = 0;
	upd_clear(&m->pend);
}

void slot_set_abandon(unsigned i)
{
	struct mslot *m = &slots.m[i];

	slot_transition(&m->state, NULL, i, SLOT_ERASED);
	slot_transition(&m->state, NULL, i, SLOT_EMPTY);
	upd_free(&m->pend);
	m->stale = false;
}

// Position i (BUILDING) holds s, fresh from slot_build: not live, and up to date with the
// mirror as of the build's start.
static struct mslot *take(unsigned i, struct slot *s, const struct slot_build_stats *st)
{
	struct mslot *m = &slots.m[i];

	m->s = s;
	s->state = SLOT_BUILDING;
	s->id = i;
	s->feed_generation = slots.fs->generation;
	slot_books_init(&m->books, st);
	return m;
}

static bool is_live(const struct mslot *m)
{
	return m->state == SLOT_READY || (m->state == SLOT_DRAINING && !m->retire);
}

// Stale or broken slots first, then the oldest generation.
static uint64_t retire_key(const struct mslot *m)
{
	return m->stale || m->broken ? 0 : m->s->generation;
}

// Keeps at most slots - 2 live slots beside the new active one, so there is always room for
// the next build: the oldest go (stale or broken ones first).
static void retire_extra(int keep)
{
	unsigned live = 0, limit = slots.n - 2;

	for (unsigned i = 0; i < slots.n; i++)
		if ((int)i != keep && is_live(&slots.m[i]))
			live++;
	while (live > limit) {
		struct mslot *oldest = NULL;

		for (unsigned i = 0; i < slots.n; i++) {
			struct mslot *m = &slots.m[i];

			if ((int)i == keep || !is_live(m))
				continue;
			if (oldest == NULL || retire_key(m) < retire_key(oldest))
				oldest = m;
		}
		if (oldest->state == SLOT_DRAINING)
			oldest->retire = true;
		else
			erase(oldest);
		live--;
	}
}

int slot_set_built(unsigned i, struct slot *s, const struct slot_build_stats *st, uint64_t now,
		   char *why, size_t whylen)
{
	struct mslot *m = take(i, s, st);
	struct slot_verify_result vr;
	uint32_t catchup;

	publish_list(NULL);
	if (m->stale) {
		LOG_NOTICE(SUB, "slot %u: the feed was resynced during its build: building again",
			   i);
		erase(m);
		return -ESTALE;
	}
	// Not live yet: the catch-up may modify it freely.
	catchup = m->pend.n;
	if (!apply_pending(m) || m->pend.overflow) {
		// Sized for the mirror as the build started, the slot had no room for what came
		// in meanwhile (a burst of updates: BGP converging): a slot built from the mirror
		// now is sized for the new table.
		bool outgrown = m->pend.overflow || m->refused == -ENOSPC;

		snprintf(why, whylen,
			 outgrown ? "slot %u: the table outgrew it while it was built (%u journal "
				    "entries to catch up): building again, sized for the new table"
				  : "slot %u: catching up %u journal entries failed",
			 i, m->pend.n);
		erase(m);
		return outgrown ? -ENOSPC : -EIO;
	}
	upd_clear(&m->pend);
	s->feed_seq = slots.fs->next_seq;
	// slot_build sealed it: only a catch-up changed it since.
	if (catchup > 0 && !seal(m)) {
		snprintf(why, whylen, "slot %u: sealing after %u catch-up entries failed", i,
			 catchup);
		erase(m);
		return -EIO;
	}
	if (slot_books_routes(s, &m->books) != slots.fs->mirror.count) {
		snprintf(why, whylen,
			 "slot %u accounts for %" PRIu64 " routes (installed, "
			 "rejected, shadowed), the mirror holds %u",
			 i, slot_books_routes(s, &m->books), slots.fs->mirror.count);
		erase(m);
		return -EBADMSG;
	}
	// The build thread verified the bulk load; after a catch-up, check the result again here
	// when the walk is short. Larger slots rely on the incremental books and the periodic
	// audit on the build thread: a walk of a million rules would stall this thread.
	if (catchup > 0 && m->books.rules <= INLINE_VERIFY_MAX &&
	    slot_verify(s, m->books.rules, m->books.rules_digest, &vr, why, whylen) < 0) {
		erase(m);
		return -EBADMSG;
	}
	s->build_ns = now - s->created_ns;
	neigh_slot_attach(s);
	slot_transition(&m->state, s, i, SLOT_READY);
	LOG_NOTICE(SUB,
		   "slot %u built (generation %" PRIu64 ", %s): %" PRIu64 " + %" PRIu64
		   " routes, %u next hops, %.1f ms, %.1f MiB",
		   i, s->generation, s->driver->name, s->routes4, s->routes6, s->nh_count,
		   s->build_ns / 1e6, slot_memory(s) / 1048576.0);
	flip(m, now, false);
	retire_extra((int)i);
	return 0;
}

int slot_set_first(const struct fib_driver *d, uint64_t generation, const struct slot **out,
		   char *err, size_t errlen)
{
	struct mslot *m = &slots.m[0];
	struct slot_build_stats st;
	struct slot_verify_result vr;
	struct slot *s;
	int ret;

	slot_transition(&m->state, NULL, 0, SLOT_BUILDING);
	s = slot_build(slots.cfg, d, generation, slots.fs->mirror.routes, slots.fs->mirror.count,
		       &st, err, errlen);
	if (s == NULL) {
		ret = -errno;
		slot_set_abandon(0);
		return ret;
	}
	take(0, s, &st);
	s->feed_seq = slots.fs->next_seq;
	if ((ret = slot_verify(s, st.rules, st.rules_digest, &vr, err, errlen)) < 0) {
		erase(m);
		return ret;
	}
	integrity_slot_new(s);
	LOG_NOTICE("slot",
		   "slot 0 built (generation %" PRIu64 ", driver %s): %" PRIu64 " IPv4 + %" PRIu64
		   " IPv6 routes, %" PRIu64 " rejected, %" PRIu64 " shadowed by "
		   "connected, %u next hops, %.1f ms (IPv4 adds %.1f, IPv6 adds %.1f), %.1f MiB, "
		   "verified (%" PRIu64 " rules)",
		   s->generation, d->name, s->routes4, s->routes6, s->rejected, st.shadowed,
		   st.nh_count, s->build_ns / 1e6, st.fib4_ns / 1e6, st.fib6_ns / 1e6,
		   slot_memory(s) / 1048576.0, vr.rules);
	neigh_slot_attach(s);
	slot_transition(&m->state, s, 0, SLOT_READY);
	flip(m, molt_now_ns(), false);
	publish_list(NULL);
	*out = s;
	return 0;
}

// --- audits ------------------------------------------------------------------------------------

int slot_set_auditable(struct slot **s, uint64_t *rules, uint64_t *digest)
{
	const struct mslot *a;

	if (slots.active < 0)
		return -1;
	a = &slots.m[slots.active];
	if (a->broken || a->stale)
		return -1;
	*s = a->s;
	*rules = a->books.rules;
	*digest = a->books.rules_digest;
	return slots.active;
}

void slot_set_broken(unsigned i)
{
	// Flipped away from at once if a standby exists, retired, and rebuilt.
	slots.m[i].broken = true;
	upd_clear(&slots.m[i].pend);
}

// --- life --------------------------------------------------------------------------------------

int slot_set_init(const struct molt_config *cfg, unsigned n, const struct feed_sync *fs)
{
	memset(&slots, 0, sizeof(slots));
	slots.cfg = cfg;
	slots.fs = fs;
	slots.n = n;
	slots.active = -1;
	slots.planner = slot_planner_create(cfg);
	if (slots.planner == NULL)
		return -ENOMEM;
	// Live updates run after the mirror took the change: it holds every group in use.
	slot_planner_use_groups(slots.planner, &fs->mirror);
	return 0;
}

void slot_set_fini(void)
{
	atomic_store_explicit(&molt_dp.active, NULL, memory_order_release);
	telemetry_set_slots(NULL, 0);
	for (unsigned i = 0; i < slots.n; i++) {
		struct mslot *m = &slots.m[i];

		if (m->state == SLOT_ACTIVE)
			slot_transition(&m->state, m->s, i, SLOT_DRAINING);
		if (m->state != SLOT_EMPTY)
			erase(m);
	}
	slots.active = -1;
	slot_planner_destroy(slots.planner);
	slots.planner = NULL;
}

struct slot *const *slot_set_list(unsigned *n)
{
	*n = slots.n;
	return slots.ptrs;
}

const struct slot_set_stats *slot_set_stats(void)
{
	return &slots.st;
}
