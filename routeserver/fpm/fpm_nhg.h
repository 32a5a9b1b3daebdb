// SPDX-License-Identifier: BSD-3-Clause
// zebra's next hops and next-hop groups of one FPM session, by id (RTM_NEWNEXTHOP): what a
// route's RTA_NH_ID refers to. Ids are zebra's and mean nothing after the session ends, so the
// table is emptied on disconnect. Single-threaded.
#pragma once

#include <stdint.h>

#include "routeserver/fpm/fpm_parse.h"

struct fpm_nhg {
	struct fpm_nh *nh; // open addressing by id, id 0 = empty slot
	uint32_t mask; // slots - 1 (a power of two), 0 before the first insert
	uint32_t count;
};

// Inserts or replaces nh (by nh->id). Returns 0 when added, 1 when replaced, -ENOMEM.
int fpm_nhg_set(struct fpm_nhg *t, const struct fpm_nh *nh);

// Removes id from the table alone (groups that list it keep it). Returns 0 or -ENOENT.
int fpm_nhg_del(struct fpm_nhg *t, uint32_t id);

// What fpm_nhg_remove did to a next hop: `gone` (deleted), or not (a group that lost a member
// and keeps the others).
typedef void (*fpm_nhg_fn)(void *ctx, uint32_t id, bool gone);

// Deletes next hop id the way the kernel does on RTM_DELNEXTHOP (net/ipv4/nexthop.c): it
// leaves every group that lists it, the other members keep their weights, and a group left
// without members is deleted too. Then fn (may be NULL) is told about id (gone) and each group
// it was in (gone when emptied), so the caller can remove the routes through what is gone and
// resolve again those through the groups that changed. Returns 0, -ENOENT (unknown id,
// nothing changed) or -ENOMEM (nothing changed).
int fpm_nhg_remove(struct fpm_nhg *t, uint32_t id, fpm_nhg_fn fn, void *ctx);

const struct fpm_nh *fpm_nhg_find(const struct fpm_nhg *t, uint32_t id);

// Empties the table and frees its memory.
void fpm_nhg_clear(struct fpm_nhg *t);

// The paths a route through next hop `id` takes: a single next hop gives one path, a group
// its members' paths (each member a single next hop) with the group's weights. Returns the
// number of paths (at most FPM_MAX_PATHS), 0 for a blackhole next hop (*blackhole set), or
// -ENOENT (the id or a member is unknown) or -EINVAL (unusable: encapsulation, a group of
// groups, a blackhole inside a group).
int fpm_nhg_resolve(const struct fpm_nhg *t, uint32_t id, struct fpm_path *paths, bool *blackhole);
