// SPDX-License-Identifier: BSD-3-Clause
// Incremental change of one feed route in a slot, with slot_build's planning rules (shared
// through slot_plan_route). The caller decides when a slot may be modified: never while a
// worker can look it up, unless its driver is live-update safe. Control thread only.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/route.h"
#include "control/slot/slot_build.h"
#include "dataplane/slot.h"

// What the control thread installed into one slot, kept beside it (control only).
struct slot_books {
	uint64_t rules; // FIB rules (feed + connected/local) slot_verify must find
	uint64_t rules_digest; // their slot_rule_hash sum
	uint64_t shadowed; // feed routes not installed because a connected/local route wins
};

// Books of a slot fresh from slot_build.
void slot_books_init(struct slot_books *b, const struct slot_build_stats *st);

// Feed routes the slot accounts for: installed + rejected + shadowed. Equals the mirror's route
// count at the slot's sequence when nothing was lost.
uint64_t slot_books_routes(const struct slot *s, const struct slot_books *b);

// Replaces route `old` (NULL: none had this key) by `new_` (NULL: deleted) in s. old must be
// exactly the route the slot was last given for the key. Sets *nh_added when a next-hop entry
// was created (call neigh_slot_refresh so it follows a known neighbour). Returns 0, or -ENOSPC
// (FIB or next-hop table full), -ENOENT (old's rule or next hop is not in the slot: the slot
// diverged) and the driver's -errno; after an error the slot must not be made live again.
int slot_update_apply(struct slot *s, struct slot_books *b, struct slot_planner *p,
		      const struct molt_route *old, const struct molt_route *new_, bool *nh_added);
