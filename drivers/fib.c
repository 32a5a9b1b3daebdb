// SPDX-License-Identifier: BSD-3-Clause
// "fib" driver: IPv4 on rte_fib DIR24_8, IPv6 on the rte_fib6 TRIE. Both keep their routes in
// an rte_rib tree, so adds cost O(plen) instead of rte_lpm's per-depth rule array shifts: this
// is the driver that builds a full Internet table quickly.
//
// rte_fib does have a RIB, but walk and count answer from the shadow rule table of
// drivers/dpdk_wrap.h as for "lpm", which also catches dels of absent rules before DPDK does.
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
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include "common/log.h"
#include "drivers/dirtab.h"
#include "drivers/dpdk_wrap.h"
#include "drivers/engines.h"

#define FIB_DEFAULT_NH FIB_NH_MAX
#define LOOKUP_CHUNK 64 // rte_fib returns uint64_t next hops: convert through a stack buffer

// rte_fib and rte_fib6 give their RIB twice the max_routes they are created with in nodes: a
// node per route and one per branch point, the worst case. A caller that counted its nodes
// (fib_conf.rib_nodes) gets half of them, rounded up, as max_routes.
static uint32_t rib_routes(const struct fib_conf *conf)
{
	uint64_t n = conf->rib_nodes != 0 ? (conf->rib_nodes + 1ull) / 2 : conf->max_routes;

	return n > INT32_MAX / 2 ? INT32_MAX / 2 : (uint32_t)n;
}

// Heap bytes of the RIB of an rte_fib / rte_fib6 created with max_routes: a mempool of twice
// as many nodes and its ring of pointers (a power of two above that). Measured on DPDK 22.11
// with --no-huge: 195 bytes a node for both families (the object padded to spread over memory
// channels); 200 is an upper bound, and 64 KiB covers the fixed parts (names, headers).
static size_t rib_heap_bytes(uint32_t max_routes)
{
	uint64_t nodes = (uint64_t)max_routes * 2;

	return (size_t)nodes * 200 + (size_t)rte_align64pow2(nodes + 1) * 8 + 65536;
}

// The 2^24-entry table both DIR-24-8 and the TRIE start with, 4-byte entries.
#define TBL24_BYTES (((size_t)1 << 24) * 4)
// A tbl8 group: 256 entries of 4 bytes. Both engines allocate one group more than asked.
#define TBL8_BYTES ((size_t)256 * 4)

// rte_fib writes 64-bit next hops, our callers take 32: one branch-free narrowing the compiler
// vectorizes, FIB_DEFAULT_NH becoming FIB_NH_MISS.
static inline void narrow_nh(const uint64_t *in, uint32_t *restrict out, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		uint32_t v = (uint32_t)in[k];

		out[k] = v | (uint32_t) - (int32_t)(v == FIB_DEFAULT_NH);
	}
}

// The lookup memory (dirtab.h), for the integrity audit and fault injection. rte_fib and
// rte_fib6 keep it in private structs (lib/fib/dir24_8.h and trie.h in DPDK 22.11), reached
// through rte_fib_get_dp / rte_fib6_get_dp: mirrored here, and every field and allocation size
// checked against what create asked for, so that a DPDK with another layout fails the check
// (-EBADMSG, logged) instead of exposing the wrong memory.
struct dir24_8_tbl_2211 {
	uint32_t number_tbl8s;
	uint32_t rsvd_tbl8s;
	uint32_t cur_tbl8s;
	uint32_t nh_sz; // enum rte_fib_dir24_8_nh_sz
	uint64_t def_nh;
	uint64_t *tbl8;
	uint64_t *tbl8_idxes;
	alignas(64) uint64_t tbl24[];
};

struct trie_tbl_2211 {
	uint32_t number_tbl8s;
	uint32_t rsvd_tbl8s;
	uint32_t cur_tbl8s;
	uint64_t def_nh;
	uint32_t nh_sz; // enum rte_fib_trie_nh_sz
	uint64_t *tbl8;
	uint32_t *tbl8_pool;
	uint32_t tbl8_pool_pos;
	alignas(64) uint64_t tbl24[];
};

static_assert(offsetof(struct dir24_8_tbl_2211, tbl24) == 64, "dir24_8_tbl layout");
static_assert(offsetof(struct trie_tbl_2211, tbl24) == 64, "rte_trie_tbl layout");

// Both engines' 4-byte entries: next hop << 1, bit 0 set for "group index << 1". DIR24_8 has
// one tbl8 level, whose entries it writes with bit 0 set too (its lookup ignores that bit
// there); the TRIE follows bit 0 at every level.
static bool dir24_ext(uint32_t e, unsigned level, uint32_t *group)
{
	*group = e >> 1;
	return level == 0 && (e & 1) != 0;
}

static uint32_t dir24_with_nh(uint32_t e, unsigned level, uint32_t nh)
{
	(void)e;
	return nh << 1 | (level != 0);
}

static bool trie_ext(uint32_t e, unsigned level, uint32_t *group)
{
	(void)level;
	*group = e >> 1;
	return (e & 1) != 0;
}

static uint32_t trie_with_nh(uint32_t e, unsigned level, uint32_t nh)
{
	(void)e;
	(void)level;
	return nh << 1;
}

// Checks what create made against what the mirrored struct says, and fills t.
static int fib_dirtab(const struct wrap_fib *w, const char *what, uint32_t n_tbl8, uint32_t nh_sz,
		      uint64_t def_nh, const void *dp, uint32_t *tbl24, uint64_t *tbl8,
		      struct dirtab *t)
{
	size_t dp_len = 0, tbl8_len = 0;

	t->groups = (uint64_t)n_tbl8 + 1; // both allocate one group more than they hold
	// DIR24_8 rounds its group count up to its bitmap's 64-bit words.
	if (n_tbl8 < w->tbl8_groups || n_tbl8 >= w->tbl8_groups + 64 || nh_sz != 2 ||
	    def_nh != FIB_DEFAULT_NH || rte_malloc_validate(dp, &dp_len) != 0 ||
	    dp_len < 64 + DIRTAB_TBL24_ENTRIES * 4 || rte_malloc_validate(tbl8, &tbl8_len) != 0 ||
	    tbl8_len < t->groups * DIRTAB_GROUP_ENTRIES * 4) {
		LOG_ERR("fib",
			"%s: the engine's tables are not laid out as in DPDK 22.11 (%u tbl8 groups, "
			"created with %u; entry size code %u; %zu + %zu bytes): not exposed",
			what, n_tbl8, w->tbl8_groups, nh_sz, dp_len, tbl8_len);
		return -EBADMSG;
	}
	t->tbl24 = tbl24;
	t->tbl8 = (uint32_t *)tbl8;
	return 0;
}

static int fib4_dirtab(const struct fib *f, struct dirtab *t)
{
	const struct wrap_fib *w = cwrap(f);
	struct dir24_8_tbl_2211 *dp = rte_fib_get_dp(w->engine);

	if (dp == NULL)
		return -EBADMSG;
	t->ext = dir24_ext;
	t->with_nh = dir24_with_nh;
	return fib_dirtab(w, "rte_fib", dp->number_tbl8s, dp->nh_sz, dp->def_nh, dp,
			  (uint32_t *)dp->tbl24, dp->tbl8, t);
}

static int fib6_dirtab(const struct fib *f, struct dirtab *t)
{
	const struct wrap_fib *w = cwrap(f);
	struct trie_tbl_2211 *dp = rte_fib6_get_dp(w->engine);

	if (dp == NULL)
		return -EBADMSG;
	t->ext = trie_ext;
	t->with_nh = trie_with_nh;
	return fib_dirtab(w, "rte_fib6", dp->number_tbl8s, dp->nh_sz, dp->def_nh, dp,
			  (uint32_t *)dp->tbl24, dp->tbl8, t);
}

// IPv4 ////////////////////////////////////////////////////////////////////////////////////////

static int fib4_engine_add(void *e, const void *key, uint8_t plen, uint32_t nh)
{
	return rte_fib_add(e, *(const uint32_t *)key, plen, nh);
}

static int fib4_engine_del(void *e, const void *key, uint8_t plen)
{
	return rte_fib_delete(e, *(const uint32_t *)key, plen);
}

static const struct wrap_engine fib4_engine = {
	.family = 4,
	.add = fib4_engine_add,
	.del = fib4_engine_del,
};

static struct fib *fib4_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_MEMZONE_NAMESIZE];
	struct wrap_fib *w;

	w = wrap_alloc(&fib4_engine, conf, INT32_MAX / 2, "f4", name, dname, sizeof(dname));
	if (w == NULL)
		return NULL;
	struct rte_fib_conf fc = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = FIB_DEFAULT_NH,
		.max_routes = (int)rib_routes(conf),
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = conf->tbl8_groups },
	};
	w->engine = rte_fib_create(dname, conf->socket_id, &fc);
	if (w->engine == NULL) {
		LOG_ERR("fib", "rte_fib_create(%s, %u routes, %d RIB routes, %u tbl8 groups): %s",
			dname, conf->max_routes, fc.max_routes, conf->tbl8_groups,
			rte_strerror(rte_errno));
		return wrap_create_failed(w);
	}
	w->tbl8_groups = conf->tbl8_groups;
	w->rib_routes = (uint32_t)fc.max_routes;
	return (struct fib *)w;
}

// tbl24, the tbl8 groups and their bitmap, the RIB; dir24_8_create's own struct is small.
static size_t fib4_heap(uint32_t tbl8_groups, uint32_t rib_max_routes)
{
	return TBL24_BYTES + ((size_t)tbl8_groups + 1) * TBL8_BYTES + tbl8_groups / 8 + 64 +
	       rib_heap_bytes(rib_max_routes);
}

static size_t fib4_heap_bytes(const struct fib_conf *conf)
{
	return fib4_heap(conf->tbl8_groups, rib_routes(conf));
}

static void fib4_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const uint32_t *a = addrs;
	uint64_t buf[LOOKUP_CHUNK];

	for (unsigned i = 0; i < n; i += LOOKUP_CHUNK) {
		unsigned c = RTE_MIN(n - i, (unsigned)LOOKUP_CHUNK);

		// The prototype lacks const but the lookup only reads the addresses.
		rte_fib_lookup_bulk(cwrap(f)->engine, (uint32_t *)(uintptr_t)&a[i], buf, (int)c);
		narrow_nh(buf, nh + i, c);
	}
}

// rte_fib's own output: its miss value is FIB_DEFAULT_NH, which is FIB_NH_MISS64 by design.
static void fib4_lookup_bulk64(const struct fib *f, const void *addrs, uint64_t *nh, unsigned n)
{
	static_assert(FIB_DEFAULT_NH == FIB_NH_MISS64, "rte_fib's miss must be lookup_bulk64's");
	// The prototype lacks const but the lookup only reads the addresses.
	rte_fib_lookup_bulk(cwrap(f)->engine, (uint32_t *)(uintptr_t)addrs, nh, (int)n);
}

static size_t fib4_memory(const struct fib *f)
{
	const struct wrap_fib *w = cwrap(f);

	return wrap_memory(w) + fib4_heap(w->tbl8_groups, w->rib_routes);
}

// struct rte_fib is opaque, and it need not be opened: rte_fib_free hands tbl24 and the tbl8
// groups back with rte_free and the RIB's node pool with rte_mempool_free (memzones), and DPDK
// 22.11 clears every byte of heap memory as it frees it (malloc_elem_free: zeroed unless built
// with RTE_MALLOC_DEBUG, which poisons it instead). test/unit/drivers/scrub_test.c checks that
// this still holds for the DPDK we run on.
static void fib4_free_scrub(struct fib *f)
{
	struct wrap_fib *w = wrap(f);

	if (w == NULL)
		return;
	rte_fib_free(w->engine);
	wrap_free(w);
}

static int fib4_regions(const struct fib *f, struct fib_region *r, unsigned max)
{
	struct dirtab t;
	int ret = fib4_dirtab(f, &t);

	return ret < 0 ? ret : dirtab_regions(&t, r, max);
}

static int fib4_reachable(const struct fib *f, fib_span_cb cb, void *arg)
{
	struct dirtab t;
	int ret = fib4_dirtab(f, &t);

	return ret < 0 ? ret : dirtab_reachable(&t, cb, arg);
}

static int fib4_touched(const struct fib *f, const void *prefix, uint8_t plen, fib_span_cb cb,
			void *arg)
{
	uint8_t key[4];
	struct dirtab t;
	int ret = fib4_dirtab(f, &t);

	if (ret < 0)
		return ret;
	dirtab_v4_key(*(const uint32_t *)prefix, key);
	return dirtab_touched(&t, key, 4, plen, cb, arg);
}

static int fib4_redirect(struct fib *f, const void *addr, uint32_t nh, char *what, size_t len)
{
	uint8_t key[4];
	struct dirtab t;
	int ret = fib4_dirtab(f, &t);

	if (ret < 0)
		return ret;
	dirtab_v4_key(*(const uint32_t *)addr, key);
	return dirtab_redirect(&t, key, 4, nh, what, len);
}

// IPv6 ////////////////////////////////////////////////////////////////////////////////////////

// The 22.11 trie admits an add only if the tbl8 groups it could need are free, counted
// without sharing: one per byte between the covering route's length and the new one's
// (trie_modify's depth_diff) unless another route already lies in the new one's byte-aligned
// block, and it keeps that count until the route is deleted. control/slot/slot_size.c counts
// exactly that for a table (fib_conf.trie_tbl8_groups). Without a count, size for the worst
// case of Internet-like tables: a /48 with no covering route below /24 reserves 3 groups, so
// 3 per route, i.e. 3 KiB a route (~600 MiB for 200k). Routes longer than /48 reserve more
// and may hit -ENOSPC before max_routes.
static uint32_t trie_tbl8_groups(const struct fib_conf *conf)
{
	uint64_t g = conf->trie_tbl8_groups != 0 ? conf->trie_tbl8_groups
						 : (uint64_t)conf->max_routes * 3 + 4096;

	return g > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)g;
}

static int fib6_engine_add(void *e, const void *key, uint8_t plen, uint32_t nh)
{
	return rte_fib6_add(e, key, plen, nh);
}

static int fib6_engine_del(void *e, const void *key, uint8_t plen)
{
	return rte_fib6_delete(e, key, plen);
}

static const struct wrap_engine fib6_engine = {
	.family = 6,
	.add = fib6_engine_add,
	.del = fib6_engine_del,
};

static struct fib *fib6_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_MEMZONE_NAMESIZE];
	struct wrap_fib *w;

	w = wrap_alloc(&fib6_engine, conf, INT32_MAX / 2, "f6", name, dname, sizeof(dname));
	if (w == NULL)
		return NULL;
	struct rte_fib6_conf fc = {
		.type = RTE_FIB6_TRIE,
		.default_nh = FIB_DEFAULT_NH,
		.max_routes = (int)rib_routes(conf),
		.trie = { .nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = trie_tbl8_groups(conf) },
	};
	w->engine = rte_fib6_create(dname, conf->socket_id, &fc);
	if (w->engine == NULL) {
		LOG_ERR("fib", "rte_fib6_create(%s, %u routes, %d RIB routes, %u tbl8 groups): %s",
			dname, conf->max_routes, fc.max_routes, fc.trie.num_tbl8,
			rte_strerror(rte_errno));
		return wrap_create_failed(w);
	}
	w->tbl8_groups = fc.trie.num_tbl8;
	w->rib_routes = (uint32_t)fc.max_routes;
	return (struct fib *)w;
}

// tbl24, the tbl8 groups and a 4-byte pool index per group, the RIB6.
static size_t fib6_heap(uint32_t tbl8_groups, uint32_t rib_max_routes)
{
	return TBL24_BYTES + ((size_t)tbl8_groups + 1) * TBL8_BYTES + (size_t)tbl8_groups * 4 + 64 +
	       rib_heap_bytes(rib_max_routes);
}

static size_t fib6_heap_bytes(const struct fib_conf *conf)
{
	return fib6_heap(trie_tbl8_groups(conf), rib_routes(conf));
}

static void fib6_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	// The prototype lacks const but the lookup only reads the addresses.
	uint8_t(*a)[16] = (uint8_t(*)[16])(uintptr_t)addrs;
	uint64_t buf[LOOKUP_CHUNK];

	for (unsigned i = 0; i < n; i += LOOKUP_CHUNK) {
		unsigned c = RTE_MIN(n - i, (unsigned)LOOKUP_CHUNK);

		rte_fib6_lookup_bulk(cwrap(f)->engine, &a[i], buf, (int)c);
		narrow_nh(buf, nh + i, c);
	}
}

static size_t fib6_memory(const struct fib *f)
{
	const struct wrap_fib *w = cwrap(f);

	return wrap_memory(w) + fib6_heap(w->tbl8_groups, w->rib_routes);
}

static void fib6_free_scrub(struct fib *f)
{
	struct wrap_fib *w = wrap(f);

	if (w == NULL)
		return;
	// As for IPv4: rte_fib6_free releases the trie's tables and the RIB6 node pool, and DPDK
	// clears them as it does.
	rte_fib6_free(w->engine);
	wrap_free(w);
}

static int fib6_regions(const struct fib *f, struct fib_region *r, unsigned max)
{
	struct dirtab t;
	int ret = fib6_dirtab(f, &t);

	return ret < 0 ? ret : dirtab_regions(&t, r, max);
}

static int fib6_reachable(const struct fib *f, fib_span_cb cb, void *arg)
{
	struct dirtab t;
	int ret = fib6_dirtab(f, &t);

	return ret < 0 ? ret : dirtab_reachable(&t, cb, arg);
}

static int fib6_touched(const struct fib *f, const void *prefix, uint8_t plen, fib_span_cb cb,
			void *arg)
{
	struct dirtab t;
	int ret = fib6_dirtab(f, &t);

	return ret < 0 ? ret : dirtab_touched(&t, prefix, 16, plen, cb, arg);
}

static int fib6_redirect(struct fib *f, const void *addr, uint32_t nh, char *what, size_t len)
{
	struct dirtab t;
	int ret = fib6_dirtab(f, &t);

	return ret < 0 ? ret : dirtab_redirect(&t, addr, 16, nh, what, len);
}

const struct fib_ops molt_fib4_ops = {
	.family = 4,
	.create = fib4_create,
	.lookup_bulk = fib4_lookup_bulk,
	.lookup_bulk64 = fib4_lookup_bulk64,
	.memory = fib4_memory,
	.heap_bytes = fib4_heap_bytes,
	.free_scrub = fib4_free_scrub,
	.regions = fib4_regions,
	.reachable = fib4_reachable,
	.touched = fib4_touched,
	.debug_redirect = fib4_redirect,
	WRAP_OPS_SHARED,
};

const struct fib_ops molt_fib6_ops = {
	.family = 6,
	.create = fib6_create,
	.lookup_bulk = fib6_lookup_bulk,
	.memory = fib6_memory,
	.heap_bytes = fib6_heap_bytes,
	.free_scrub = fib6_free_scrub,
	.regions = fib6_regions,
	.reachable = fib6_reachable,
	.touched = fib6_touched,
	.debug_redirect = fib6_redirect,
	WRAP_OPS_SHARED,
};

static const struct fib_driver fib_driver = {
	.name = "fib",
	.description = "rte_fib DIR24_8 for IPv4, rte_fib6 TRIE for IPv6",
	.live_update_safe_v4 = false, // see the top of this file
	.live_update_safe_v6 = false,
	.v4 = &molt_fib4_ops,
	.v6 = &molt_fib6_ops,
};

RTE_INIT(fib_driver_init)
{
	fib_driver_register(&fib_driver);
}
