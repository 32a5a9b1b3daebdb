// SPDX-License-Identifier: BSD-3-Clause
// The slot positions of the metabolism (metabolism.slots of them) and what each holds: which
// slot is ACTIVE, which are READY standbys, DRAINING (in a grace period) or BUILDING, and the
// journal changes each still has to take. This module flips the active slot, carries journal
// entries into every live slot without modifying one a worker may be reading (unless its
// driver is live-update safe), ends grace periods and retires slots. When to build, and which
// slot the build thread walks, is decided by metabolism.c, which calls in here.
// Control thread only.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/config/config.h"
#include "control/metabolism/feed_sync.h"
#include "control/metabolism/latency_stats.h"
#include "control/slot/slot_build.h"
#include "dataplane/slot.h"

#define SLOT_SET_MAX 16 // metabolism.slots upper bound (config)

struct slot_set_stats {
	uint64_t flips; // every flip: metabolic and update
	uint64_t update_flips; // flips carrying updates past an unsafe ACTIVE slot
	uint64_t erased;
	uint64_t slot_update_errors; // a slot refused an update (it is retired and rebuilt)
	struct latency_stats flip_ns; // flip decided -> every worker quiescent after it
	// control thread time sealing a slot (driver with seal) just before it is made active
	struct latency_stats seal_ns;
};

// n positions, all EMPTY. fs is the mirror the slots follow (read here, never written).
// Returns 0 or -ENOMEM.
int slot_set_init(const struct molt_config *cfg, unsigned n, const struct feed_sync *fs);

// Unpublishes the active slot, then scrubs and frees every slot. Workers must be stopped.
void slot_set_fini(void);

// Builds position 0 from the mirror on this thread with driver d, verifies it and makes it
// ACTIVE. Returns 0 with the slot in *out, or -errno with a message in err.
int slot_set_first(const struct fib_driver *d, uint64_t generation, const struct slot **out,
		   char *err, size_t errlen);

// An EMPTY position, or -1.
int slot_set_empty(void);

// Position i (EMPTY) is being built: it collects journal entries for its catch-up from now on.
void slot_set_building(unsigned i);

// The build of position i (BUILDING) produced nothing: the position is EMPTY again.
void slot_set_abandon(unsigned i);

// The build of position i came back with s (built from the mirror as it was when the build
// started): catches it up with the entries read since, checks its books against the mirror
// (and walks it when that is short), makes it READY and flips to it, retiring the oldest live
// slots beyond the room the next build needs. Returns 0, or -errno with s erased:
// -ESTALE when the mirror was resynced during the build (not the build's fault), -ENOSPC when
// the entries read meanwhile did not fit the room it was sized with (nor is that: a build from
// the mirror now fits), -EIO when the catch-up failed otherwise, -EBADMSG when the slot does
// not hold what it should (why says how).
int slot_set_built(unsigned i, struct slot *s, const struct slot_build_stats *st, uint64_t now,
		   char *why, size_t whylen);

// The ACTIVE slot, for an integrity walk on the build thread, with the rule count and digest it
// must hold: its position, or -1 when there is none or it is already known bad.
int slot_set_auditable(struct slot **s, uint64_t *rules, uint64_t *digest);

// The slot at i failed its integrity walk: flipped away from as soon as possible and retired.
void slot_set_broken(unsigned i);

// One journal entry (fs->next_seq is seq) into every slot: applied to the ones that may be
// modified, queued for the others. `walking` is the position the build thread is walking (-1:
// none): it is never modified.
void slot_set_entry(const struct molt_route *old, const struct molt_route *new_, uint64_t seq,
		    int walking);

// The mirror was replaced: READY slots go, the others are stale (never made live again).
void slot_set_resync(void);

// The first journal sequence number some live slot still waits for (fs->next_seq: none).
uint64_t slot_set_oldest_pending(void);

// Ends the grace periods that are over: the slot takes the updates it missed and is READY
// again, or is erased. Never blocks. `walking` as in slot_set_entry. Returns the number of
// slots still draining.
unsigned slot_set_drain(int walking);

// When the ACTIVE slot holds queued updates (or is broken), flips to the newest up-to-date
// standby. Returns true when a build is wanted for it: no standby exists or will return from
// a grace period, and `building` is false. Broken standbys are erased (a build is wanted too).
bool slot_set_update_flip(uint64_t now, bool building);

unsigned slot_set_draining(void);

// Every position's slot (NULL: EMPTY); the array stays valid and is updated in place.
struct slot *const *slot_set_list(unsigned *n);

const struct slot_set_stats *slot_set_stats(void);
