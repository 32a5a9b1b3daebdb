// SPDX-License-Identifier: BSD-3-Clause
// Builds a slot from moltd's config (connected and local routes from the port addresses) and a
// snapshot of the route feed. Control thread only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/route.h"
#include "control/config/config.h"
#include "dataplane/slot.h"

enum slot_reject {
	SLOT_REJECT_DEV,	// `dev NAME` is not a configured port
	SLOT_REJECT_OFFLINK,	// gateway not on a connected subnet (and no dev given)
	SLOT_REJECT_LINKLOCAL,	// IPv6 link-local gateway without dev: ambiguous
	SLOT_REJECT_GATEWAY,	// gateway is not a unicast address
	SLOT_REJECT_MAX
};

struct slot_build_stats {
	uint64_t rejected[SLOT_REJECT_MAX];
	uint64_t shadowed;	// feed routes whose prefix is a connected/local route: ours win
	uint64_t connected;	// connected and local routes installed
	uint64_t plan_ns;	// deciding next hops (first pass over the feed routes)
	uint64_t alloc_ns;	// creating the empty FIBs and next-hop table
	uint64_t fib4_ns;	// time spent in the driver's IPv4 add (the usual bottleneck)
	uint64_t fib6_ns;	// and in its IPv6 add
	uint32_t nh_count;	// next-hop entries used
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

const char *slot_reject_reason(enum slot_reject r);

// Per-route planning, the rules slot_build applies and live updates (slot_update.c) reuse:
// connected/local prefixes shadow feed routes, gateways resolve to a port through the
// connected subnets (longest match) unless a dev is given, some routes are rejected.
struct slot_planner;

// Collects cfg's connected subnets and local addresses. NULL with errno (ENOMEM).
struct slot_planner *slot_planner_create(const struct molt_config *cfg);
void slot_planner_destroy(struct slot_planner *p); // NULL-safe

enum slot_plan_kind {
	SLOT_PLAN_SHADOWED,	// a connected/local route has this prefix: not installed
	SLOT_PLAN_REJECTED,	// not installable: why says so
	SLOT_PLAN_BLACKHOLE,
	SLOT_PLAN_DEV,		// on-link through port_id
	SLOT_PLAN_GATEWAY,	// via gateway out of port_id
};

struct slot_plan {
	enum slot_plan_kind kind;
	enum slot_reject why;	// REJECTED
	uint16_t port_index;	// DEV, GATEWAY: config index of the egress port
	uint16_t port_id;	// and its DPDK port id
	uint8_t gateway[16];	// GATEWAY, network order
};

void slot_plan_route(struct slot_planner *p, const struct molt_route *r, struct slot_plan *out);
