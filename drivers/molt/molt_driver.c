// SPDX-License-Identifier: BSD-3-Clause
// "molt" driver: the fib_ops contract over the immutable molt engine (drivers/molt/molt.h).
// add and del change a rule table of the driver's own (drivers/shadow.h, which also answers
// walk and count); seal builds a new engine image from it, with a new seed, and frees the
// previous one. lookup_bulk reads the last sealed image.
//
// live_update_safe is false for both families: seal replaces and frees the image lookups read.
// A slot changes a molt FIB only while no worker uses it (or builds a new generation).

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_random.h>

#include "drivers/driver.h"
#include "drivers/molt/molt.h"
#include "drivers/prefix.h"
#include "drivers/shadow.h"

struct molt_drv {
	struct shadow rules;
	uint32_t max_routes;
	uint8_t family;
	bool stale; // rules changed since the image was built
	uint64_t seed; // the next build's seed
	struct molt_fib *image; // NULL before the first seal: every lookup misses
	// The image's size, for memory(): telemetry asks from its own thread, which must not read
	// an image seal may be freeing.
	size_t image_bytes;
};

static inline struct molt_drv *drv(struct fib *f)
{
	return (struct molt_drv *)f;
}

static inline const struct molt_drv *cdrv(const struct fib *f)
{
	return (const struct molt_drv *)f;
}

static struct fib *molt_create(uint8_t family, const char *name, const struct fib_conf *conf)
{
	struct molt_drv *m;

	if (name == NULL || conf == NULL || conf->max_routes == 0) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	shadow_init(&m->rules, family == 4 ? 4 : PREFIX6_LEN);
	m->max_routes = conf->max_routes;
	m->family = family;
	// Each FIB draws its own seeds, so two slots of one table never share an image.
	m->seed = rte_rand();
	return (struct fib *)m;
}

static struct fib *molt4_create(const char *name, const struct fib_conf *conf)
{
	return molt_create(4, name, conf);
}

static struct fib *molt6_create(const char *name, const struct fib_conf *conf)
{
	return molt_create(6, name, conf);
}

static int molt_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct molt_drv *m = drv(f);
	union prefix_key key;
	int ret;

	if (nh >= FIB_NH_MAX || prefix_key(m->family, prefix, plen, &key) < 0)
		return -EINVAL;
	if ((ret = shadow_admit(&m->rules, m->max_routes, &key, plen)) < 0)
		return ret;
	shadow_set(&m->rules, &key, plen, nh);
	m->stale = true;
	return 0;
}

static int molt_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct molt_drv *m = drv(f);
	union prefix_key key;
	int ret;

	if ((ret = prefix_key(m->family, prefix, plen, &key)) < 0)
		return ret;
	if (!shadow_del(&m->rules, &key, plen))
		return -ENOENT;
	m->stale = true;
	return 0;
}

static void miss_all(uint32_t *nh, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		nh[i] = FIB_NH_MISS;
}

static void molt4_lookup(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct molt_fib *img = cdrv(f)->image;

	if (img != NULL)
		molt4_lookup_bulk(img, addrs, nh, n);
	else
		miss_all(nh, n);
}

static void molt6_lookup(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct molt_fib *img = cdrv(f)->image;

	if (img != NULL)
		molt6_lookup_bulk(img, addrs, nh, n);
	else
		miss_all(nh, n);
}

// The shadow's rules as the engine takes them, in the shadow's (hash) order: the build sorts.
struct collect {
	uint8_t family;
	size_t n;
	union {
		struct molt_rule4 *r4;
		struct molt_rule6 *r6;
	};
};

static int collect_rule(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	struct collect *c = arg;

	if (c->family == 4) {
		c->r4[c->n++] = (struct molt_rule4){ .prefix = *(const uint32_t *)prefix,
						     .nh = nh,
						     .plen = plen };
	} else {
		struct molt_rule6 *r = &c->r6[c->n++];

		memcpy(r->prefix, prefix, PREFIX6_LEN);
		r->nh = nh;
		r->plen = plen;
	}
	return 0;
}

static int molt_seal(struct fib *f)
{
	struct molt_drv *m = drv(f);
	size_t esz = m->family == 4 ? sizeof(struct molt_rule4) : sizeof(struct molt_rule6);
	struct collect c = { .family = m->family };
	struct molt_stats st;
	struct molt_fib *img;
	void *rules;

	if (!m->stale && m->image != NULL)
		return 0;
	// One spare element: an empty table still allocates.
	rules = malloc((m->rules.count + 1) * esz);
	if (rules == NULL)
		return -ENOMEM;
	c.r4 = rules;
	shadow_walk(&m->rules, collect_rule, &c);
	if (m->family == 4)
		img = molt4_build(c.r4, c.n, m->seed, 0);
	else
		img = molt6_build(c.r6, c.n, m->seed, 0);
	int err = img == NULL ? -errno : 0;
	explicit_bzero(rules, (m->rules.count + 1) * esz);
	free(rules);
	if (img == NULL)
		return err;
	m->seed = m->seed * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	molt_free(m->image);
	m->image = img;
	molt_get_stats(img, &st);
	m->image_bytes = st.bytes;
	m->stale = false;
	return 0;
}

static int molt_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cdrv(f)->rules, cb, arg);
}

static uint64_t molt_count(const struct fib *f)
{
	return cdrv(f)->rules.count;
}

static size_t molt_memory(const struct fib *f)
{
	const struct molt_drv *m = cdrv(f);

	return sizeof(*m) + shadow_memory(&m->rules) + m->image_bytes;
}

static int molt_reserve(struct fib *f, uint64_t n)
{
	struct molt_drv *m = drv(f);

	return shadow_reserve_n(&m->rules, m->max_routes, n);
}

static void molt_prefetch(const struct fib *f, const void *prefix, uint8_t plen)
{
	shadow_prefetch(&cdrv(f)->rules, prefix, plen);
}

static void molt_free_scrub(struct fib *f)
{
	struct molt_drv *m = drv(f);

	if (m == NULL)
		return;
	shadow_scrub_free(&m->rules);
	molt_free(m->image);
	explicit_bzero(m, sizeof(*m));
	free(m);
}

// Both families' tables: only create and lookup_bulk are per family.
#define MOLT_OPS(fam) \
	{ \
		.family = fam, .create = molt##fam##_create, .lookup_bulk = molt##fam##_lookup, \
		.add = molt_add, .del = molt_del, .walk = molt_walk, .count = molt_count, \
		.memory = molt_memory, .reserve = molt_reserve, .prefetch = molt_prefetch, \
		.free_scrub = molt_free_scrub, .seal = molt_seal, \
	}

static const struct fib_ops molt4_ops = MOLT_OPS(4);
static const struct fib_ops molt6_ops = MOLT_OPS(6);

static const struct fib_driver molt_driver = {
	.name = "molt",
	.description = "molt's own compact trie, read-only after each build (seal)",
	.live_update_safe_v4 = false,
	.live_update_safe_v6 = false,
	.v4 = &molt4_ops,
	.v6 = &molt6_ops,
};

RTE_INIT(molt_driver_init)
{
	fib_driver_register(&molt_driver);
}
