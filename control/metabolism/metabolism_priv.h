// SPDX-License-Identifier: BSD-3-Clause
// State shared by metabolism.c (lifecycle, builds, flips) and metabolism_update.c (journal
// entries into slots). Control thread only.
#pragma once

#include "control/metabolism/build_thread.h"
#include "control/metabolism/metabolism.h"
#include "control/slot/slot_update.h"

// One journal change as the mirror saw it (feed_sync_cb), kept for a slot that cannot take it
// yet.
struct upd {
	struct molt_route old, new_;
	bool has_old, has_new;
	uint64_t seq;		// journal sequence number
};

struct upd_list {
	struct upd *v;
	uint32_t n, cap;
	bool overflow;		// could not grow: the slot cannot be brought up to date
};

struct mslot {
	struct slot *s;		// NULL when EMPTY
	enum slot_state state;
	struct slot_books books;
	// BUILDING: the catch-up list; ACTIVE (unsafe driver) and DRAINING: updates it still needs
	struct upd_list pend;
	uint64_t token;		// DRAINING: QSBR token taken at the flip
	uint64_t flip_ns;	// DRAINING: when the flip away from it was decided
	bool retire;		// DRAINING: erase after the grace period, not back to READY
	bool stale;		// built from a mirror since replaced (resync): never make live
	bool broken;		// an update failed: its contents are unknown, never make live
};

struct metab_req {
	metabolism_done_cb cb;
	void *arg;
};

#define METAB_MAX_REQ 64
#define METAB_SEEN (1u << 18)
#define UPD_MAX (1u << 20)	// entries one slot may wait for (about 120 MB)

struct metab {
	const struct molt_config *cfg;
	struct feed_sync feed;
	struct slot_planner *planner;
	struct mslot m[METABOLISM_MAX_SLOTS];
	struct slot *ptrs[METABOLISM_MAX_SLOTS]; // m[i].s, for slot.list and telemetry
	unsigned n;
	int active;			// index of the ACTIVE slot, -1 before the first
	uint64_t next_generation;
	unsigned next_driver;		// rotation index in cfg->drivers
	// the build in progress
	struct builder_job job;
	int building;			// index, -1 when none
	const struct fib_driver *req_driver; // driver asked for the next build (slot.metabolize)
	// policy
	uint32_t interval_ms;
	bool paused;
	uint64_t next_due_ns;		// timer
	uint64_t retry_ns;		// 0: no failed build to retry, else not before this
	uint64_t backoff_ns;
	bool want_build;		// resync, broken active, or updates waiting with no standby
	// integrity audits of the ACTIVE slot on the builder thread
	int auditing;			// index of the slot being walked, -1 when none
	uint64_t next_audit_ns;
	struct metab_req req[METAB_MAX_REQ];
	unsigned n_req;
	// update propagation: entries [done_seq, feed.next_seq) are not in every live slot yet;
	// seen[seq % METAB_SEEN] is when the control thread read entry seq
	uint64_t done_seq;
	uint64_t *seen;
	// update rate window
	uint64_t rate_start_ns, rate_start_count;
	struct metabolism_stats st;
};

extern struct metab metab;

uint64_t metab_now(void);

// metabolism.c
unsigned metab_idx(const struct mslot *m);
// Hands the current slots to telemetry and slot.list, without `leaving` (about to be freed).
void metab_publish_list(const struct slot *leaving);
void metab_complete_requests(int ret, const char *err, const struct slot *s);
void metab_erase(struct mslot *m);
void metab_flip(int to, uint64_t decided_ns, bool update_flip);

// metabolism_update.c
int upd_push(struct upd_list *l, const struct molt_route *old, const struct molt_route *new_,
	     uint64_t seq);
void upd_clear(struct upd_list *l);
void upd_free(struct upd_list *l);
// Applies l to m's slot; false (m marked broken) when the slot refused one.
bool metab_apply_list(struct mslot *m, const struct upd_list *l);
// Propagation tracking: reset after a (re)sync, and freed at the end.
void metab_progress_reset(void);
void metab_progress_fini(void);
// Reads journal entries and spreads them over the slots. Returns entries read.
int metab_feed_poll(uint64_t now);
// Grace periods: returns DRAINING slots to READY (with their updates) or erases them.
// Returns the number of slots still draining.
unsigned metab_drain_poll(uint64_t now);
