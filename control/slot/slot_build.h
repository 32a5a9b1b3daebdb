// SPDX-License-Identifier: BSD-3-Clause
// Builds a slot from moltd's config (connected and local routes from the port addresses) and a
// snapshot of the route feed. Control or builder thread: builds share no state.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/route.h"
#include "control/config/config.h"
#include "control/slot/slot_plan.h"
#include "control/slot/slot_size.h"
#include "dataplane/slot.h"

struct slot_build_stats {
	uint64_t rejected[SLOT_REJECT_MAX];
	uint64_t shadowed; // feed routes whose prefix is a connected/local route: ours win
	uint64_t connected; // connected and local routes installed
	uint64_t plan_ns; // deciding next hops, sorting into load order and sizing the FIBs
	uint64_t alloc_ns; // creating the empty FIBs and next-hop table
	uint64_t fib4_ns; // time spent in the driver's IPv4 add (the usual bottleneck)
	uint64_t fib6_ns; // and in its IPv6 add
	uint32_t nh_count; // next-hop entries used
	// What slot_verify must find when it walks the FIBs: every rule installed, feed and
	// connected/local, each hashed with its next hop (slot_rule_hash).
	uint64_t rules;
	uint64_t rules_digest;
};

// Builds a complete slot with driver d. The port conf must be filled by ports_init (port_id,
// ll6). Routes are feed routes; those that cannot be installed are counted and summarised in
// the log (one line per reason, with an example), not fatal. Returns a slot in state READY with
// generation, routes4/6, rejected, digest and build_ns set; the caller sets the feed fields and
// calls neigh_slot_attach() before publishing it. NULL with errno and a message in err when the
// FIBs cannot hold the table or memory runs out.
struct slot *slot_build(const struct molt_config *cfg, const struct fib_driver *d,
			uint64_t generation, const struct molt_route *routes, uint64_t n_routes,
			struct slot_build_stats *st, char *err, size_t errlen);

// Sizes a slot for routes as slot_build would (slot_size.h), without creating it: the counts,
// the FIB confs and the next-hop capacity. -ENOSPC with a message in err when the table
// exceeds a configured cap, -ENOMEM.
int slot_build_size(const struct molt_config *cfg, const struct molt_route *routes,
		    uint64_t n_routes, struct slot_size *sz, char *err, size_t errlen);

// Builds the lookup structure of each FIB whose driver has seal (drivers/driver.h) from the
// rules added and deleted since its last seal; nothing for the other drivers. Call it after a
// batch of changes, before workers may read the slot, never while they do. Returns 0, or
// -errno with a message in err (the slot then still answers from its previous structure).
int slot_seal(struct slot *s, char *err, size_t errlen);
