// SPDX-License-Identifier: BSD-3-Clause
// "reference" driver: longest-prefix match by brute force, the oracle of the differential
// tests. One hash of (prefix, plen) holds the rules; a lookup masks the address to every
// prefix length in use, longest first, and takes the first hit. Slow but plainly correct, and
// a working slot driver when a slot must use a structure unlike the others.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "drivers/driver.h"
#include "drivers/prefix.h"
#include "drivers/shadow.h"

struct ref_fib {
	struct shadow rules;
	uint32_t max_routes;
	uint8_t max_plen;	// 32 or 128
	uint32_t plen_count[129];	// rules per prefix length: lookups skip empty lengths
};

static inline struct ref_fib *ref(struct fib *f)
{
	return (struct ref_fib *)f;
}

static inline const struct ref_fib *cref(const struct fib *f)
{
	return (const struct ref_fib *)f;
}

static struct fib *ref_create(uint8_t max_plen, const char *name, const struct fib_conf *conf)
{
	struct ref_fib *r;

	if (name == NULL || conf == NULL || conf->max_routes == 0) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	shadow_init(&r->rules, max_plen == 32 ? 4 : PREFIX6_LEN);
	r->max_routes = conf->max_routes;
	r->max_plen = max_plen;
	return (struct fib *)r;
}

static struct fib *ref4_create(const char *name, const struct fib_conf *conf)
{
	return ref_create(32, name, conf);
}

static struct fib *ref6_create(const char *name, const struct fib_conf *conf)
{
	return ref_create(128, name, conf);
}

// key: canonical prefix (host bits zero) as stored in the shadow.
static int ref_add_key(struct ref_fib *r, const void *key, uint8_t plen, uint32_t nh)
{
	if (!shadow_get(&r->rules, key, plen, NULL)) {
		if (r->rules.count >= r->max_routes)
			return -ENOSPC;
		int ret = shadow_reserve(&r->rules);
		if (ret < 0)
			return ret;
		r->plen_count[plen]++;
	}
	shadow_set(&r->rules, key, plen, nh);
	return 0;
}

static int ref4_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	if (prefix == NULL || plen > 32 || nh >= FIB_NH_MAX)
		return -EINVAL;
	uint32_t key = *(const uint32_t *)prefix & prefix4_mask(plen);
	return ref_add_key(ref(f), &key, plen, nh);
}

static int ref6_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	uint8_t key[PREFIX6_LEN];

	if (prefix == NULL || plen > 128 || nh >= FIB_NH_MAX)
		return -EINVAL;
	prefix6_mask(key, prefix, plen);
	return ref_add_key(ref(f), key, plen, nh);
}

static int ref_del_key(struct ref_fib *r, const void *key, uint8_t plen)
{
	if (!shadow_del(&r->rules, key, plen))
		return -ENOENT;
	r->plen_count[plen]--;
	return 0;
}

static int ref4_del(struct fib *f, const void *prefix, uint8_t plen)
{
	if (prefix == NULL || plen > 32)
		return -EINVAL;
	uint32_t key = *(const uint32_t *)prefix & prefix4_mask(plen);
	return ref_del_key(ref(f), &key, plen);
}

static int ref6_del(struct fib *f, const void *prefix, uint8_t plen)
{
	uint8_t key[PREFIX6_LEN];

	if (prefix == NULL || plen > 128)
		return -EINVAL;
	prefix6_mask(key, prefix, plen);
	return ref_del_key(ref(f), key, plen);
}

static void ref4_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct ref_fib *r = cref(f);
	const uint32_t *a = addrs;

	for (unsigned i = 0; i < n; i++) {
		nh[i] = FIB_NH_MISS;
		for (int plen = 32; plen >= 0; plen--) {
			if (r->plen_count[plen] == 0)
				continue;
			uint32_t key = a[i] & prefix4_mask((uint8_t)plen);
			if (shadow_get(&r->rules, &key, (uint8_t)plen, &nh[i]))
				break;
		}
	}
}

static void ref6_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct ref_fib *r = cref(f);
	const uint8_t (*a)[PREFIX6_LEN] = addrs;
	uint8_t key[PREFIX6_LEN];

	for (unsigned i = 0; i < n; i++) {
		nh[i] = FIB_NH_MISS;
		for (int plen = 128; plen >= 0; plen--) {
			if (r->plen_count[plen] == 0)
				continue;
			prefix6_mask(key, a[i], (uint8_t)plen);
			if (shadow_get(&r->rules, key, (uint8_t)plen, &nh[i]))
				break;
		}
	}
}

static int ref_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cref(f)->rules, cb, arg);
}

static uint64_t ref_count(const struct fib *f)
{
	return cref(f)->rules.count;
}

static size_t ref_memory(const struct fib *f)
{
	return sizeof(struct ref_fib) + shadow_memory(&cref(f)->rules);
}

static void ref_free_scrub(struct fib *f)
{
	struct ref_fib *r = ref(f);

	if (r == NULL)
		return;
	shadow_scrub_free(&r->rules);
	explicit_bzero(r, sizeof(*r));
	free(r);
}

static const struct fib_ops ref4_ops = {
	.family = 4,
	.create = ref4_create,
	.add = ref4_add,
	.del = ref4_del,
	.lookup_bulk = ref4_lookup_bulk,
	.walk = ref_walk,
	.count = ref_count,
	.memory = ref_memory,
	.free_scrub = ref_free_scrub,
};

static const struct fib_ops ref6_ops = {
	.family = 6,
	.create = ref6_create,
	.add = ref6_add,
	.del = ref6_del,
	.lookup_bulk = ref6_lookup_bulk,
	.walk = ref_walk,
	.count = ref_count,
	.memory = ref_memory,
	.free_scrub = ref_free_scrub,
};

static const struct fib_driver ref_driver = {
	.name = "reference",
	.description = "brute-force longest-prefix match over a rule hash (test oracle, slow)",
	// Not safe: add may grow (reallocate) the hash that lookups read.
	.live_update_safe_v4 = false,
	.live_update_safe_v6 = false,
	.v4 = &ref4_ops,
	.v6 = &ref6_ops,
};

RTE_INIT(ref_driver_init)
{
	fib_driver_register(&ref_driver);
}
