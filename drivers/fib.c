// SPDX-License-Identifier: BSD-3-Clause
// "fib" driver: IPv4 on rte_fib DIR24_8, IPv6 on the rte_fib6 TRIE. Both keep their routes in
// an rte_rib tree, so adds cost O(plen) instead of rte_lpm's per-depth rule array shifts: this
// is the driver that builds a full Internet table quickly.
//
// rte_fib does have a RIB, but walk and count answer from a shadow rule table as in the "lpm"
// driver (drivers/shadow.h), which also catches dels of absent rules before they reach DPDK.
// The shadow costs a cache miss per add on a large table: a slot build sizes it once (reserve)
// and prefetches its slots ahead (prefetch), which leaves it ~30 ms of a million-route load.
// Asking the RIB instead (rte_rib_lookup_exact) measured slower than that, even in load order.
//
// live_update_safe is false for both families: in DPDK 22.11 dir24_8.c and trie.c put a tbl8
// group back in the pool as soon as a delete frees it, and the next add may reuse it while a
// worker still reads it (RCU reclamation for rte_fib arrived in 24.11).
//
// Next hops: the 4-byte entries hold values below 2^31; FIB_NH_MAX is never a valid next hop,
// so it serves as rte_fib's default value and reads back as FIB_NH_MISS.

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_memzone.h>

#include "common/log.h"
#include "drivers/driver.h"
#include "drivers/engines.h"
#include "drivers/prefix.h"
#include "drivers/shadow.h"
#include "drivers/util.h"

#define FIB_DEFAULT_NH FIB_NH_MAX
#define LOOKUP_CHUNK 64	// rte_fib returns uint64_t next hops: convert through a stack buffer

struct fib4_fib {
	struct rte_fib *fib;
	uint32_t max_routes;
	uint32_t tbl8_groups;
	struct shadow rules;
};

struct fib6_fib {
	struct rte_fib6 *fib;
	uint32_t max_routes;
	uint32_t tbl8_groups;
	struct shadow rules;
};

static inline uint32_t nh_out(uint64_t v)
{
	return v == FIB_DEFAULT_NH ? FIB_NH_MISS : (uint32_t)v;
}

// IPv4 ////////////////////////////////////////////////////////////////////////////////////////

static inline struct fib4_fib *f4(struct fib *f)
{
	return (struct fib4_fib *)f;
}

static inline const struct fib4_fib *cf4(const struct fib *f)
{
	return (const struct fib4_fib *)f;
}

static struct fib *fib4_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_MEMZONE_NAMESIZE];
	struct fib4_fib *w;

	if (conf == NULL || conf->max_routes == 0 || conf->max_routes > INT32_MAX / 2 ||
	    drv_dpdk_name(dname, sizeof(dname), "f4", name) < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	struct rte_fib_conf fc = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = FIB_DEFAULT_NH,
		.max_routes = (int)conf->max_routes * 2,	// RIB nodes: see FIB_RIB_NODES
		.dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = conf->tbl8_groups},
	};
	w->fib = rte_fib_create(dname, conf->socket_id, &fc);
	if (w->fib == NULL) {
		int err = drv_create_errno();

		LOG_ERR("fib", "rte_fib_create(%s, %u routes, %u tbl8 groups): %s", dname,
			conf->max_routes, conf->tbl8_groups, rte_strerror(rte_errno));
		free(w);
		errno = err;
		return NULL;
	}
	w->max_routes = conf->max_routes;
	w->tbl8_groups = conf->tbl8_groups;
	shadow_init(&w->rules, 4);
	return (struct fib *)w;
}

static int fib4_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct fib4_fib *w = f4(f);
	int ret;

	if (prefix == NULL || plen > 32 || nh >= FIB_NH_MAX)
		return -EINVAL;
	uint32_t key = *(const uint32_t *)prefix & prefix4_mask(plen);
	if ((ret = shadow_admit(&w->rules, w->max_routes, &key, plen)) < 0)
		return ret;
	if ((ret = rte_fib_add(w->fib, key, plen, nh)) < 0)
		return ret;	// -ENOSPC (tbl8 groups or RIB nodes exhausted), -ENOMEM
	shadow_set(&w->rules, &key, plen, nh);
	return 0;
}

static int fib4_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct fib4_fib *w = f4(f);
	int ret;

	if (prefix == NULL || plen > 32)
		return -EINVAL;
	uint32_t key = *(const uint32_t *)prefix & prefix4_mask(plen);
	if (!shadow_get(&w->rules, &key, plen, NULL))
		return -ENOENT;
	if ((ret = rte_fib_delete(w->fib, key, plen)) < 0)
		return ret;
	shadow_del(&w->rules, &key, plen);
	return 0;
}

static int fib4_reserve(struct fib *f, uint64_t n)
{
	return shadow_reserve_n(&f4(f)->rules, f4(f)->max_routes, n);
}

// The add reads the shadow slot first: on a full table it is a cache miss per add.
static void fib4_prefetch(const struct fib *f, const void *prefix, uint8_t plen)
{
	shadow_prefetch(&cf4(f)->rules, prefix, plen);
}

static void fib4_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct fib4_fib *w = cf4(f);
	const uint32_t *a = addrs;
	uint64_t buf[LOOKUP_CHUNK];

	for (unsigned i = 0; i < n; i += LOOKUP_CHUNK) {
		unsigned c = RTE_MIN(n - i, (unsigned)LOOKUP_CHUNK);

		// The prototype lacks const but the lookup only reads the addresses.
		rte_fib_lookup_bulk(w->fib, (uint32_t *)(uintptr_t)&a[i], buf, (int)c);
		// rte_fib writes 64-bit next hops, our callers take 32: a copy is unavoidable, so it
		// is one branch-free narrowing the compiler vectorizes.
		uint32_t *restrict out = nh + i;

		for (unsigned k = 0; k < c; k++) {
			uint32_t v = (uint32_t)buf[k];

			out[k] = v | (uint32_t)-(int32_t)(v == FIB_DEFAULT_NH);
		}
	}
}

// rte_fib's own output: its miss value is FIB_DEFAULT_NH, which is FIB_NH_MISS64 by design.
static void fib4_lookup_bulk64(const struct fib *f, const void *addrs, uint64_t *nh, unsigned n)
{
	static_assert(FIB_DEFAULT_NH == FIB_NH_MISS64, "rte_fib's miss must be lookup_bulk64's");
	// The prototype lacks const but the lookup only reads the addresses.
	rte_fib_lookup_bulk(cf4(f)->fib, (uint32_t *)(uintptr_t)addrs, nh, (int)n);
}

static int fib4_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cf4(f)->rules, cb, arg);
}

static uint64_t fib4_count(const struct fib *f)
{
	return cf4(f)->rules.count;
}

static size_t fib4_memory(const struct fib *f)
{
	const struct fib4_fib *w = cf4(f);

	// tbl24 and tbl8 groups of 4-byte entries, a tbl8 bitmap, and rte_fib's RIB of
	// 2 * max_routes nodes of about 48 bytes. Approximate: DPDK does not report it.
	return sizeof(*w) + ((size_t)1 << 24) * 4 + (size_t)w->tbl8_groups * 256 * 4 +
		w->tbl8_groups / 8 + (size_t)w->max_routes * 2 * 48 + shadow_memory(&w->rules);
}

// struct rte_fib is opaque, and it need not be opened: rte_fib_free hands tbl24 and the tbl8
// groups back with rte_free and the RIB's node pool with rte_mempool_free (memzones), and DPDK
// 22.11 clears every byte of heap memory as it frees it (malloc_elem_free: zeroed unless built
// with RTE_MALLOC_DEBUG, which poisons it instead). test/unit/drivers/scrub_test.c checks that
// this still holds for the DPDK we run on. Deleting the routes one by one first, as this did
// before, cleared the same memory in about 1.5 s per million routes.
static void fib4_free_scrub(struct fib *f)
{
	struct fib4_fib *w = f4(f);

	if (w == NULL)
		return;
	rte_fib_free(w->fib);
	shadow_scrub_free(&w->rules);
	explicit_bzero(w, sizeof(*w));
	free(w);
}

// IPv6 ////////////////////////////////////////////////////////////////////////////////////////

// The 22.11 trie admits an add only if the tbl8 groups it could need are free, counted
// without sharing: one per byte between the covering route's length and the new one's
// (trie_modify's depth_diff), and it keeps that count until the route is deleted. A /48 with
// no covering route below /24 reserves 3 groups however many it shares, so unlike rte_lpm6
// (drv_v6_tbl8_groups) the trie must be sized for the worst case of Internet-like tables:
// 3 per route, i.e. 3 KiB a route (~600 MiB for 200k). Routes longer than /48 reserve more
// and may hit -ENOSPC before max_routes.
static uint32_t trie_tbl8_groups(uint32_t max_routes)
{
	uint64_t g = (uint64_t)max_routes * 3 + 4096;

	return g > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)g;
}

static inline struct fib6_fib *f6(struct fib *f)
{
	return (struct fib6_fib *)f;
}

static inline const struct fib6_fib *cf6(const struct fib *f)
{
	return (const struct fib6_fib *)f;
}

static struct fib *fib6_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_MEMZONE_NAMESIZE];
	struct fib6_fib *w;

	if (conf == NULL || conf->max_routes == 0 || conf->max_routes > INT32_MAX / 2 ||
	    drv_dpdk_name(dname, sizeof(dname), "f6", name) < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	struct rte_fib6_conf fc = {
		.type = RTE_FIB6_TRIE,
		.default_nh = FIB_DEFAULT_NH,
		.max_routes = (int)conf->max_routes * 2,	// RIB nodes: see FIB_RIB_NODES
		.trie = {.nh_sz = RTE_FIB6_TRIE_4B,
			.num_tbl8 = trie_tbl8_groups(conf->max_routes)},
	};
	w->fib = rte_fib6_create(dname, conf->socket_id, &fc);
	if (w->fib == NULL) {
		int err = drv_create_errno();

		LOG_ERR("fib", "rte_fib6_create(%s, %u routes, %u tbl8 groups): %s", dname,
			conf->max_routes, fc.trie.num_tbl8, rte_strerror(rte_errno));
		free(w);
		errno = err;
		return NULL;
	}
	w->max_routes = conf->max_routes;
	w->tbl8_groups = fc.trie.num_tbl8;
	shadow_init(&w->rules, PREFIX6_LEN);
	return (struct fib *)w;
}

static int fib6_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct fib6_fib *w = f6(f);
	uint8_t key[PREFIX6_LEN];
	int ret;

	if (prefix == NULL || plen > 128 || nh >= FIB_NH_MAX)
		return -EINVAL;
	prefix6_mask(key, prefix, plen);
	if ((ret = shadow_admit(&w->rules, w->max_routes, key, plen)) < 0)
		return ret;
	if ((ret = rte_fib6_add(w->fib, key, plen, nh)) < 0)
		return ret;	// -ENOSPC (tbl8 groups or RIB nodes exhausted), -ENOMEM
	shadow_set(&w->rules, key, plen, nh);
	return 0;
}

static int fib6_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct fib6_fib *w = f6(f);
	uint8_t key[PREFIX6_LEN];
	int ret;

	if (prefix == NULL || plen > 128)
		return -EINVAL;
	prefix6_mask(key, prefix, plen);
	if (!shadow_get(&w->rules, key, plen, NULL))
		return -ENOENT;
	if ((ret = rte_fib6_delete(w->fib, key, plen)) < 0)
		return ret;
	shadow_del(&w->rules, key, plen);
	return 0;
}

static int fib6_reserve(struct fib *f, uint64_t n)
{
	return shadow_reserve_n(&f6(f)->rules, f6(f)->max_routes, n);
}

static void fib6_prefetch(const struct fib *f, const void *prefix, uint8_t plen)
{
	shadow_prefetch(&cf6(f)->rules, prefix, plen);
}

static void fib6_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct fib6_fib *w = cf6(f);
	// The prototype lacks const but the lookup only reads the addresses.
	uint8_t (*a)[16] = (uint8_t (*)[16])(uintptr_t)addrs;
	uint64_t buf[LOOKUP_CHUNK];

	for (unsigned i = 0; i < n; i += LOOKUP_CHUNK) {
		unsigned c = RTE_MIN(n - i, (unsigned)LOOKUP_CHUNK);

		rte_fib6_lookup_bulk(w->fib, &a[i], buf, (int)c);
		for (unsigned k = 0; k < c; k++)
			nh[i + k] = nh_out(buf[k]);
	}
}

static int fib6_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cf6(f)->rules, cb, arg);
}

static uint64_t fib6_count(const struct fib *f)
{
	return cf6(f)->rules.count;
}

static size_t fib6_memory(const struct fib *f)
{
	const struct fib6_fib *w = cf6(f);

	// tbl24 and tbl8 groups of 4-byte entries, a 4-byte pool slot per group, and the RIB6 of
	// 2 * max_routes nodes of about 64 bytes.
	return sizeof(*w) + ((size_t)1 << 24) * 4 + (size_t)w->tbl8_groups * (256 * 4 + 4) +
		(size_t)w->max_routes * 2 * 64 + shadow_memory(&w->rules);
}

static void fib6_free_scrub(struct fib *f)
{
	struct fib6_fib *w = f6(f);

	if (w == NULL)
		return;
	// As for IPv4: rte_fib6_free releases the trie's tables and the RIB6 node pool, and DPDK
	// clears them as it does.
	rte_fib6_free(w->fib);
	shadow_scrub_free(&w->rules);
	explicit_bzero(w, sizeof(*w));
	free(w);
}

const struct fib_ops molt_fib4_ops = {
	.family = 4,
	.create = fib4_create,
	.add = fib4_add,
	.del = fib4_del,
	.lookup_bulk = fib4_lookup_bulk,
	.lookup_bulk64 = fib4_lookup_bulk64,
	.walk = fib4_walk,
	.count = fib4_count,
	.memory = fib4_memory,
	.reserve = fib4_reserve,
	.prefetch = fib4_prefetch,
	.free_scrub = fib4_free_scrub,
};

const struct fib_ops molt_fib6_ops = {
	.family = 6,
	.create = fib6_create,
	.add = fib6_add,
	.del = fib6_del,
	.lookup_bulk = fib6_lookup_bulk,
	.walk = fib6_walk,
	.count = fib6_count,
	.memory = fib6_memory,
	.reserve = fib6_reserve,
	.prefetch = fib6_prefetch,
	.free_scrub = fib6_free_scrub,
};

static const struct fib_driver fib_driver = {
	.name = "fib",
	.description = "rte_fib DIR24_8 for IPv4, rte_fib6 TRIE for IPv6",
	.live_update_safe_v4 = false,	// see the top of this file
	.live_update_safe_v6 = false,
	.v4 = &molt_fib4_ops,
	.v6 = &molt_fib6_ops,
};

RTE_INIT(fib_driver_init)
{
	fib_driver_register(&fib_driver);
}
