// SPDX-License-Identifier: BSD-3-Clause
// The driver contract (drivers/driver.h) checked op by op, for every registered driver and
// both families: add/replace, del, lookup, default route, walk, count, errors, table full.

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "drivers/driver.h"
#include "harness.h"

static unsigned name_seq;

static struct fib *make(const struct fib_ops *ops, uint32_t max_routes, uint32_t tbl8)
{
	struct fib_conf conf = { .max_routes = max_routes, .tbl8_groups = tbl8, .socket_id = -1 };
	char name[16];

	snprintf(name, sizeof(name), "ops%u", name_seq++);
	struct fib *f = ops->create(name, &conf);
	assert_non_null(f);
	return f;
}

// An address of the family from two 16-bit halves: IPv4 hi.lo; IPv6 repeats each IPv4 byte
// twice, so IPv4 /8k and IPv6 /16k (see L()) cover the same addresses of each test.
struct pfx {
	union {
		uint32_t v4;
		uint8_t v6[16];
	};
};

static struct pfx P(int family, uint32_t hi, uint32_t lo) {
	struct pfx p;

	memset(&p, 0, sizeof(p));
	if (family == 4) {
		p.v4 = hi << 16 | lo;
	} else {
		uint8_t b[4] = { (uint8_t)(hi >> 8), (uint8_t)hi, (uint8_t)(lo >> 8), (uint8_t)lo };

		for (unsigned i = 0; i < 8; i++)
			p.v6[i] = b[i / 2];
	}
	return p;
}

// A driver with seal answers from its last seal: every lookup here follows the adds and dels
// before it, as a slot seals before workers read it.
static void
seal(const struct fib_ops *ops, struct fib *f)
{
	if (ops->seal != NULL)
		assert_int_equal(ops->seal(f), 0);
}

static uint32_t lookup1(const struct fib_ops *ops, struct fib *f, struct pfx a)
{
	uint32_t nh = 0;

	seal(ops, f);
	ops->lookup_bulk(f, &a, &nh, 1);
	return nh;
}

// Prefix lengths scaled so that IPv4 /16 corresponds to IPv6 /32.
static uint8_t L(int family, uint8_t v4_plen)
{
	return family == 4 ? v4_plen : (uint8_t)(v4_plen * 2);
}

#define FOR_EACH_OPS(d, ops) \
	for (const struct fib_driver *d = fib_driver_next(NULL); d != NULL; \
	     d = fib_driver_next(d)) \
		for (int fam_ = 0; fam_ < 2; fam_++) \
			for (const struct fib_ops *ops = fam_ ? d->v6 : d->v4; \
			     ops && (print_message("  %s v%d\n", d->name, ops->family), 1); \
			     ops = NULL)

static void test_registry(void **state)
{
	(void)state;
	assert_non_null(fib_driver_find("lpm"));
	assert_non_null(fib_driver_find("reference"));
	assert_non_null(fib_driver_find("fib"));
	assert_null(fib_driver_find("nope"));
	assert_null(fib_driver_find(NULL));
	unsigned n = 0;
	for (const struct fib_driver *d = fib_driver_next(NULL); d; d = fib_driver_next(d)) {
		assert_ptr_equal(fib_driver_find(d->name), d);
		assert_int_equal(d->v4->family, 4);
		assert_int_equal(d->v6->family, 6);
		n++;
	}
	assert_true(n >= 3);
}

static void test_add_replace_del(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct fib *f = make(ops, 64, 16);
		struct pfx net = P(fam, 0x0a01, 0), host = P(fam, 0x0a01, 0x0203);

		assert_int_equal(lookup1(ops, f, host), FIB_NH_MISS);
		assert_int_equal(ops->add(f, &net, L(fam, 16), 7), 0);
		assert_int_equal(lookup1(ops, f, host), 7);
		assert_int_equal(ops->count(f), 1);
		// replace keeps one rule
		assert_int_equal(ops->add(f, &net, L(fam, 16), 9), 0);
		assert_int_equal(lookup1(ops, f, host), 9);
		assert_int_equal(ops->count(f), 1);
		// longer prefix wins, shorter still covers the rest
		struct pfx sub = P(fam, 0x0a01, 0x0200);
		assert_int_equal(ops->add(f, &sub, L(fam, 24), 11), 0);
		assert_int_equal(lookup1(ops, f, host), 11);
		assert_int_equal(lookup1(ops, f, P(fam, 0x0a01, 0x0303)), 9);
		// del of absent: wrong length, wrong prefix
		assert_int_equal(ops->del(f, &net, L(fam, 17)), -ENOENT);
		struct pfx other = P(fam, 0x0b00, 0);
		assert_int_equal(ops->del(f, &other, L(fam, 16)), -ENOENT);
		assert_int_equal(ops->del(f, &sub, L(fam, 24)), 0);
		assert_int_equal(ops->del(f, &sub, L(fam, 24)), -ENOENT);
		assert_int_equal(lookup1(ops, f, host), 9);
		assert_int_equal(ops->del(f, &net, L(fam, 16)), 0);
		assert_int_equal(lookup1(ops, f, host), FIB_NH_MISS);
		assert_int_equal(ops->count(f), 0);
		assert_true(ops->memory(f) > 0);
		ops->free_scrub(f);
	}
}

static void test_host_bits_masked(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct fib *f = make(ops, 8, 16);
		struct pfx dirty = P(fam, 0x0a01, 0x0203), clean = P(fam, 0x0a01, 0);

		assert_int_equal(ops->add(f, &dirty, L(fam, 16), 3), 0);
		assert_int_equal(ops->count(f), 1);
		// the same rule under its canonical spelling
		assert_int_equal(ops->add(f, &clean, L(fam, 16), 4), 0);
		assert_int_equal(ops->count(f), 1);
		assert_int_equal(lookup1(ops, f, P(fam, 0x0a01, 0xffff)), 4);
		assert_int_equal(ops->del(f, &dirty, L(fam, 16)), 0);
		assert_int_equal(ops->count(f), 0);
		ops->free_scrub(f);
	}
}

static void test_default_route(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct fib *f = make(ops, 8, 16);
		struct pfx zero = P(fam, 0, 0), net = P(fam, 0x0a01, 0);
		uint32_t nh[5];
		struct pfx a[5] = { P(fam, 1, 1), P(fam, 0x0a01, 1), P(fam, 0xffff, 0xffff),
				    P(fam, 0x0a02, 0), P(fam, 0x0a01, 0xffff) };

		assert_int_equal(ops->add(f, &zero, 0, 1), 0);
		assert_int_equal(ops->add(f, &net, L(fam, 16), 2), 0);
		uint32_t a4[5];
		for (unsigned i = 0; i < 5; i++)
			a4[i] = a[i].v4;
		// uint32_t[] for IPv4, uint8_t[][16] for IPv6
		const void *addrs = fam == 4 ? (const void *)a4 : a;

		seal(ops, f);
		ops->lookup_bulk(f, addrs, nh, 5);
		assert_int_equal(nh[0], 1);
		assert_int_equal(nh[1], 2);
		assert_int_equal(nh[2], 1);
		assert_int_equal(nh[3], 1);
		assert_int_equal(nh[4], 2);
		assert_int_equal(ops->count(f), 2);
		assert_int_equal(ops->del(f, &zero, 0), 0);
		assert_int_equal(ops->del(f, &zero, 0), -ENOENT);
		seal(ops, f);
		ops->lookup_bulk(f, addrs, nh, 5);
		assert_int_equal(nh[0], FIB_NH_MISS);
		assert_int_equal(nh[1], 2);
		ops->free_scrub(f);
	}
}

// rte_fib6's trie keeps a count of reserved tbl8 groups that some DPDK versions skip on an add
// whose next hop equals the covering route's but decrement on its delete; an underflow would
// make every later long add fail. Harmless for drivers without such accounting.
static void test_same_nh_as_parent(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct fib *f = make(ops, 16, 16);
		struct pfx agg = P(fam, 0x0a01, 0), more = P(fam, 0x0a01, 0x0100);

		assert_int_equal(ops->add(f, &agg, L(fam, 16), 1), 0);
		assert_int_equal(ops->add(f, &more, L(fam, 24), 1), 0);
		assert_int_equal(ops->del(f, &more, L(fam, 24)), 0);
		for (uint32_t i = 0; i < 4; i++) {
			struct pfx p = P(fam, 0x0b00, i << 8 | 0x80);
			assert_int_equal(ops->add(f, &p, L(fam, 25), 2), 0);
			assert_int_equal(lookup1(ops, f, p), 2);
		}
		ops->free_scrub(f);
	}
}

static void test_bad_args(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct fib *f = make(ops, 8, 16);
		struct pfx p = P(fam, 0x0a00, 0);
		uint8_t bad = fam == 4 ? 33 : 129;

		assert_int_equal(ops->add(f, &p, bad, 1), -EINVAL);
		assert_int_equal(ops->add(f, &p, 255, 1), -EINVAL);
		assert_int_equal(ops->del(f, &p, bad), -EINVAL);
		assert_int_equal(ops->add(f, &p, L(fam, 8), FIB_NH_MAX), -EINVAL);
		assert_int_equal(ops->add(f, &p, L(fam, 8), FIB_NH_MISS), -EINVAL);
		assert_int_equal(ops->add(f, &p, L(fam, 8), FIB_NH_MAX - 1), 0);
		assert_int_equal(lookup1(ops, f, p), FIB_NH_MAX - 1);
		assert_int_equal(ops->count(f), 1);
		ops->free_scrub(f);

		struct fib_conf conf = { .max_routes = 0, .tbl8_groups = 16, .socket_id = -1 };
		errno = 0;
		assert_null(ops->create("bad0", &conf));
		assert_int_equal(errno, EINVAL);
		ops->free_scrub(NULL);
	}
}

static void test_table_full(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct fib *f = make(ops, 8, 16);

		for (uint32_t i = 0; i < 8; i++) {
			struct pfx p = P(fam, 0x0a00 + i, 0);
			assert_int_equal(ops->add(f, &p, L(fam, 16), i), 0);
		}
		struct pfx extra = P(fam, 0x0b00, 0), first = P(fam, 0x0a00, 0);
		assert_int_equal(ops->add(f, &extra, L(fam, 16), 1), -ENOSPC);
		assert_int_equal(lookup1(ops, f, extra), FIB_NH_MISS);
		// replacing an existing rule needs no room
		assert_int_equal(ops->add(f, &first, L(fam, 16), 99), 0);
		assert_int_equal(lookup1(ops, f, first), 99);
		assert_int_equal(ops->count(f), 8);
		assert_int_equal(ops->del(f, &first, L(fam, 16)), 0);
		assert_int_equal(ops->add(f, &extra, L(fam, 16), 1), 0);
		assert_int_equal(ops->count(f), 8);
		ops->free_scrub(f);
	}
}

// The bulk-load hints: reserve sizes the driver's bookkeeping but never lifts max_routes,
// prefetch changes nothing, and both take what add takes (or ignore what it refuses).
static void test_reserve_prefetch(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct pfx p = P(fam, 0x0a00, 0);

		if (ops->reserve == NULL && ops->prefetch == NULL)
			continue;
		assert_non_null(ops->reserve);
		assert_non_null(ops->prefetch);

		struct fib *f = make(ops, 8, 16);
		ops->prefetch(f, &p, L(fam, 16)); // before anything was allocated
		ops->prefetch(f, NULL, L(fam, 16));
		ops->prefetch(f, &p, fam == 4 ? 33 : 129);
		assert_int_equal(ops->reserve(f, 1000000), 0); // capped at max_routes
		assert_int_equal(ops->count(f), 0);
		for (uint32_t i = 0; i < 8; i++) {
			p = P(fam, 0x0a00 + i, 0);
			ops->prefetch(f, &p, L(fam, 16));
			assert_int_equal(ops->add(f, &p, L(fam, 16), i), 0);
		}
		struct pfx extra = P(fam, 0x0b00, 0);
		assert_int_equal(ops->reserve(f, 1), 0);
		assert_int_equal(ops->add(f, &extra, L(fam, 16), 1), -ENOSPC);
		assert_int_equal(ops->count(f), 8);
		for (uint32_t i = 0; i < 8; i++)
			assert_int_equal(lookup1(ops, f, P(fam, 0x0a00 + i, 7)), i);
		ops->free_scrub(f);

		// Reserved room is enough: the adds leave the footprint where reserve put it. Past
		// the reservation, adds grow the tables as usual.
		struct harness_route r[2000];
		uint64_t seed = 11;
		unsigned n = harness_gen_routes(fam, r, 2000, 3, &seed);
		f = make(ops, 4000, 1024);
		assert_int_equal(ops->reserve(f, n / 2), 0);
		size_t reserved = ops->memory(f);
		for (unsigned i = 0; i < n; i++) {
			const void *k = fam == 4 ? (const void *)&r[i].v4 : r[i].v6;

			if (i == n / 2)
				assert_int_equal(ops->memory(f), reserved);
			ops->prefetch(f, k, r[i].plen);
			assert_int_equal(ops->add(f, k, r[i].plen, r[i].nh), 0);
		}
		assert_true(ops->memory(f) > reserved);
		assert_int_equal(ops->count(f), n);
		ops->free_scrub(f);
	}
}

struct walk_ctx {
	int family;
	unsigned seen;
	unsigned stop_after;
	const struct harness_route *r;
	unsigned n;
	uint8_t *visited;
};

static int walk_check(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	struct walk_ctx *c = arg;

	for (unsigned i = 0; i < c->n; i++) {
		const struct harness_route *r = &c->r[i];
		bool same = c->family == 4 ? memcmp(prefix, &r->v4, 4) == 0
					   : memcmp(prefix, r->v6, 16) == 0;

		if (same && r->plen == plen) {
			assert_int_equal(nh, r->nh);
			assert_int_equal(c->visited[i], 0);
			c->visited[i] = 1;
			c->seen++;
			return c->stop_after && c->seen == c->stop_after ? 42 : 0;
		}
	}
	fail_msg("walk visited a rule that was never added (plen %u)", plen);
	return -1;
}

static void test_walk(void **state)
{
	(void)state;
	FOR_EACH_OPS(d, ops)
	{
		int fam = ops->family;
		struct harness_route r[300];
		uint8_t visited[300];
		uint64_t seed = 7;
		unsigned n = harness_gen_routes(fam, r, 300, 3, &seed);
		struct fib *f = make(ops, 400, 256);

		for (unsigned i = 0; i < n; i++)
			assert_int_equal(ops->add(f, fam == 4 ? (void *)&r[i].v4 : r[i].v6,
						  r[i].plen, r[i].nh),
					 0);
		// delete every third, so walk must not show deleted rules
		unsigned kept = 0;
		for (unsigned i = 0; i < n; i++) {
			if (i % 3 == 0) {
				assert_int_equal(ops->del(f, fam == 4 ? (void *)&r[i].v4 : r[i].v6,
							  r[i].plen),
						 0);
				r[i].plen = 200; // never matches a walked rule
			} else {
				kept++;
			}
		}
		assert_int_equal(ops->count(f), kept);
		struct walk_ctx c = { .family = fam, .r = r, .n = n, .visited = visited };
		memset(visited, 0, sizeof(visited));
		assert_int_equal(ops->walk(f, walk_check, &c), 0);
		assert_int_equal(c.seen, kept);
		// early stop returns the callback's value
		memset(visited, 0, sizeof(visited));
		c.seen = 0;
		c.stop_after = 5;
		assert_int_equal(ops->walk(f, walk_check, &c), 42);
		assert_int_equal(c.seen, 5);
		ops->free_scrub(f);
	}
}

// lpm specifics: the shadow agrees with DPDK's own rule table, tbl8 exhaustion is -ENOSPC and
// leaves the table unchanged, names are unique.
struct probe_ctx {
	struct rte_lpm *lpm4;
	struct rte_lpm6 *lpm6;
	unsigned n;
};

static int probe_present(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	struct probe_ctx *c = arg;
	uint32_t got = UINT32_MAX;

	c->n++;
	if (plen == 0)
		return 0; // the default route lives in the driver, not in DPDK
	if (c->lpm4 != NULL)
		assert_int_equal(
			rte_lpm_is_rule_present(c->lpm4, *(const uint32_t *)prefix, plen, &got), 1);
	else
		assert_int_equal(rte_lpm6_is_rule_present(c->lpm6, prefix, plen, &got), 1);
	assert_int_equal(got, nh);
	return 0;
}

static void test_lpm_specifics(void **state)
{
	(void)state;
	const struct fib_driver *d = fib_driver_find("lpm");
	struct fib_conf conf = { .max_routes = 1000, .tbl8_groups = 256, .socket_id = -1 };

	for (int fam = 4; fam <= 6; fam += 2) {
		const struct fib_ops *ops = fam == 4 ? d->v4 : d->v6;
		struct fib *f = ops->create("lpmx", &conf);
		assert_non_null(f);
		errno = 0;
		assert_null(ops->create("lpmx", &conf));
		assert_int_equal(errno, EEXIST);
		errno = 0;
		assert_null(ops->create("a-name-much-too-long-for-dpdk", &conf));
		assert_int_equal(errno, EINVAL);

		struct harness_route r[500];
		uint64_t seed = 99;
		unsigned n = harness_gen_routes(fam, r, 500, fam == 4 ? 20 : 5, &seed);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(ops->add(f, fam == 4 ? (void *)&r[i].v4 : r[i].v6,
						  r[i].plen, r[i].nh),
					 0);
		struct probe_ctx c = {
			.lpm4 = fam == 4 ? rte_lpm_find_existing("l4lpmx") : NULL,
			.lpm6 = fam == 6 ? rte_lpm6_find_existing("l6lpmx") : NULL,
		};
		assert_true(c.lpm4 != NULL || c.lpm6 != NULL);
		assert_int_equal(ops->walk(f, probe_present, &c), 0);
		assert_int_equal(c.n, n);
		ops->free_scrub(f);
	}

	// IPv4 with 2 tbl8 groups: the third /24 holding a longer prefix does not fit.
	const struct fib_ops *ops = d->v4;
	conf.tbl8_groups = 2;
	struct fib *f = ops->create("lpmt8", &conf);
	assert_non_null(f);
	for (uint32_t i = 0; i < 2; i++) {
		uint32_t p = 0x0a000000 | i << 8 | 0x80;
		assert_int_equal(ops->add(f, &p, 25, i), 0);
	}
	uint32_t p3 = 0x0a000280, a3 = 0x0a000281;
	assert_int_equal(ops->add(f, &p3, 25, 5), -ENOSPC);
	assert_int_equal(ops->count(f), 2);
	assert_int_equal(ops->del(f, &p3, 25), -ENOENT);
	assert_int_equal(lookup1(ops, f, (struct pfx){ .v4 = a3 }), FIB_NH_MISS);
	ops->free_scrub(f);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_eal_init(argv[0], 512);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_add_replace_del),
		cmocka_unit_test(test_host_bits_masked),
		cmocka_unit_test(test_default_route),
		cmocka_unit_test(test_same_nh_as_parent),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_reserve_prefetch),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_lpm_specifics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
