// SPDX-License-Identifier: BSD-3-Clause
// The driver ops the integrity audit stands on (drivers/driver.h), for every driver moltd
// rotates through and both families: regions covers what lookups read; touched covers every
// byte an add or del writes (checked against a copy of the regions, update after update); and
// debug_redirect makes the address resolve to the next hop asked for.

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/driver.h"
#include "harness.h"

#define ROUTES 3000
#define UPDATES 150
#define MAX_REGIONS 8

static unsigned name_seq;

struct marks {
	const struct fib_region *r;
	unsigned n;
	uint8_t *bits[MAX_REGIONS]; // one bit per byte of each region
	uint64_t outside; // spans not inside any region
};

static void mark(const void *addr, size_t len, void *arg)
{
	struct marks *m = arg;
	uintptr_t a = (uintptr_t)addr;

	for (unsigned i = 0; i < m->n; i++) {
		uintptr_t b = (uintptr_t)m->r[i].addr;

		if (a >= b && a + len <= b + m->r[i].len) {
			for (size_t k = a - b; k < a - b + len; k++)
				m->bits[i][k / 8] |= (uint8_t)(1u << (k % 8));
			return;
		}
	}
	m->outside++;
}

static bool marked(const struct marks *m, unsigned i, size_t k)
{
	return (m->bits[i][k / 8] >> (k % 8)) & 1;
}

static struct fib *make(const struct fib_ops *ops)
{
	struct fib_conf conf = {
		.max_routes = ROUTES * 2,
		.tbl8_groups = 4096,
		.tbl8_groups_v6 = 16384,
		.socket_id = -1,
	};
	char name[16];

	snprintf(name, sizeof(name), "rg%u", name_seq++);
	struct fib *f = ops->create(name, &conf);
	assert_non_null(f);
	return f;
}

static void seal(const struct fib_ops *ops, struct fib *f)
{
	if (ops->seal != NULL)
		assert_int_equal(ops->seal(f), 0);
}

static const void *key(int family, const struct harness_route *r)
{
	return family == 4 ? (const void *)&r->v4 : (const void *)r->v6;
}

// Applies updates one by one; after each, every byte of the regions that changed must have
// been visited by touched, before the update or after it.
static void check_touched(const struct fib_ops *ops, struct fib *f, int family,
			  struct harness_route *rt, unsigned n, uint64_t *seed)
{
	struct fib_region r[MAX_REGIONS];
	int nr = ops->regions(f, r, MAX_REGIONS);
	struct marks m = { .r = r };
	uint8_t *copy[MAX_REGIONS];
	uint64_t changed = 0;

	assert_true(nr > 0);
	m.n = (unsigned)nr;
	for (int i = 0; i < nr; i++) {
		copy[i] = malloc(r[i].len);
		m.bits[i] = calloc(r[i].len / 8 + 1, 1);
		assert_true(copy[i] != NULL && m.bits[i] != NULL);
		memcpy(copy[i], r[i].addr, r[i].len);
	}
	// reachable stays inside the regions too; then the marks start afresh.
	if (ops->reachable != NULL) {
		assert_int_equal(ops->reachable(f, mark, &m), 0);
		assert_int_equal(m.outside, 0);
		assert_true(marked(&m, 0, 0));
		for (int i = 0; i < nr; i++)
			memset(m.bits[i], 0, r[i].len / 8 + 1);
	}
	for (unsigned u = 0; u < UPDATES; u++) {
		struct harness_route *x = &rt[harness_rand(seed) % n];
		unsigned op = (unsigned)(harness_rand(seed) % 3);

		if (u % 50 == 7) // the default route now and then: the widest change
			x = &rt[0];
		assert_int_equal(ops->touched(f, key(family, x), x->plen, mark, &m), 0);
		if (op == 0) {
			int ret = ops->del(f, key(family, x), x->plen);

			assert_true(ret == 0 || ret == -ENOENT);
		} else {
			assert_int_equal(ops->add(f, key(family, x), x->plen,
						  (uint32_t)(harness_rand(seed) % 1000)),
					 0);
		}
		assert_int_equal(ops->touched(f, key(family, x), x->plen, mark, &m), 0);
		assert_int_equal(m.outside, 0);
		for (int i = 0; i < nr; i++) {
			const uint8_t *now = r[i].addr;

			for (size_t pg = 0; pg < r[i].len; pg += 4096) {
				size_t l = r[i].len - pg < 4096 ? r[i].len - pg : 4096;

				if (memcmp(now + pg, copy[i] + pg, l) == 0)
					continue;
				for (size_t k = pg; k < pg + l; k++) {
					if (now[k] == copy[i][k])
						continue;
					changed++;
					if (!marked(&m, (unsigned)i, k))
						fail_msg(
							"update %u (/%u, op %u): %s byte %zu changed "
							"outside what touched visited",
							u, x->plen, op, r[i].name, k);
				}
				memcpy(copy[i] + pg, now + pg, l);
			}
			memset(m.bits[i], 0, r[i].len / 8 + 1);
		}
	}
	assert_true(changed > 0);
	for (int i = 0; i < nr; i++) {
		free(copy[i]);
		free(m.bits[i]);
	}
}

static void lookup1(const struct fib_ops *ops, const struct fib *f, const void *a, uint32_t *nh)
{
	ops->lookup_bulk(f, a, nh, 1);
}

static void check_redirect(const struct fib_ops *ops, struct fib *f, int family,
			   const struct harness_route *rt, unsigned n, uint64_t *seed)
{
	uint8_t addrs[64][16];
	char what[256];

	harness_gen_addrs(family, rt, n, addrs, 64, seed);
	for (unsigned i = 0; i < 64; i++) {
		const void *a = family == 4 ? (const void *)&((uint32_t *)addrs)[i] : addrs[i];
		uint32_t before, after, to;
		int ret;

		lookup1(ops, f, a, &before);
		to = before == 4242 ? 4243 : 4242;
		what[0] = 0;
		ret = ops->debug_redirect(f, a, to, what, sizeof(what));
		assert_int_equal(ret, 0);
		assert_true(what[0] != 0);
		lookup1(ops, f, a, &after);
		assert_int_equal(after, to);
	}
	assert_int_equal(ops->debug_redirect(f, addrs[0], FIB_NH_MAX, what, sizeof(what)), -EINVAL);
}

static void one(const char *drv, int family)
{
	const struct fib_driver *d = fib_driver_find(drv);
	const struct fib_ops *ops;
	struct harness_route *rt = calloc(ROUTES + 1, sizeof(*rt));
	uint64_t seed = 42 + (uint64_t)family;
	struct fib_region r[MAX_REGIONS];
	struct fib *f;
	unsigned n;
	int nr;

	assert_non_null(d);
	ops = family == 4 ? d->v4 : d->v6;
	assert_non_null(ops->regions);
	assert_non_null(ops->touched);
	assert_non_null(ops->debug_redirect);
	assert_non_null(rt);
	// rt[0] is the default route; the rest an Internet-like mix with tbl8 groups in use.
	n = 1 + harness_gen_routes(family, rt + 1, ROUTES, 20, &seed);
	f = make(ops);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(ops->add(f, key(family, &rt[i]), rt[i].plen, rt[i].nh), 0);
	seal(ops, f);
	nr = ops->regions(f, r, MAX_REGIONS);
	assert_true(nr > 0);
	for (int i = 0; i < nr; i++) {
		assert_non_null(r[i].addr);
		assert_non_null(r[i].name);
		assert_true(r[i].len > 0);
	}
	assert_int_equal(ops->regions(f, r, 0), -ENOSPC);
	if (ops->seal == NULL)
		check_touched(ops, f, family, rt, n, &seed);
	seal(ops, f);
	check_redirect(ops, f, family, rt, n, &seed);
	ops->free_scrub(f);
	free(rt);
}

#define CASE(name, drv, fam) \
	static void name(void **state) \
	{ \
		(void)state; \
		one(drv, fam); \
	}
CASE(molt4, "molt", 4)
CASE(molt6, "molt", 6)
CASE(fib4, "fib", 4)
CASE(fib6, "fib", 6)
CASE(lpm4, "lpm", 4)
CASE(lpm6, "lpm", 6)
CASE(fib_lpm6_6, "fib-lpm6", 6)

int main(int argc, char **argv)
{
	(void)argc;
	harness_eal_init(argv[0], 1024);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(molt4),      cmocka_unit_test(molt6), cmocka_unit_test(fib4),
		cmocka_unit_test(fib6),       cmocka_unit_test(lpm4),  cmocka_unit_test(lpm6),
		cmocka_unit_test(fib_lpm6_6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
