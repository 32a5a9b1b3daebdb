// SPDX-License-Identifier: BSD-3-Clause
// The slot manager: lifecycle, builds on the builder thread, verification, flips and retiring.
// Journal entries and grace periods are in metabolism_update.c; start, stop and the API the
// RPC methods use in metabolism_api.c.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "control/metabolism/metabolism_priv.h"
#include "control/neigh/neigh.h"
#include "control/slot/slot_lifecycle.h"
#include "control/slot/slot_verify.h"
#include "control/telemetry/telemetry.h"
#include "dataplane/dataplane.h"

#define SUB "metabolism"

struct metab metab;

uint64_t metab_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

unsigned metab_idx(const struct mslot *m)
{
	return (unsigned)(m - metab.m);
}

// Telemetry reads slots under its own lock: hand it the live list before anything is freed.
void metab_publish_list(const struct slot *leaving)
{
	struct slot *list[METABOLISM_MAX_SLOTS];
	unsigned n = 0;

	for (unsigned i = 0; i < metab.n; i++) {
		metab.ptrs[i] = metab.m[i].s != leaving ? metab.m[i].s : NULL;
		if (metab.ptrs[i] != NULL)
			list[n++] = metab.ptrs[i];
	}
	telemetry_set_slots(list, n);
}

void metab_erase(struct mslot *m)
{
	struct slot *s = m->s;

	if (m->state != SLOT_ERASED)
		slot_transition(&m->state, s, metab_idx(m), SLOT_ERASED);
	if (s != NULL) {
		metab_publish_list(s);
		neigh_slot_detach(s);
		builder_free(s);
		m->s = NULL;
	}
	upd_free(&m->pend);
	m->retire = m->stale = m->broken = false;
	slot_transition(&m->state, NULL, metab_idx(m), SLOT_EMPTY);
	metab.st.erased++;
}

void metab_flip(int to, uint64_t decided_ns, bool update_flip)
{
	struct mslot *n = &metab.m[to];
	struct mslot *old = metab.active >= 0 ? &metab.m[metab.active] : NULL;

	slot_transition(&n->state, n->s, metab_idx(n), SLOT_ACTIVE);
	n->s->activated_ns = metab_now();
	// Release: a worker that loads the pointer sees the whole slot and its next hops.
	atomic_store_explicit(&molt_dp.active, n->s, memory_order_release);
	metab.active = to;
	metab.st.flips++;
	if (update_flip)
		metab.st.update_flips++;
	if (old == NULL)
		return;
	slot_transition(&old->state, old->s, metab_idx(old), SLOT_DRAINING);
	old->token = molt_dp.qsbr != NULL ? rte_rcu_qsbr_start(molt_dp.qsbr) : 0;
	old->flip_ns = decided_ns;
	old->retire = old->stale || old->broken || old->pend.overflow;
}

void metab_complete_requests(int ret, const char *err, const struct slot *s)
{
	unsigned n = metab.n_req;

	// A callback may queue a new request: take the list first.
	struct metab_req req[METAB_MAX_REQ];

	memcpy(req, metab.req, n * sizeof(req[0]));
	metab.n_req = 0;
	for (unsigned i = 0; i < n; i++)
		req[i].cb(req[i].arg, ret, err, s);
}

static void build_failed(int ret, const char *why, uint64_t now)
{
	metab.st.builds_failed++;
	snprintf(metab.st.last_error, sizeof(metab.st.last_error), "%s", why);
	metab.st.last_error_ns = now;
	metab.backoff_ns = metab.backoff_ns == 0 ? METABOLISM_BACKOFF_MIN_NS :
		metab.backoff_ns * 2 > METABOLISM_BACKOFF_MAX_NS ? METABOLISM_BACKOFF_MAX_NS :
		metab.backoff_ns * 2;
	metab.retry_ns = now + metab.backoff_ns;
	LOG_ERR(SUB, "build failed (%s); the active slot keeps forwarding; retry in %" PRIu64
		" s", why, (uint64_t)(metab.backoff_ns / 1000000000ull));
	metab_complete_requests(ret, why, NULL);
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
	unsigned live = 0, limit = metab.n - 2;

	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		if ((int)i != keep && (m->state == SLOT_READY ||
				       (m->state == SLOT_DRAINING && !m->retire)))
			live++;
	}
	while (live > limit) {
		struct mslot *oldest = NULL;

		for (unsigned i = 0; i < metab.n; i++) {
			struct mslot *m = &metab.m[i];

			if ((int)i == keep || !(m->state == SLOT_READY ||
						(m->state == SLOT_DRAINING && !m->retire)))
				continue;
			if (oldest == NULL || retire_key(m) < retire_key(oldest))
				oldest = m;
		}
		if (oldest->state == SLOT_DRAINING)
			oldest->retire = true;
		else
			metab_erase(oldest);
		live--;
	}
}

// A build came back from the builder thread: catch up, verify, make it READY and flip to it.
static void finish_build(struct builder_job *j, uint64_t now)
{
	struct mslot *m = &metab.m[metab.building];
	char why[sizeof(j->err)];
	struct slot_verify_result vr;
	uint32_t catchup;

	metab.building = -1;
	if (j->slot == NULL) {
		slot_transition(&m->state, NULL, metab_idx(m), SLOT_ERASED);
		slot_transition(&m->state, NULL, metab_idx(m), SLOT_EMPTY);
		upd_free(&m->pend);
		m->stale = false;
		build_failed(j->ret, j->err, now);
		return;
	}
	m->s = j->slot;
	m->s->state = SLOT_BUILDING;
	m->s->id = metab_idx(m);
	m->s->feed_generation = metab.feed.generation;
	slot_books_init(&m->books, &j->stats);
	metab_publish_list(NULL);
	if (m->stale) {
		// Not the build's fault: build again from the new mirror, requests still waiting.
		LOG_NOTICE(SUB, "slot %u: the feed was resynced during its build: building again",
			   metab_idx(m));
		metab_erase(m);
		metab.st.builds_stale++;
		metab.want_build = true;
		return;
	}
	// Not live yet: the catch-up may modify it freely.
	catchup = m->pend.n;
	if (!metab_apply_list(m, &m->pend) || m->pend.overflow) {
		snprintf(why, sizeof(why), "slot %u: catching up %u journal entries failed",
			 metab_idx(m), m->pend.n);
		metab_erase(m);
		build_failed(-EIO, why, now);
		return;
	}
	upd_clear(&m->pend);
	m->s->feed_seq = metab.feed.next_seq;
	if (slot_books_routes(m->s, &m->books) != metab.feed.mirror.count) {
		snprintf(why, sizeof(why), "slot %u accounts for %" PRIu64 " routes (installed, "
			 "rejected, shadowed), the mirror holds %u", metab_idx(m),
			 slot_books_routes(m->s, &m->books), metab.feed.mirror.count);
		metab_erase(m);
		build_failed(-EBADMSG, why, now);
		return;
	}
	// The builder verified the bulk load; after a catch-up, check the result again here when
	// the walk is short. Larger slots rely on the incremental books and the periodic audit
	// on the builder thread: a walk of a million rules would stall this thread.
	if (catchup > 0 && m->books.rules <= METABOLISM_INLINE_VERIFY_MAX &&
	    slot_verify(m->s, m->books.rules, m->books.rules_digest, &vr, why, sizeof(why)) < 0) {
		metab_erase(m);
		build_failed(-EBADMSG, why, now);
		return;
	}
	m->s->build_ns = now - m->s->created_ns;
	neigh_slot_attach(m->s);
	slot_transition(&m->state, m->s, metab_idx(m), SLOT_READY);
	metab.st.builds_ok++;
	metab.st.build_ns_last = m->s->build_ns;
	metab.st.build_ns_sum += m->s->build_ns;
	metab.backoff_ns = 0;
	metab.retry_ns = 0;
	LOG_NOTICE(SUB, "slot %u built (generation %" PRIu64 ", %s): %" PRIu64 " + %" PRIu64
		   " routes, %u next hops, %.1f ms, %.1f MiB", metab_idx(m), m->s->generation,
		   m->s->driver->name, m->s->routes4, m->s->routes6, m->s->nh_count,
		   m->s->build_ns / 1e6, slot_memory(m->s) / 1048576.0);
	metab_flip((int)metab_idx(m), now, false);
	retire_extra((int)metab_idx(m));
	metab_complete_requests(0, NULL, m->s);
}

static const struct fib_driver *next_driver(void)
{
	const struct fib_driver *d = metab.req_driver;

	metab.req_driver = NULL;
	if (d != NULL)
		return d;
	if (metab.cfg->n_drivers == 0)
		return fib_driver_find(metab.cfg->driver);
	d = fib_driver_find(metab.cfg->drivers[metab.next_driver++ % metab.cfg->n_drivers]);
	return d != NULL ? d : fib_driver_find(metab.cfg->driver);
}

static int empty_slot(void)
{
	for (unsigned i = 0; i < metab.n; i++)
		if (metab.m[i].state == SLOT_EMPTY)
			return (int)i;
	return -1;
}

// Copies the mirror (the builder must not share it: the control thread keeps changing it)
// and hands it to the builder thread. Entries read from now on go to the catch-up list.
static void start_build(uint64_t now)
{
	int i = empty_slot();
	struct mslot *m;
	struct molt_route *copy;
	uint32_t n = metab.feed.mirror.count;

	if (i < 0)
		return;
	copy = malloc((n ? n : 1) * sizeof(*copy));
	if (copy == NULL) {
		build_failed(-ENOMEM, "no memory to copy the mirror for a build", now);
		return;
	}
	memcpy(copy, metab.feed.mirror.routes, (size_t)n * sizeof(*copy));
	m = &metab.m[i];
	memset(&metab.job, 0, sizeof(metab.job));
	metab.job.cfg = metab.cfg;
	metab.job.driver = next_driver();
	metab.job.generation = metab.next_generation++;
	metab.job.routes = copy;
	metab.job.n_routes = n;
	metab.job.verify = true;
	if (builder_submit(&metab.job) < 0) {
		free(copy);
		return;
	}
	slot_transition(&m->state, NULL, (unsigned)i, SLOT_BUILDING);
	m->stale = m->broken = m->retire = false;
	upd_clear(&m->pend);
	metab.building = i;
	metab.want_build = false;
	metab.next_due_ns = now + (uint64_t)metab.interval_ms * 1000000ull;
	LOG_INFO(SUB, "building slot %d (generation %" PRIu64 ", driver %s) from %u routes", i,
		 metab.job.generation, metab.job.driver->name, n);
}

static bool build_due(uint64_t now)
{
	if (metab.building >= 0 || builder_busy() || empty_slot() < 0)
		return false;
	if (metab.retry_ns != 0)
		return now >= metab.retry_ns;
	if (metab.n_req > 0 || metab.want_build)
		return true;
	return !metab.paused && metab.interval_ms != 0 && now >= metab.next_due_ns;
}

// An ACTIVE slot that cannot be modified holds queued updates: flip to the up-to-date standby.
static void update_flip(uint64_t now)
{
	struct mslot *a;
	int standby = -1;

	// A standby that refused an update holds unknown contents: gone, and a build replaces it.
	for (unsigned i = 0; i < metab.n; i++) {
		if (metab.m[i].state == SLOT_READY && metab.m[i].broken) {
			metab_erase(&metab.m[i]);
			metab.want_build = true;
		}
	}

	if (metab.active < 0)
		return;
	a = &metab.m[metab.active];
	if (a->pend.n == 0 && !a->broken && !a->pend.overflow)
		return;
	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		if (m->state == SLOT_READY && !m->stale && !m->broken &&
		    (standby < 0 || m->s->generation > metab.m[standby].s->generation))
			standby = (int)i;
	}
	if (standby >= 0) {
		metab_flip(standby, now, true);
		return;
	}
	// A slot coming back from its grace period will be the standby: wait for it.
	for (unsigned i = 0; i < metab.n; i++) {
		const struct mslot *m = &metab.m[i];

		if (m->state == SLOT_DRAINING && !m->retire && !m->stale && !m->broken)
			return;
	}
	if (metab.building < 0)
		metab.want_build = true; // two slots, or the standby was lost: build one now
}

// The builder walked the ACTIVE slot (or the one that was ACTIVE when the walk started).
static void finish_audit(struct builder_job *j, uint64_t now)
{
	struct mslot *m = &metab.m[metab.auditing];
	uint64_t pause = j->run_ns * METABOLISM_AUDIT_DUTY;

	metab.auditing = -1;
	metab.st.audits++;
	metab.next_audit_ns = now + (pause > METABOLISM_AUDIT_NS ? pause : METABOLISM_AUDIT_NS);
	if (j->ret == 0)
		return;
	metab.st.audits_failed++;
	LOG_ERR(SUB, "integrity check failed: %s: replacing the slot now", j->err);
	// Broken: flipped away from at once if a standby exists, retired, and rebuilt.
	m->broken = true;
	upd_clear(&m->pend);
	metab.want_build = true;
	metab.retry_ns = 0;
}

static void start_audit(uint64_t now)
{
	struct mslot *a;

	if (metab.active < 0 || metab.building >= 0 || builder_busy() ||
	    now < metab.next_audit_ns)
		return;
	a = &metab.m[metab.active];
	if (a->broken || a->stale)
		return;
	memset(&metab.job, 0, sizeof(metab.job));
	metab.job.audit = a->s;
	metab.job.audit_rules = a->books.rules;
	metab.job.audit_digest = a->books.rules_digest;
	if (builder_submit(&metab.job) == 0)
		metab.auditing = metab.active;
}

int metabolism_poll(uint64_t now)
{
	struct builder_job *j;
	int busy = 0;

	metab_feed_poll(now);
	metab_drain_poll(now);
	if ((j = builder_collect()) != NULL) {
		if (j->audit != NULL)
			finish_audit(j, now);
		else
			finish_build(j, now);
	}
	update_flip(now);
	if (build_due(now))
		start_build(now);
	else
		start_audit(now);
	// 100 ms windows: a burst of updates shows its rate without having to last a second.
	if (now - metab.rate_start_ns >= 100000000ull) {
		metab.st.update_rate = (metab.st.updates_applied - metab.rate_start_count) *
			1000000000ull / (now - metab.rate_start_ns);
		if (metab.st.update_rate > metab.st.update_rate_peak)
			metab.st.update_rate_peak = metab.st.update_rate;
		metab.rate_start_count = metab.st.updates_applied;
		metab.rate_start_ns = now;
	}
	// Only grace periods need prompt polling (they bound flip latency); a build takes
	// milliseconds to seconds and is collected at the loop's idle pace. Count again: a flip
	// made by this very poll has started one.
	for (unsigned i = 0; i < metab.n; i++)
		busy += metab.m[i].state == SLOT_DRAINING;
	return busy;
}
