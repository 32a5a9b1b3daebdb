// SPDX-License-Identifier: BSD-3-Clause
// FIB drivers: one small ops table per engine, so a slot does not care which structure holds
// its routes (docs/architecture.md). One driver provides an IPv4 and an IPv6 FIB.
//
// Conventions (every op): 0 or -errno on failure; NULL with errno set for create. Addresses:
// IPv4 as uint32_t in HOST byte order (what rte_lpm takes), IPv6 as 16 bytes network order.
// Next-hop values are < FIB_NH_MAX. A lookup miss yields FIB_NH_MISS.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIB_NH_MAX (1u << 20) // fits rte_lpm (24 bits) and rte_lpm6 (21 bits)
#define FIB_NH_MISS UINT32_MAX
#define FIB_NH_MISS64 ((uint64_t)FIB_NH_MAX) // lookup_bulk64's miss: never a valid next hop

// The fixed-size pools of the DPDK engines, counted exactly from the prefixes a FIB is about to
// hold, headroom included (control/slot/slot_size.h). A count of 0 leaves the engine to size
// that pool for the worst case of max_routes routes, as a caller that knows only a count does.
struct fib_conf {
	uint32_t max_routes; // rules the FIB must hold
	uint32_t tbl8_groups; // IPv4 DIR-24-8 tbl8 groups (rte_lpm, rte_fib)
	uint32_t rib_nodes; // rte_fib / rte_fib6 RIB nodes: routes and branch points
	uint32_t tbl8_groups_v6; // rte_lpm6 tbl8 groups in use
	uint32_t trie_tbl8_groups; // rte_fib6 TRIE tbl8 groups its admission check reserves
	int socket_id; // NUMA socket, SOCKET_ID_ANY allowed
};

typedef int (*fib_walk_cb)(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg);

// A piece of the memory lookup_bulk reads (control/integrity/ MACs it page by page).
struct fib_region {
	const void *addr;
	size_t len;
	const char *name; // static string: "tbl24", "tbl8", "image", ...
};

// Called with one span of lookup memory (inside a region) per call.
typedef void (*fib_span_cb)(const void *addr, size_t len, void *arg);

struct fib; // opaque, one per (driver, family) instance

struct fib_ops {
	uint8_t family; // 4 or 6
	// Creates an empty FIB. name must be unique among live DPDK objects (the caller derives it
	// from the slot generation). errno: EINVAL, ENOMEM, EEXIST.
	struct fib *(*create)(const char *name, const struct fib_conf *conf);
	// Adds or replaces prefix/plen -> nh. prefix: uint32_t* (host order) for IPv4, uint8_t[16]
	// for IPv6, host bits zero. -EINVAL bad plen/nh, -ENOSPC table full.
	int (*add)(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh);
	// Deletes prefix/plen. -ENOENT when absent.
	int (*del)(struct fib *f, const void *prefix, uint8_t plen);
	// Looks up n addresses (uint32_t host order array for IPv4; uint8_t[n][16] for IPv6)
	// writing nh[i] or FIB_NH_MISS. Safe to call from any number of workers at once.
	void (*lookup_bulk)(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n);
	// Optional (NULL if absent): lookup_bulk into 64-bit next hops, for an engine that
	// produces them (rte_fib), so the worker reads its output without a narrowing copy.
	// Writes nh[i] < FIB_NH_MAX, or FIB_NH_MISS64 on a miss. Same thread safety.
	void (*lookup_bulk64)(const struct fib *f, const void *addrs, uint64_t *nh, unsigned n);
	// Visits every rule exactly once, in no particular order; prefix as for add (IPv4 as a
	// uint32_t in host order, passed by pointer). Stops early and returns cb's non-zero value.
	int (*walk)(const struct fib *f, fib_walk_cb cb, void *arg);
	uint64_t (*count)(const struct fib *f); // rules held
	size_t (*memory)(const struct fib *f); // bytes allocated for it
	// Optional (NULL: nothing worth counting): bytes of DPDK heap memory (rte_malloc and
	// memzones) that create takes for conf, an upper bound, so that a caller can tell whether
	// a FIB fits before creating it. An engine that maps its own memory leaves it NULL.
	size_t (*heap_bytes)(const struct fib_conf *conf);
	// Optional (NULL if absent), for bulk loads; neither changes which rules the FIB holds.
	// reserve: about n more rules are coming, so size the driver's own bookkeeping once rather
	// than grow it add by add. -ENOMEM leaves the FIB as it was (adds still work).
	int (*reserve)(struct fib *f, uint64_t n);
	// prefetch: prefix/plen (as for add) is about to be added or deleted; start loading what
	// that op reads first, so a caller walking a long list can overlap the cache misses.
	void (*prefetch)(const struct fib *f, const void *prefix, uint8_t plen);
	// Frees the FIB and leaves none of its memory holding routes: every byte is overwritten,
	// by the driver or by the allocator that takes it back (DPDK's heap clears what it frees:
	// drivers/fib.c, checked by the drivers-scrub unit test). NULL-safe.
	void (*free_scrub)(struct fib *f);
	// Optional; NULL for incremental engines, whose add and del reach lookup_bulk at once. A
	// driver with seal builds its lookup structure there: callers call it after a batch of
	// add/del and before lookups. Until then lookup_bulk answers from the rules as of the
	// previous seal (every address misses before the first). It replaces the structure
	// workers read, so never while lookups run on f. Quick when nothing changed since the
	// last seal. -ENOMEM or -E2BIG: the previous structure stays (and the FIB stays unsealed).
	int (*seal)(struct fib *f);
	// Optional (NULL: the engine's lookup memory is not exposed, and not audited). The memory
	// lookup_bulk reads, as up to max regions, in a fixed order. Returns the count or -errno
	// (-EBADMSG when the engine's internals are not what this driver was written for; -ENOSPC
	// when max is too small). A region may move or change size only in seal.
	int (*regions)(const struct fib *f, struct fib_region *r, unsigned max);
	// Optional (NULL: all of the regions). Visits, through cb, the lookup memory lookups can
	// reach now (the whole first level and the groups it leads to, not a pool's free ones):
	// memory outside it has no effect on any lookup until an add makes it reachable, which
	// writes all of what it takes (touched visits it then). -EBADMSG as for touched.
	int (*reachable)(const struct fib *f, fib_span_cb cb, void *arg);
	// Optional (NULL: any add or del may write any of the regions). Visits, through cb, every
	// span of lookup memory an add or del of prefix/plen (as for add) may write: the entries
	// lookups of addresses inside prefix/plen read, and whatever those entries lead to. The
	// caller visits before the change and again after it: together they cover every byte the
	// change writes (a tbl8 group it frees is reached before, one it takes after). An engine
	// with seal writes no lookup memory in add or del: it visits nothing. -EBADMSG when the
	// structure is inconsistent (a group index out of range).
	int (*touched)(const struct fib *f, const void *prefix, uint8_t plen, fib_span_cb cb,
		       void *arg);
	// Optional, fault injection only (NULL: -ENOTSUP). Writes the lookup memory that resolves
	// addr (one address, as for lookup_bulk) so that it yields nh, directly (not through add),
	// the way a memory-write bug would, lifting a write protection for the store if it has to.
	// Writes which region and offset it changed into what. Never while lookups run unless the
	// caller accepts a torn read (the store is one aligned word). -ENOTSUP when the engine
	// cannot, -EINVAL for nh >= FIB_NH_MAX.
	int (*debug_redirect)(struct fib *f, const void *addr, uint32_t nh, char *what, size_t len);
};

struct fib_driver {
	const char *name; // "lpm", "fib", "reference", ...
	const char *description;
	// Whether del (and add) may run while workers call lookup_bulk on the same FIB. When false
	// the slot machinery never modifies this driver's FIB while it is ACTIVE.
	bool live_update_safe_v4;
	bool live_update_safe_v6;
	const struct fib_ops *v4;
	const struct fib_ops *v6;
};

// Drivers register themselves from a constructor (RTE_INIT); no central table.
void fib_driver_register(const struct fib_driver *d);
const struct fib_driver *fib_driver_find(const char *name);
// Iterates registered drivers: pass NULL to get the first.
const struct fib_driver *fib_driver_next(const struct fib_driver *prev);
