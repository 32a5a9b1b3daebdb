// SPDX-License-Identifier: BSD-3-Clause
// Route planning: what a slot holds for a feed route, the same rules for a build (slot_build.c)
// and for a live update (slot_update.c). Connected and local prefixes are ours: a feed route
// with the same prefix is shadowed (counted, not installed) rather than allowed to redirect
// traffic for our own subnets. A gateway reaches its port through the connected subnets
// (longest match) unless a dev is given. Routes that cannot be installed are rejected with a
// reason. For a build, the planner also collects the slot's next-hop table (one entry per
// distinct gateway and port) and the connected and local rules every slot holds.
// One planner per thread (control or builder).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/rib/rib.h"
#include "common/route.h"
#include "control/config/config.h"
#include "dataplane/nexthop.h"

enum slot_reject {
	SLOT_REJECT_DEV, // `dev NAME` is not a configured port
	SLOT_REJECT_OFFLINK, // gateway not on a connected subnet (and no dev given)
	SLOT_REJECT_LINKLOCAL, // IPv6 link-local gateway without dev: ambiguous
	SLOT_REJECT_GATEWAY, // gateway is not a unicast address
	SLOT_REJECT_GROUP, // multipath: the group's records are missing, or no path is usable
	SLOT_REJECT_MAX
};

const char *slot_reject_reason(enum slot_reject r);

struct slot_planner;

// Collects cfg's connected subnets and local addresses. NULL with errno (ENOMEM).
struct slot_planner *slot_planner_create(const struct molt_config *cfg);
void slot_planner_destroy(struct slot_planner *p); // NULL-safe

enum slot_plan_kind {
	SLOT_PLAN_SHADOWED, // a connected/local route has this prefix: not installed
	SLOT_PLAN_GROUP_RECORD, // a next-hop group's path record, not a route (counted as shadowed)
	SLOT_PLAN_REJECTED, // not installable: why says so
	SLOT_PLAN_BLACKHOLE,
	SLOT_PLAN_DEV, // on-link through port_id
	SLOT_PLAN_GATEWAY, // via gateway out of port_id
	SLOT_PLAN_GROUP, // multipath: a next-hop group, a path picked per flow
};

// One path of a GROUP plan, in the group's canonical order.
struct slot_plan_path {
	bool placed; // the path's port is known (else it is never used)
	uint8_t family; // of the gateway
	uint16_t port_id; // placed: DPDK port id
	uint16_t weight;
	uint8_t gateway[16];
};

struct slot_plan {
	enum slot_plan_kind kind;
	enum slot_reject why; // REJECTED
	uint16_t port_index; // DEV, GATEWAY: config index of the egress port
	uint16_t port_id; // and its DPDK port id
	uint8_t gateway[16]; // GATEWAY, network order
	// GROUP: the group's id and its paths (at least one placed).
	uint64_t group_id;
	unsigned n_paths;
	struct slot_plan_path paths[MOLT_MAX_PATHS];
};

// Where the planner finds the paths of multipath routes: a table holding the group records
// (moltd's mirror of the feed, on the control thread; not copied, it must outlive its use), or
// an index of its own over routes[0..n) (a build). The latter returns 0 or -ENOMEM.
void slot_planner_use_groups(struct slot_planner *p, const struct rib *groups);
int slot_planner_index_groups(struct slot_planner *p, const struct molt_route *routes, uint64_t n);

// Plans r. A rejection is also counted in the planner (slot_planner_rejected). A multipath
// route is planned as its group, every path placed like a 'via' route; paths that cannot be
// placed stay in the group (so its bucket table is the same in every slot) but are never used;
// a group with no placed path is rejected.
void slot_plan_route(struct slot_planner *p, const struct molt_route *r, struct slot_plan *out);

// --- building a slot's tables -----------------------------------------------------------------

#define SLOT_PLAN_SKIP UINT32_MAX // the route is not installed (shadowed or rejected)

// Plans r and returns the index of its next hop in the planner's table (a gateway entry is
// created on first use, UNRESOLVED), with one more reference counted on it; SLOT_PLAN_SKIP
// when r is not installed, *shadowed telling whether a connected/local route won. -ENOMEM or
// -ENOSPC (FIB_NH_MAX) when the table cannot grow.
int64_t slot_planner_add(struct slot_planner *p, const struct molt_route *r, bool *shadowed);

// The next-hop table so far (*count entries). Valid until the next slot_planner_add.
const struct molt_nh *slot_planner_nhs(const struct slot_planner *p, uint32_t *count);

// The next-hop groups so far (*count entries, counter rows not yet taken): NH_GROUP next hop k
// of the table names group k. Valid until the next slot_planner_add.
const struct molt_nh_group *slot_planner_groups(const struct slot_planner *p, uint32_t *count);

// Fills g (zeroed by the caller) from a GROUP plan whose placed paths have next hops
// path_nh[i] (UINT32_MAX for paths not placed): ids, weights, the bucket table. Returns 0 or
// -EINVAL (a weight out of range).
int slot_plan_group_fill(const struct slot_plan *pl, const uint32_t *path_nh,
			 struct molt_nh_group *g);

// A connected or local rule: every slot holds them all.
struct slot_rule {
	uint8_t family;
	uint8_t plen;
	uint32_t nh; // index in the planner's next-hop table
	uint8_t prefix[16]; // network order, host bits zero
};

const struct slot_rule *slot_planner_rules(const struct slot_planner *p, unsigned *n);

// Routes rejected for `why` so far; *example is the first of them (when there is one).
uint64_t slot_planner_rejected(const struct slot_planner *p, enum slot_reject why,
			       const struct molt_route **example);
