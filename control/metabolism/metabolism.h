// SPDX-License-Identifier: BSD-3-Clause
// Metabolism: the slot manager. It follows the route feed (feed_sync.h), builds slots on the
// build thread (build_thread.h) from the mirror, verifies them, flips the active slot with one
// atomic store, reclaims the old one after an RCU grace period, scrubs and frees retired slots,
// and carries every route change into every live slot without modifying a slot a worker may be
// reading (unless its driver is live-update safe; the slot positions are slot_set.h's).
// Control thread only.
//
// With metabolism.slots = 3 (the default) there is an ACTIVE slot, a READY standby and room
// for a build: an update is applied to the standby, the slots flip, and the former active gets
// it after its grace period. With 2 slots there is no standby while a build runs: updates
// queue for the active slot and reach the dataplane only when the next build (started at once
// for them) is flipped in.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/feed/feed.h"
#include "control/config/config.h"
#include "control/metabolism/feed_sync.h"
#include "control/metabolism/latency_stats.h"
#include "control/metabolism/slot_set.h"
#include "dataplane/slot.h"

#define METABOLISM_BATCH 4096 // journal entries applied per poll
#define METABOLISM_BACKOFF_MIN_NS 1000000000ull
#define METABOLISM_BACKOFF_MAX_NS 60000000000ull
// The ACTIVE slot is walked and compared with what it should hold (slot_verify) on the build
// thread this often, and never using more than 1/AUDIT_DUTY of that thread's time.
#define METABOLISM_AUDIT_NS 1000000000ull
#define METABOLISM_AUDIT_DUTY 20

struct metabolism_stats {
	uint64_t builds_ok, builds_failed;
	uint64_t builds_stale; // discarded: the mirror was resynced while they ran
	// discarded: more updates came in while they ran than their headroom held; built again
	// at once for the new table (not failures: no backoff)
	uint64_t builds_outgrown;
	char last_error[512]; // why the last build failed ("" if none yet)
	uint64_t last_error_ns;
	uint64_t build_ns_last, build_ns_sum;
	uint64_t updates_applied; // journal entries that reached every live slot
	uint64_t update_rate; // of those, per second over the last 100 ms window
	uint64_t update_rate_peak; // highest update_rate seen
	uint64_t audits, audits_failed; // integrity walks of the ACTIVE slot (failed: replaced)
	struct latency_stats update_ns; // entry read by control -> in every live slot
};

// Done callback of metabolism_request: ret 0 when the new slot is ACTIVE (s), else -errno
// with err saying why the build failed.
typedef void (*metabolism_done_cb)(void *arg, int ret, const char *err, const struct slot *s);

// Opens the feed cfg->feed_shm (waiting up to 10 s for its first table), builds the first slot
// with cfg->driver on this thread, and makes it ACTIVE (molt_dp.active). molt_dp.qsbr must be
// set up. Starts the build thread. Returns 0 or -errno with a message in err.
int metabolism_init(const struct molt_config *cfg, char *err, size_t errlen);

// Runs everything that is due: journal entries, grace periods, a finished build, flips, the
// timer. Returns > 0 while a grace period runs (poll again soon: it bounds flip latency), else
// 0; a running build is collected at whatever pace the caller polls.
int metabolism_poll(uint64_t now_ns);

// Stops the build thread (waiting for a running build), scrubs and frees every slot and closes
// the feed. Workers must be stopped. Pending requests complete with -ECANCELED.
void metabolism_fini(void);

// Asks for a metabolic replacement now: cb runs when the new slot is ACTIVE or the build
// failed. A build already running is joined. driver NULL: the next in metabolism.drivers.
// Returns 0, -ENOENT for an unknown driver, -ENOSPC when too many requests wait.
int metabolism_request(const char *driver, metabolism_done_cb cb, void *arg);

// interval_ms < 0 and paused < 0 leave the value unchanged.
void metabolism_set(int64_t interval_ms, int paused);
uint32_t metabolism_interval_ms(void);
bool metabolism_paused(void);
bool metabolism_building(void);

// Builds, updates and audits; flips, erasures and refused updates are the slot positions' own
// (metabolism_slot_stats).
const struct metabolism_stats *metabolism_stats(void);
const struct slot_set_stats *metabolism_slot_stats(void);
const struct feed_sync *metabolism_feed(void);

// Every slot position (NULL: EMPTY), metabolism.slots of them; the array stays valid until
// metabolism_fini and is updated in place.
struct slot *const *metabolism_slots(unsigned *n);
