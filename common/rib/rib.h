// SPDX-License-Identifier: BSD-3-Clause
// The route server's table: one route per (family, plen, prefix), kept as a dense array (what
// gets published) indexed by an open-addressing hash table. Single-threaded.
#pragma once

#include <stdint.h>

#include "common/route.h"

struct rib {
	struct molt_route *routes; // dense, in insertion order; published as is
	uint32_t count;
	uint32_t alloc;
	uint64_t *slots; // 0 empty, else (hash >> 32) << 32 | (index + 1)
	uint32_t mask; // number of slots - 1 (a power of two)
	uint32_t count_v4;
	uint32_t count_groups; // next-hop group records (common/route.h): count - the routes
	uint32_t count_group_ids; // next-hop groups (their path 0 records)
	uint64_t digest; // sum of molt_route_hash() of all routes, kept incrementally
};

// The routes held, without the next-hop group records.
static inline uint32_t rib_routes(const struct rib *rib)
{
	return rib->count - rib->count_groups;
}

// Sizes the table for about `hint` routes (it grows past that). Returns 0 or -ENOMEM.
int rib_init(struct rib *rib, uint32_t hint);

void rib_free(struct rib *rib);

// Inserts r, or replaces the route with the same key. Returns 0 when added, 1 when it
// replaced a route, -ENOMEM, or -E2BIG past 2^32 - 2 routes.
int rib_add(struct rib *rib, const struct molt_route *r);

// rib_add() on routes[0..n) in order (a later route for a key replaces an earlier one), with
// the hash slots prefetched first: a bulk load is bound by cache misses on the slot table.
// Returns the number of replaced routes, or -ENOMEM / -E2BIG (routes before the failing one
// are in the table).
int rib_add_bulk(struct rib *rib, const struct molt_route *routes, uint32_t n);

// Removes the route with key's (family, plen, prefix). Returns 0 or -ENOENT. The last route
// moves into the hole, so the order of routes is not stable across deletes.
int rib_del(struct rib *rib, const struct molt_route *key);

// Returns the route with key's (family, plen, prefix), or NULL.
const struct molt_route *rib_find(const struct rib *rib, const struct molt_route *key);

// The paths of multipath route r's group as rib holds them (in the group's canonical order).
// Returns their number, or -ENOENT when a record is missing.
int rib_group_paths(const struct rib *rib, const struct molt_route *r,
		    struct molt_path paths[MOLT_MAX_PATHS]);

// Formats r in the route-file syntax, a multipath route with its paths (rib_group_paths).
// Returns the length like snprintf.
int rib_route_format(const struct rib *rib, const struct molt_route *r, char *buf, size_t len);
