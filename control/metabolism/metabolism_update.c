// SPDX-License-Identifier: BSD-3-Clause
// Journal entries into slots. A READY slot takes an entry at once (no worker reads it); an
// ACTIVE slot takes it at once only when its driver is live-update safe, else the entry waits
// in the slot's pending list until the slot has been flipped away from and its grace period is
// over; a BUILDING slot collects it for its catch-up. Propagation (entry read -> in every live
// slot) is tracked by sequence number.
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "control/metabolism/metabolism_priv.h"
#include "control/neigh/neigh.h"
#include "control/slot/slot_lifecycle.h"
#include "dataplane/dataplane.h"

#define SUB "metabolism"

int upd_push(struct upd_list *l, const struct molt_route *old, const struct molt_route *new_,
	     uint64_t seq)
{
	struct upd *u;

	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 256;
		// Bounded: a slot that falls this far behind (builds failing with two slots) is
		// cheaper to rebuild than to catch up.
		struct upd *v = cap > l->cap && cap <= UPD_MAX ?
			realloc(l->v, (size_t)cap * sizeof(*v)) : NULL;

		if (v == NULL) {
			// The slot can no longer be brought up to date: it will be retired.
			l->overflow = true;
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	u = &l->v[l->n++];
	u->has_old = old != NULL;
	u->has_new = new_ != NULL;
	if (old != NULL)
		u->old = *old;
	if (new_ != NULL)
		u->new_ = *new_;
	u->seq = seq;
	return 0;
}

void upd_clear(struct upd_list *l)
{
	l->n = 0;
	l->overflow = false;
}

void upd_free(struct upd_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool attached(const struct mslot *m)
{
	return m->state == SLOT_READY || m->state == SLOT_ACTIVE || m->state == SLOT_DRAINING;
}

static bool apply_one(struct mslot *m, const struct molt_route *old, const struct molt_route *new_)
{
	bool added;
	int ret = slot_update_apply(m->s, &m->books, metab.planner, old, new_, &added);

	if (ret < 0) {
		char r[160] = "";

		molt_route_format(new_ != NULL ? new_ : old, r, sizeof(r));
		LOG_ERR(SUB, "slot %u refused \"%s\" (%s): it will be retired and rebuilt",
			m->s->id, r, strerror(-ret));
		m->broken = true;
		metab.st.slot_update_errors++;
		return false;
	}
	if (added && attached(m))
		neigh_slot_refresh(m->s);
	return true;
}

bool metab_apply_list(struct mslot *m, const struct upd_list *l)
{
	for (uint32_t i = 0; i < l->n && !m->broken; i++) {
		const struct upd *u = &l->v[i];

		apply_one(m, u->has_old ? &u->old : NULL, u->has_new ? &u->new_ : NULL);
	}
	return !m->broken;
}

static bool live_safe(const struct slot *s)
{
	return s->driver->live_update_safe_v4 && s->driver->live_update_safe_v6;
}

static void on_entry(void *arg, const struct molt_route *old, const struct molt_route *new_)
{
	uint64_t seq = metab.feed.next_seq, now = *(const uint64_t *)arg;

	if (metab.seen != NULL)
		metab.seen[seq % METAB_SEEN] = now;
	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		if (m->stale || m->broken)
			continue;
		switch (m->state) {
		case SLOT_READY:
			apply_one(m, old, new_);
			break;
		case SLOT_ACTIVE:
			// Never under the builder's audit walk, live-safe driver or not.
			if (live_safe(m->s) && m->pend.n == 0 && (int)i != metab.auditing)
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

// The mirror was replaced: whatever the slots hold is relative to the old table.
static void on_resync(void)
{
	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		switch (m->state) {
		case SLOT_READY:
			metab_erase(m);
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
	metab.want_build = true;
	metab_progress_reset();
}

void metab_progress_reset(void)
{
	if (metab.seen == NULL)
		metab.seen = calloc(METAB_SEEN, sizeof(*metab.seen));
	metab.done_seq = metab.feed.next_seq;
}

void metab_progress_fini(void)
{
	free(metab.seen);
	metab.seen = NULL;
}

// Entries before the first one some live slot still waits for are everywhere: account them.
static void progress(uint64_t now)
{
	uint64_t min = metab.feed.next_seq;

	for (unsigned i = 0; i < metab.n; i++) {
		const struct mslot *m = &metab.m[i];
		bool live = m->state == SLOT_READY || m->state == SLOT_ACTIVE ||
			(m->state == SLOT_DRAINING && !m->retire);

		if (live && !m->stale && m->pend.n > 0 && m->pend.v[0].seq < min)
			min = m->pend.v[0].seq;
	}
	for (uint64_t s = metab.done_seq; s < min; s++) {
		// Samples older than the ring were overwritten: counted, not timed.
		if (metab.seen != NULL && metab.feed.next_seq - s <= METAB_SEEN)
			latency_add(&metab.st.update_ns, now - metab.seen[s % METAB_SEEN]);
		metab.st.updates_applied++;
	}
	if (min > metab.done_seq)
		metab.done_seq = min;
}

int metab_feed_poll(uint64_t now)
{
	bool resynced;
	int n = feed_sync_poll(&metab.feed, now, METABOLISM_BATCH, on_entry, &now, &resynced);

	if (resynced)
		on_resync();
	progress(metab_now());
	return n;
}

unsigned metab_drain_poll(uint64_t now)
{
	unsigned still = 0;

	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		// A slot the builder is walking stays as it is until the walk is collected.
		if (m->state != SLOT_DRAINING || (int)i == metab.auditing)
			continue;
		// Never blocks: a worker that has not passed a quiescent point yet is waited for
		// on a later poll.
		if (molt_dp.qsbr != NULL &&
		    rte_rcu_qsbr_check(molt_dp.qsbr, m->token, false) != 1) {
			still++;
			continue;
		}
		latency_add(&metab.st.flip_ns, metab_now() - m->flip_ns);
		if (m->retire || m->stale || m->broken || m->pend.overflow ||
		    !metab_apply_list(m, &m->pend)) {
			metab_erase(m);
			continue;
		}
		upd_clear(&m->pend);
		m->s->feed_seq = metab.feed.next_seq;
		slot_transition(&m->state, m->s, i, SLOT_READY);
	}
	progress(metab_now());
	return still;
}
