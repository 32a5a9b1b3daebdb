// SPDX-License-Identifier: BSD-3-Clause
// "lpm" driver: IPv4 on rte_lpm (DIR-24-8), IPv6 on rte_lpm6.
//
// The shadow rules, walk, count and dels of absent rules are drivers/dpdk_wrap.h's (rte_lpm
// would answer such a del with -EINVAL). Every shadow rule can be checked against the engine
// with rte_lpm_is_rule_present / rte_lpm6_is_rule_present; the unit tests do exactly that.
//
// Neither library accepts depth 0, so the default route lives in the wrapper (no_depth0) and
// is returned for addresses the table misses.
//
// live_update_safe is false for both families. rte_lpm is safe with rte_lpm_rcu_qsbr_add, but
// the QSBR variable belongs to the slot machinery and create() does not receive it; rte_lpm6
// in DPDK 22.11 reuses a tbl8 group as soon as a delete frees it. The slot machinery therefore
// updates these FIBs only while they are not ACTIVE.

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "common/log.h"
#include "drivers/dirtab.h"
#include "drivers/dpdk_wrap.h"
#include "drivers/engines.h"
#include "drivers/util.h"

// IPv4 ////////////////////////////////////////////////////////////////////////////////////////

static int lpm4_engine_add(void *e, const void *key, uint8_t plen, uint32_t nh)
{
	return rte_lpm_add(e, *(const uint32_t *)key, plen, nh);
}

static int lpm4_engine_del(void *e, const void *key, uint8_t plen)
{
	return rte_lpm_delete(e, *(const uint32_t *)key, plen);
}

static const struct wrap_engine lpm4_engine = {
	.family = 4,
	.no_depth0 = true,
	.add = lpm4_engine_add,
	.del = lpm4_engine_del,
};

static struct fib *lpm4_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_LPM_NAMESIZE];
	struct wrap_fib *w;

	if (conf != NULL && conf->tbl8_groups > RTE_LPM_MAX_TBL8_NUM_GROUPS) {
		errno = EINVAL;
		return NULL;
	}
	w = wrap_alloc(&lpm4_engine, conf, UINT32_MAX, "l4", name, dname, sizeof(dname));
	if (w == NULL)
		return NULL;
	struct rte_lpm_config lc = {
		.max_rules = conf->max_routes,
		.number_tbl8s = conf->tbl8_groups,
	};
	w->engine = rte_lpm_create(dname, conf->socket_id, &lc);
	if (w->engine == NULL) {
		LOG_ERR("lpm", "rte_lpm_create(%s, %u rules, %u tbl8 groups): %s", dname,
			lc.max_rules, lc.number_tbl8s, rte_strerror(rte_errno));
		return wrap_create_failed(w);
	}
	w->tbl8_groups = conf->tbl8_groups;
	return (struct fib *)w;
}

static void lpm4_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct wrap_fib *w = cwrap(f);
	const struct rte_lpm *lpm = w->engine;
	const uint32_t *a = addrs;
	uint32_t def = atomic_load_explicit(&w->default_nh, memory_order_relaxed);
	unsigned i = 0;

	// lookupx4 masks the success bit off and substitutes def on a miss: exactly our contract.
	// It stores 8 bytes at a time, so it writes to an aligned buffer, not to nh (UBSan).
	for (; i + 4 <= n; i += 4) {
		uint32_t hop[4] __rte_aligned(16);
		xmm_t ip;

		memcpy(&ip, &a[i], sizeof(ip));
		rte_lpm_lookupx4(lpm, ip, hop, def);
		memcpy(&nh[i], hop, sizeof(hop));
	}
	for (; i < n; i++)
		if (rte_lpm_lookup(lpm, a[i], &nh[i]) != 0)
			nh[i] = def;
}

// struct rte_lpm holds tbl24; the rule table is max_routes 8-byte rules (ip, nh); 4 KiB covers
// the private struct and the allocator's headers (measured on DPDK 22.11).
static size_t lpm4_heap(uint32_t max_routes, uint32_t tbl8_groups)
{
	return sizeof(struct rte_lpm) +
	       (size_t)tbl8_groups * RTE_LPM_TBL8_GROUP_NUM_ENTRIES *
		       sizeof(struct rte_lpm_tbl_entry) +
	       (size_t)max_routes * 2 * sizeof(uint32_t) + 4096;
}

static size_t lpm4_heap_bytes(const struct fib_conf *conf)
{
	return lpm4_heap(conf->max_routes, conf->tbl8_groups);
}

static size_t lpm4_memory(const struct fib *f)
{
	const struct wrap_fib *w = cwrap(f);

	return wrap_memory(w) + lpm4_heap(w->max_routes, w->tbl8_groups);
}

static void lpm4_free_scrub(struct fib *f)
{
	struct wrap_fib *w = wrap(f);
	struct rte_lpm *lpm;

	if (w == NULL)
		return;
	lpm = w->engine;
	// struct rte_lpm is public in 22.11: zero what we can reach ourselves. delete_all then
	// also zeroes the internal rule table (it does in 22.11; nothing else reaches it).
	// rte_lpm_free is an external call, so these stores cannot be elided.
	memset(lpm->tbl24, 0, sizeof(lpm->tbl24));
	memset(lpm->tbl8, 0,
	       (size_t)w->tbl8_groups * RTE_LPM_TBL8_GROUP_NUM_ENTRIES *
		       sizeof(struct rte_lpm_tbl_entry));
	rte_lpm_delete_all(lpm);
	rte_lpm_free(lpm);
	wrap_free(w);
}

// The lookup memory (dirtab.h). struct rte_lpm is public: tbl24 inside it, tbl8 groups behind
// a pointer. An entry is a struct rte_lpm_tbl_entry; in tbl24, valid_group means "next_hop is
// a group index", in a tbl8 group it means "this group is in use".
static uint32_t lpm4_entry_word(struct rte_lpm_tbl_entry e)
{
	uint32_t v;

	static_assert(sizeof(e) == sizeof(v), "rte_lpm entries are 4 bytes");
	memcpy(&v, &e, sizeof(v));
	return v;
}

static struct rte_lpm_tbl_entry lpm4_entry(uint32_t v)
{
	struct rte_lpm_tbl_entry e;

	memcpy(&e, &v, sizeof(e));
	return e;
}

static bool lpm4_ext(uint32_t v, unsigned level, uint32_t *group)
{
	struct rte_lpm_tbl_entry e = lpm4_entry(v);

	*group = e.next_hop;
	return level == 0 && e.valid && e.valid_group;
}

static uint32_t lpm4_with_nh(uint32_t v, unsigned level, uint32_t nh)
{
	struct rte_lpm_tbl_entry e = lpm4_entry(v);

	e.next_hop = nh;
	e.valid = 1;
	e.valid_group = level != 0;
	return lpm4_entry_word(e);
}

static int lpm4_dirtab(const struct fib *f, struct dirtab *t)
{
	const struct wrap_fib *w = cwrap(f);
	struct rte_lpm *lpm = w->engine;
	size_t len = 0;

	t->groups = w->tbl8_groups;
	if (rte_malloc_validate(lpm->tbl8, &len) != 0 ||
	    len < t->groups * DIRTAB_GROUP_ENTRIES * sizeof(struct rte_lpm_tbl_entry)) {
		LOG_ERR("lpm", "rte_lpm: tbl8 is %zu bytes, not %u groups: not exposed", len,
			w->tbl8_groups);
		return -EBADMSG;
	}
	t->tbl24 = (uint32_t *)lpm->tbl24;
	t->tbl8 = (uint32_t *)lpm->tbl8;
	t->ext = lpm4_ext;
	t->with_nh = lpm4_with_nh;
	return 0;
}

// The default route the wrapper keeps (no_depth0): lookups read it too.
static int wrap_default_region(const struct fib *f, struct fib_region *r, int n, unsigned max)
{
	if (n < 0)
		return n;
	if ((unsigned)n >= max)
		return -ENOSPC;
	r[n] = (struct fib_region){ &cwrap(f)->default_nh, sizeof(cwrap(f)->default_nh),
				    "default" };
	return n + 1;
}

static int lpm4_regions(const struct fib *f, struct fib_region *r, unsigned max)
{
	struct dirtab t;
	int ret = lpm4_dirtab(f, &t);

	return wrap_default_region(f, r, ret < 0 ? ret : dirtab_regions(&t, r, max), max);
}

static int lpm4_reachable(const struct fib *f, fib_span_cb cb, void *arg)
{
	struct dirtab t;
	int ret = lpm4_dirtab(f, &t);

	if (ret < 0)
		return ret;
	cb(&cwrap(f)->default_nh, sizeof(cwrap(f)->default_nh), arg);
	return dirtab_reachable(&t, cb, arg);
}

static int lpm4_touched(const struct fib *f, const void *prefix, uint8_t plen, fib_span_cb cb,
			void *arg)
{
	uint8_t key[4];
	struct dirtab t;
	int ret;

	if (plen == 0) { // the wrapper's
		cb(&cwrap(f)->default_nh, sizeof(cwrap(f)->default_nh), arg);
		return 0;
	}
	if ((ret = lpm4_dirtab(f, &t)) < 0)
		return ret;
	dirtab_v4_key(*(const uint32_t *)prefix, key);
	return dirtab_touched(&t, key, 4, plen, cb, arg);
}

static int lpm4_redirect(struct fib *f, const void *addr, uint32_t nh, char *what, size_t len)
{
	uint8_t key[4];
	struct dirtab t;
	int ret = lpm4_dirtab(f, &t);

	if (ret < 0)
		return ret;
	dirtab_v4_key(*(const uint32_t *)addr, key);
	return dirtab_redirect(&t, key, 4, nh, what, len);
}

// IPv6 ////////////////////////////////////////////////////////////////////////////////////////

static int lpm6_engine_add(void *e, const void *key, uint8_t plen, uint32_t nh)
{
	return rte_lpm6_add(e, key, plen, nh);
}

static int lpm6_engine_del(void *e, const void *key, uint8_t plen)
{
	return rte_lpm6_delete(e, key, plen);
}

static const struct wrap_engine lpm6_engine = {
	.family = 6,
	.no_depth0 = true,
	.add = lpm6_engine_add,
	.del = lpm6_engine_del,
};

// rte_lpm6 shares its tbl8 groups exactly (one per byte-aligned prefix a longer route passes
// through): control/slot/slot_size.c counts them for a table; without a count, drivers/util.c
// sizes for max_routes routes.
static uint32_t lpm6_tbl8_groups(const struct fib_conf *conf)
{
	return conf->tbl8_groups_v6 != 0 ? conf->tbl8_groups_v6
					 : drv_v6_tbl8_groups(conf->max_routes);
}

static struct fib *lpm6_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_LPM6_NAMESIZE];
	struct wrap_fib *w;

	w = wrap_alloc(&lpm6_engine, conf, UINT32_MAX, "l6", name, dname, sizeof(dname));
	if (w == NULL)
		return NULL;
	struct rte_lpm6_config lc = {
		.max_rules = conf->max_routes,
		.number_tbl8s = lpm6_tbl8_groups(conf),
	};
	w->engine = rte_lpm6_create(dname, conf->socket_id, &lc);
	if (w->engine == NULL) {
		LOG_ERR("lpm", "rte_lpm6_create(%s, %u rules, %u tbl8 groups = %zu MiB): %s", dname,
			lc.max_rules, lc.number_tbl8s, (size_t)lc.number_tbl8s * 1040 >> 20,
			rte_strerror(rte_errno));
		return wrap_create_failed(w);
	}
	w->tbl8_groups = lc.number_tbl8s;
	return (struct fib *)w;
}

static void lpm6_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct wrap_fib *w = cwrap(f);
	uint32_t def = atomic_load_explicit(&w->default_nh, memory_order_relaxed);

	static_assert((uint32_t)-1 == FIB_NH_MISS, "lpm6 miss (-1) must read as FIB_NH_MISS");
	// The prototype lacks const but the lookup only reads the addresses.
	rte_lpm6_lookup_bulk_func(w->engine, (uint8_t(*)[RTE_LPM6_IPV6_ADDR_SIZE])(uintptr_t)addrs,
				  (int32_t *)nh, n);
	if (def != FIB_NH_MISS)
		for (unsigned i = 0; i < n; i++)
			if (nh[i] == FIB_NH_MISS)
				nh[i] = def;
}

// tbl24 of 4-byte entries; per tbl8 group 256 entries, a 12-byte header and a pool slot; the
// rule hash (17-byte key, 4-byte nh) costs 62-64 bytes a rule with its buckets (measured on DPDK
// 22.11), and 64 KiB covers the fixed parts.
static size_t lpm6_heap(uint32_t max_routes, uint32_t tbl8_groups)
{
	return ((size_t)1 << 24) * 4 + (size_t)tbl8_groups * (256 * 4 + 16) +
	       (size_t)max_routes * 64 + 65536;
}

static size_t lpm6_heap_bytes(const struct fib_conf *conf)
{
	return lpm6_heap(conf->max_routes, lpm6_tbl8_groups(conf));
}

static size_t lpm6_memory(const struct fib *f)
{
	const struct wrap_fib *w = cwrap(f);

	return wrap_memory(w) + lpm6_heap(w->max_routes, w->tbl8_groups);
}

static void lpm6_free_scrub(struct fib *f)
{
	struct wrap_fib *w = wrap(f);

	if (w == NULL)
		return;
	// struct rte_lpm6 is opaque. delete_all zeroes tbl24, every tbl8 group and its header and
	// resets the rule hash (rte_hash_reset clears buckets and keys in 22.11). What it does not
	// reach (allocator free lists, the hash's free-slot ring of indices) holds no routes.
	rte_lpm6_delete_all(w->engine);
	rte_lpm6_free(w->engine);
	wrap_free(w);
}

// struct rte_lpm6 is private (lib/lpm/rte_lpm6.c): mirrored as in DPDK 22.11 and checked
// against what create asked for (tbl8 groups, the allocation's size), so that another layout is
// refused (-EBADMSG, logged) rather than exposing the wrong memory.
struct rte_lpm6_2211 {
	char name[RTE_LPM6_NAMESIZE];
	uint32_t max_rules;
	uint32_t used_rules;
	uint32_t number_tbl8s;
	void *rules_tbl;
	alignas(64) uint32_t tbl24[DIRTAB_TBL24_ENTRIES];
	uint32_t *tbl8_pool;
	uint32_t tbl8_pool_pos;
	void *tbl8_hdrs;
	alignas(64) uint32_t tbl8[];
};

// Entry bits: next_hop 0-20, depth 21-28, valid 29, valid_group 30, ext_entry 31.
#define LPM6_NH_MASK 0x001fffffu
#define LPM6_VALID (1u << 29)
#define LPM6_EXT (1u << 31)

static bool lpm6_ext(uint32_t e, unsigned level, uint32_t *group)
{
	(void)level;
	*group = e & LPM6_NH_MASK;
	return (e & (LPM6_VALID | LPM6_EXT)) == (LPM6_VALID | LPM6_EXT);
}

static uint32_t lpm6_with_nh(uint32_t e, unsigned level, uint32_t nh)
{
	(void)level;
	return (e & ~(LPM6_NH_MASK | LPM6_EXT)) | LPM6_VALID | nh;
}

static int lpm6_dirtab(const struct fib *f, struct dirtab *t)
{
	const struct wrap_fib *w = cwrap(f);
	struct rte_lpm6_2211 *lpm = w->engine;
	size_t len = 0;

	t->groups = lpm->number_tbl8s;
	if (lpm->number_tbl8s != w->tbl8_groups || lpm->tbl8_pool_pos > lpm->number_tbl8s ||
	    memchr(lpm->name, 0, sizeof(lpm->name)) == NULL ||
	    rte_malloc_validate(lpm, &len) != 0 ||
	    len < offsetof(struct rte_lpm6_2211, tbl8) + t->groups * DIRTAB_GROUP_ENTRIES * 4) {
		LOG_ERR("lpm",
			"rte_lpm6: not laid out as in DPDK 22.11 (%u tbl8 groups, created with "
			"%u; %zu bytes): not exposed",
			lpm->number_tbl8s, w->tbl8_groups, len);
		return -EBADMSG;
	}
	t->tbl24 = lpm->tbl24;
	t->tbl8 = lpm->tbl8;
	t->ext = lpm6_ext;
	t->with_nh = lpm6_with_nh;
	return 0;
}

static int lpm6_regions(const struct fib *f, struct fib_region *r, unsigned max)
{
	struct dirtab t;
	int ret = lpm6_dirtab(f, &t);

	return wrap_default_region(f, r, ret < 0 ? ret : dirtab_regions(&t, r, max), max);
}

static int lpm6_reachable(const struct fib *f, fib_span_cb cb, void *arg)
{
	struct dirtab t;
	int ret = lpm6_dirtab(f, &t);

	if (ret < 0)
		return ret;
	cb(&cwrap(f)->default_nh, sizeof(cwrap(f)->default_nh), arg);
	return dirtab_reachable(&t, cb, arg);
}

static int lpm6_touched(const struct fib *f, const void *prefix, uint8_t plen, fib_span_cb cb,
			void *arg)
{
	struct dirtab t;
	int ret;

	if (plen == 0) { // the wrapper's
		cb(&cwrap(f)->default_nh, sizeof(cwrap(f)->default_nh), arg);
		return 0;
	}
	ret = lpm6_dirtab(f, &t);
	return ret < 0 ? ret : dirtab_touched(&t, prefix, 16, plen, cb, arg);
}

static int lpm6_redirect(struct fib *f, const void *addr, uint32_t nh, char *what, size_t len)
{
	struct dirtab t;
	int ret = lpm6_dirtab(f, &t);

	return ret < 0 ? ret : dirtab_redirect(&t, addr, 16, nh, what, len);
}

const struct fib_ops molt_lpm4_ops = {
	.family = 4,
	.create = lpm4_create,
	.lookup_bulk = lpm4_lookup_bulk,
	.memory = lpm4_memory,
	.heap_bytes = lpm4_heap_bytes,
	.free_scrub = lpm4_free_scrub,
	.regions = lpm4_regions,
	.reachable = lpm4_reachable,
	.touched = lpm4_touched,
	.debug_redirect = lpm4_redirect,
	WRAP_OPS_SHARED,
};

const struct fib_ops molt_lpm6_ops = {
	.family = 6,
	.create = lpm6_create,
	.lookup_bulk = lpm6_lookup_bulk,
	.memory = lpm6_memory,
	.heap_bytes = lpm6_heap_bytes,
	.free_scrub = lpm6_free_scrub,
	.regions = lpm6_regions,
	.reachable = lpm6_reachable,
	.touched = lpm6_touched,
	.debug_redirect = lpm6_redirect,
	WRAP_OPS_SHARED,
};

static const struct fib_driver lpm_driver = {
	.name = "lpm",
	.description = "rte_lpm (DIR-24-8) for IPv4, rte_lpm6 for IPv6",
	.live_update_safe_v4 = false, // see the top of this file
	.live_update_safe_v6 = false,
	.v4 = &molt_lpm4_ops,
	.v6 = &molt_lpm6_ops,
};

RTE_INIT(lpm_driver_init)
{
	fib_driver_register(&lpm_driver);
}
