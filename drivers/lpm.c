// SPDX-License-Identifier: BSD-3-Clause
// "lpm" driver: IPv4 on rte_lpm (DIR-24-8), IPv6 on rte_lpm6.
//
// Neither library lets us read its rules back, so each FIB keeps a shadow rule table
// (drivers/shadow.h) updated by every add and del: walk and count answer from the shadow, and
// a del of an absent rule is caught there (rte_lpm would say -EINVAL). Every shadow rule can be
// checked against the engine with rte_lpm_is_rule_present / rte_lpm6_is_rule_present; the
// unit tests do exactly that.
//
// Neither library accepts depth 0, so the default route lives in the wrapper and is returned
// for addresses the table misses.
//
// live_update_safe is false for both families. rte_lpm is safe with rte_lpm_rcu_qsbr_add, but
// the QSBR variable belongs to the slot machinery and create() does not receive it; rte_lpm6
// in DPDK 22.11 reuses a tbl8 group as soon as a delete frees it. The slot machinery therefore
// updates these FIBs only while they are not ACTIVE.

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "common/log.h"
#include "drivers/driver.h"
#include "drivers/engines.h"
#include "drivers/prefix.h"
#include "drivers/shadow.h"
#include "drivers/util.h"

struct lpm4_fib {
	struct rte_lpm *lpm;
	uint32_t max_routes;
	uint32_t tbl8_groups;
	_Atomic uint32_t default_nh;	// control: wo; workers: ro. FIB_NH_MISS when no /0
	struct shadow rules;
};

struct lpm6_fib {
	struct rte_lpm6 *lpm;
	uint32_t max_routes;
	uint32_t tbl8_groups;
	_Atomic uint32_t default_nh;	// control: wo; workers: ro. FIB_NH_MISS when no /0
	struct shadow rules;
};

// IPv4 ////////////////////////////////////////////////////////////////////////////////////////

static inline struct lpm4_fib *l4(struct fib *f)
{
	return (struct lpm4_fib *)f;
}

static inline const struct lpm4_fib *cl4(const struct fib *f)
{
	return (const struct lpm4_fib *)f;
}

static struct fib *lpm4_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_LPM_NAMESIZE];
	struct lpm4_fib *w;

	if (conf == NULL || conf->max_routes == 0 ||
	    conf->tbl8_groups > RTE_LPM_MAX_TBL8_NUM_GROUPS ||
	    drv_dpdk_name(dname, sizeof(dname), "l4", name) < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	struct rte_lpm_config lc = {
		.max_rules = conf->max_routes,
		.number_tbl8s = conf->tbl8_groups,
	};
	w->lpm = rte_lpm_create(dname, conf->socket_id, &lc);
	if (w->lpm == NULL) {
		int err = drv_create_errno();

		LOG_ERR("lpm", "rte_lpm_create(%s, %u rules, %u tbl8 groups): %s", dname,
			lc.max_rules, lc.number_tbl8s, rte_strerror(rte_errno));
		free(w);
		errno = err;
		return NULL;
	}
	w->max_routes = conf->max_routes;
	w->tbl8_groups = conf->tbl8_groups;
	atomic_init(&w->default_nh, FIB_NH_MISS);
	shadow_init(&w->rules, 4);
	return (struct fib *)w;
}

static int lpm4_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct lpm4_fib *w = l4(f);
	int ret;

	if (prefix == NULL || plen > 32 || nh >= FIB_NH_MAX)
		return -EINVAL;
	uint32_t key = *(const uint32_t *)prefix & prefix4_mask(plen);
	ret = shadow_admit(&w->rules, w->max_routes, &key, plen);
	if (ret < 0)
		return ret;
	if (plen == 0)
		atomic_store_explicit(&w->default_nh, nh, memory_order_release);
	else if ((ret = rte_lpm_add(w->lpm, key, plen, nh)) < 0)
		return ret;	// -ENOSPC (rules or tbl8 groups exhausted) or -EINVAL
	shadow_set(&w->rules, &key, plen, nh);
	return 0;
}

static int lpm4_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct lpm4_fib *w = l4(f);
	int ret;

	if (prefix == NULL || plen > 32)
		return -EINVAL;
	uint32_t key = *(const uint32_t *)prefix & prefix4_mask(plen);
	if (!shadow_get(&w->rules, &key, plen, NULL))
		return -ENOENT;
	if (plen == 0)
		atomic_store_explicit(&w->default_nh, FIB_NH_MISS, memory_order_release);
	else if ((ret = rte_lpm_delete(w->lpm, key, plen)) < 0)
		return ret;
	shadow_del(&w->rules, &key, plen);
	return 0;
}

static int lpm4_reserve(struct fib *f, uint64_t n)
{
	return shadow_reserve_n(&l4(f)->rules, l4(f)->max_routes, n);
}

static void lpm4_prefetch(const struct fib *f, const void *prefix, uint8_t plen)
{
	shadow_prefetch(&cl4(f)->rules, prefix, plen);
}

static void lpm4_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct lpm4_fib *w = cl4(f);
	const uint32_t *a = addrs;
	uint32_t def = atomic_load_explicit(&w->default_nh, memory_order_relaxed);
	unsigned i = 0;

	// lookupx4 masks the success bit off and substitutes def on a miss: exactly our contract.
	// It stores 8 bytes at a time, so it writes to an aligned buffer, not to nh (UBSan).
	for (; i + 4 <= n; i += 4) {
		uint32_t hop[4] __rte_aligned(16);
		xmm_t ip;

		memcpy(&ip, &a[i], sizeof(ip));
		rte_lpm_lookupx4(w->lpm, ip, hop, def);
		memcpy(&nh[i], hop, sizeof(hop));
	}
	for (; i < n; i++)
		if (rte_lpm_lookup(w->lpm, a[i], &nh[i]) != 0)
			nh[i] = def;
}

static int lpm4_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cl4(f)->rules, cb, arg);
}

static uint64_t lpm4_count(const struct fib *f)
{
	return cl4(f)->rules.count;
}

static size_t lpm4_memory(const struct fib *f)
{
	const struct lpm4_fib *w = cl4(f);

	// struct rte_lpm holds tbl24; the rule table is max_routes 8-byte rules (ip, nh) and a
	// per-depth index. Approximate: DPDK does not report it.
	return sizeof(*w) + sizeof(struct rte_lpm) + 32 * 2 * sizeof(uint32_t) +
		(size_t)w->tbl8_groups * RTE_LPM_TBL8_GROUP_NUM_ENTRIES *
			sizeof(struct rte_lpm_tbl_entry) +
		(size_t)w->max_routes * 2 * sizeof(uint32_t) + shadow_memory(&w->rules);
}

static void lpm4_free_scrub(struct fib *f)
{
	struct lpm4_fib *w = l4(f);

	if (w == NULL)
		return;
	// struct rte_lpm is public in 22.11: zero what we can reach ourselves. delete_all then
	// also zeroes the internal rule table (it does in 22.11; nothing else reaches it).
	// rte_lpm_free is an external call, so these stores cannot be elided.
	memset(w->lpm->tbl24, 0, sizeof(w->lpm->tbl24));
	memset(w->lpm->tbl8, 0, (size_t)w->tbl8_groups * RTE_LPM_TBL8_GROUP_NUM_ENTRIES *
		sizeof(struct rte_lpm_tbl_entry));
	rte_lpm_delete_all(w->lpm);
	rte_lpm_free(w->lpm);
	shadow_scrub_free(&w->rules);
	explicit_bzero(w, sizeof(*w));
	free(w);
}

// IPv6 ////////////////////////////////////////////////////////////////////////////////////////

static inline struct lpm6_fib *l6(struct fib *f)
{
	return (struct lpm6_fib *)f;
}

static inline const struct lpm6_fib *cl6(const struct fib *f)
{
	return (const struct lpm6_fib *)f;
}

static struct fib *lpm6_create(const char *name, const struct fib_conf *conf)
{
	char dname[RTE_LPM6_NAMESIZE];
	struct lpm6_fib *w;

	if (conf == NULL || conf->max_routes == 0 ||
	    drv_dpdk_name(dname, sizeof(dname), "l6", name) < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	struct rte_lpm6_config lc = {
		.max_rules = conf->max_routes,
		.number_tbl8s = drv_v6_tbl8_groups(conf->max_routes),
	};
	w->lpm = rte_lpm6_create(dname, conf->socket_id, &lc);
	if (w->lpm == NULL) {
		int err = drv_create_errno();

		LOG_ERR("lpm", "rte_lpm6_create(%s, %u rules, %u tbl8 groups = %zu MiB): %s", dname,
			lc.max_rules, lc.number_tbl8s,
			(size_t)lc.number_tbl8s * 1040 >> 20, rte_strerror(rte_errno));
		free(w);
		errno = err;
		return NULL;
	}
	w->max_routes = conf->max_routes;
	w->tbl8_groups = lc.number_tbl8s;
	atomic_init(&w->default_nh, FIB_NH_MISS);
	shadow_init(&w->rules, PREFIX6_LEN);
	return (struct fib *)w;
}

static int lpm6_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct lpm6_fib *w = l6(f);
	uint8_t key[PREFIX6_LEN];
	int ret;

	if (prefix == NULL || plen > 128 || nh >= FIB_NH_MAX)
		return -EINVAL;
	prefix6_mask(key, prefix, plen);
	ret = shadow_admit(&w->rules, w->max_routes, key, plen);
	if (ret < 0)
		return ret;
	if (plen == 0)
		atomic_store_explicit(&w->default_nh, nh, memory_order_release);
	else if ((ret = rte_lpm6_add(w->lpm, key, plen, nh)) < 0)
		return ret;	// -ENOSPC (rules or tbl8 groups exhausted) or -EINVAL
	shadow_set(&w->rules, key, plen, nh);
	return 0;
}

static int lpm6_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct lpm6_fib *w = l6(f);
	uint8_t key[PREFIX6_LEN];
	int ret;

	if (prefix == NULL || plen > 128)
		return -EINVAL;
	prefix6_mask(key, prefix, plen);
	if (!shadow_get(&w->rules, key, plen, NULL))
		return -ENOENT;
	if (plen == 0)
		atomic_store_explicit(&w->default_nh, FIB_NH_MISS, memory_order_release);
	else if ((ret = rte_lpm6_delete(w->lpm, key, plen)) < 0)
		return ret;
	shadow_del(&w->rules, key, plen);
	return 0;
}

static int lpm6_reserve(struct fib *f, uint64_t n)
{
	return shadow_reserve_n(&l6(f)->rules, l6(f)->max_routes, n);
}

static void lpm6_prefetch(const struct fib *f, const void *prefix, uint8_t plen)
{
	shadow_prefetch(&cl6(f)->rules, prefix, plen);
}

static void lpm6_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct lpm6_fib *w = cl6(f);
	uint32_t def = atomic_load_explicit(&w->default_nh, memory_order_relaxed);

	static_assert((uint32_t)-1 == FIB_NH_MISS, "lpm6 miss (-1) must read as FIB_NH_MISS");
	// The prototype lacks const but the lookup only reads the addresses.
	rte_lpm6_lookup_bulk_func(w->lpm, (uint8_t (*)[RTE_LPM6_IPV6_ADDR_SIZE])(uintptr_t)addrs,
		(int32_t *)nh, n);
	if (def != FIB_NH_MISS)
		for (unsigned i = 0; i < n; i++)
			if (nh[i] == FIB_NH_MISS)
				nh[i] = def;
}

static int lpm6_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cl6(f)->rules, cb, arg);
}

static uint64_t lpm6_count(const struct fib *f)
{
	return cl6(f)->rules.count;
}

static size_t lpm6_memory(const struct fib *f)
{
	const struct lpm6_fib *w = cl6(f);

	// tbl24 of 4-byte entries; per tbl8 group 256 entries, a 12-byte header and a pool slot;
	// the rule hash (17-byte key, 4-byte nh) costs about 64 bytes a rule with its buckets.
	return sizeof(*w) + ((size_t)1 << 24) * 4 + (size_t)w->tbl8_groups * (256 * 4 + 16) +
		(size_t)w->max_routes * 64 + shadow_memory(&w->rules);
}

static void lpm6_free_scrub(struct fib *f)
{
	struct lpm6_fib *w = l6(f);

	if (w == NULL)
		return;
	// struct rte_lpm6 is opaque. delete_all zeroes tbl24, every tbl8 group and its header and
	// resets the rule hash (rte_hash_reset clears buckets and keys in 22.11). What it does not
	// reach (allocator free lists, the hash's free-slot ring of indices) holds no routes.
	rte_lpm6_delete_all(w->lpm);
	rte_lpm6_free(w->lpm);
	shadow_scrub_free(&w->rules);
	explicit_bzero(w, sizeof(*w));
	free(w);
}

const struct fib_ops molt_lpm4_ops = {
	.family = 4,
	.create = lpm4_create,
	.add = lpm4_add,
	.del = lpm4_del,
	.lookup_bulk = lpm4_lookup_bulk,
	.walk = lpm4_walk,
	.count = lpm4_count,
	.memory = lpm4_memory,
	.reserve = lpm4_reserve,
	.prefetch = lpm4_prefetch,
	.free_scrub = lpm4_free_scrub,
};

const struct fib_ops molt_lpm6_ops = {
	.family = 6,
	.create = lpm6_create,
	.add = lpm6_add,
	.del = lpm6_del,
	.lookup_bulk = lpm6_lookup_bulk,
	.walk = lpm6_walk,
	.count = lpm6_count,
	.memory = lpm6_memory,
	.reserve = lpm6_reserve,
	.prefetch = lpm6_prefetch,
	.free_scrub = lpm6_free_scrub,
};

static const struct fib_driver lpm_driver = {
	.name = "lpm",
	.description = "rte_lpm (DIR-24-8) for IPv4, rte_lpm6 for IPv6",
	.live_update_safe_v4 = false,	// see the top of this file
	.live_update_safe_v6 = false,
	.v4 = &molt_lpm4_ops,
	.v6 = &molt_lpm6_ops,
};

RTE_INIT(lpm_driver_init)
{
	fib_driver_register(&lpm_driver);
}
