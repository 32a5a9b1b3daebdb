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
	uint8_t family; // 4 or 6
	uint32_t plen_count[129]; // rules per prefix length: lookups skip empty lengths
};

static inline struct ref_fib *ref(struct fib *f)
{
	return (struct ref_fib *)f;
}

static inline const struct ref_fib *cref(const struct fib *f)
{
	return (const struct ref_fib *)f;
}

static struct fib *ref_create(uint8_t family, const char *name, const struct fib_conf *conf)
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
	shadow_init(&r->rules, family == 4 ? 4 : PREFIX6_LEN);
	r->max_routes = conf->max_routes;
	r->family = family;
	return (struct fib *)r;
}

static struct fib *ref4_create(const char *name, const struct fib_conf *conf)
{
	return ref_create(4, name, conf);
}

static struct fib *ref6_create(const char *name, const struct fib_conf *conf)
{
	return ref_create(6, name, conf);
}

static int ref_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct ref_fib *r = ref(f);
	union prefix_key key;
	uint32_t held;
	int ret;

	if (nh >= FIB_NH_MAX || prefix_key(r->family, prefix, plen, &key) < 0)
		return -EINVAL;
	if ((ret = shadow_admit(&r->rules, r->max_routes, &key, plen)) < 0)
		return ret;
	held = r->rules.count;
	shadow_set(&r->rules, &key, plen, nh);
	r->plen_count[plen] += r->rules.count - held; // 0 when it replaced a rule
	return 0;
}

static int ref_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct ref_fib *r = ref(f);
	union prefix_key key;
	int ret;

	if ((ret = prefix_key(r->family, prefix, plen, &key)) < 0)
		return ret;
	if (!shadow_del(&r->rules, &key, plen))
		return -ENOENT;
	r->plen_count[plen]--;
	return 0;
}

// Addresses as prefixes of every length in use, longest first: the first one held is the match.
static void ref_lookup_bulk(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct ref_fib *r = cref(f);
	const size_t addr_len = r->family == 4 ? sizeof(uint32_t) : PREFIX6_LEN;
	union prefix_key key;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *a = (const uint8_t *)addrs + i * addr_len;

		nh[i] = FIB_NH_MISS;
		for (int plen = (int)addr_len * 8; plen >= 0; plen--) {
			if (r->plen_count[plen] == 0)
				continue;
			prefix_key(r->family, a, (uint8_t)plen, &key);
			if (shadow_get(&r->rules, &key, (uint8_t)plen, &nh[i]))
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

// Both families' ops differ only in family and create.
#define REF_OPS(fam) \
	{ \
		.family = fam, .create = ref##fam##_create, .add = ref_add, .del = ref_del, \
		.lookup_bulk = ref_lookup_bulk, .walk = ref_walk, .count = ref_count, \
		.memory = ref_memory, .free_scrub = ref_free_scrub, \
	}

static const struct fib_ops ref4_ops = REF_OPS(4);
static const struct fib_ops ref6_ops = REF_OPS(6);

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
