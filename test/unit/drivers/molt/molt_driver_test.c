// SPDX-License-Identifier: BSD-3-Clause
// The "molt" driver: the fib_ops contract (drivers/driver.h) with seal, and its answers
// against the reference driver through add, seal, del, seal, re-add, seal, and through many
// small change sets, for both families.

#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "molt_tlib.h"

static int fam4 = 4, fam6 = 6;

static int fam(void **state)
{
	return *(int *)*state;
}

static const struct fib_ops *molt_ops(int family)
{
	const struct fib_driver *d = fib_driver_find("molt");

	assert_non_null(d);
	return family == 4 ? d->v4 : d->v6;
}

static struct fib *make(const struct fib_ops *ops, uint32_t max_routes)
{
	struct fib_conf conf = { .max_routes = max_routes, .socket_id = -1 };
	struct fib *f = ops->create("molt-test", &conf);

	assert_non_null(f);
	return f;
}

// An address of the family from an IPv4-looking dotted quad: IPv6 maps it to 2001:db8::/32
// with the quad in bytes 4-7, so that an IPv4 /n is an IPv6 /(n + 32).
struct pfx {
	union {
		uint32_t v4;
		uint8_t v6[16];
	};
};

static struct pfx P(int family, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
	struct pfx p;

	memset(&p, 0, sizeof(p));
	if (family == 4) {
		p.v4 = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
	} else {
		uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, a, b, c, d };

		memcpy(p.v6, v6, 16);
	}
	return p;
}

static uint8_t
L(int family, uint8_t v4_plen)
{
	return family == 4 ? v4_plen : (uint8_t)(v4_plen + 32);
}

static uint32_t lookup1(const struct fib_ops *ops, const struct fib *f, struct pfx a)
{
	uint32_t nh = 0;

	ops->lookup_bulk(f, &a, &nh, 1);
	return nh;
}

static void test_registry(void **state)
{
	const struct fib_driver *d = fib_driver_find("molt");

	(void)state;
	assert_non_null(d);
	assert_false(d->live_update_safe_v4);
	assert_false(d->live_update_safe_v6);
	assert_int_equal(d->v4->family, 4);
	assert_int_equal(d->v6->family, 6);
	assert_non_null(d->v4->seal);
	assert_non_null(d->v6->seal);
	// An incremental engine has no seal.
	assert_null(fib_driver_find("reference")->v4->seal);
}

struct walk_acc {
	unsigned n;
	uint64_t nh_sum;
};

static int walk_cb(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	struct walk_acc *w = arg;

	(void)prefix;
	(void)plen;
	w->n++;
	w->nh_sum += nh;
	return 0;
}

static int walk_stop(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	(void)prefix;
	(void)plen;
	(void)nh;
	(void)arg;
	return 7;
}

// add/del reach lookups at seal, and only then.
static void test_seal_contract(void **state)
{
	int f4 = fam(state);
	const struct fib_ops *ops = molt_ops(f4);
	struct fib *f = make(ops, 4);
	struct pfx net = P(f4, 10, 1, 0, 0), host = P(f4, 10, 1, 2, 3), sub = P(f4, 10, 1, 2, 0);

	assert_int_equal(lookup1(ops, f, host), FIB_NH_MISS);
	assert_int_equal(ops->add(f, &net, L(f4, 16), 7), 0);
	assert_int_equal(lookup1(ops, f, host), FIB_NH_MISS); // not sealed yet
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(lookup1(ops, f, host), 7);
	size_t mem = ops->memory(f);
	assert_true(mem > 0);
	// Nothing changed: seal keeps the image.
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(ops->memory(f), mem);

	// Replace: one rule, the old answer until the next seal.
	assert_int_equal(ops->add(f, &net, L(f4, 16), 9), 0);
	assert_int_equal(ops->count(f), 1);
	assert_int_equal(lookup1(ops, f, host), 7);
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(lookup1(ops, f, host), 9);

	// Longer prefix, then its del.
	assert_int_equal(ops->add(f, &sub, L(f4, 24), 11), 0);
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(lookup1(ops, f, host), 11);
	assert_int_equal(lookup1(ops, f, P(f4, 10, 1, 3, 3)), 9);
	assert_int_equal(ops->del(f, &sub, L(f4, 24)), 0);
	assert_int_equal(lookup1(ops, f, host), 11);
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(lookup1(ops, f, host), 9);

	// Errors.
	assert_int_equal(ops->del(f, &sub, L(f4, 24)), -ENOENT);
	assert_int_equal(ops->del(f, &net, L(f4, 17)), -ENOENT);
	assert_int_equal(ops->add(f, &net, (uint8_t)(f4 == 4 ? 33 : 129), 1), -EINVAL);
	assert_int_equal(ops->add(f, &net, L(f4, 16), FIB_NH_MAX), -EINVAL);
	assert_int_equal(ops->add(f, NULL, L(f4, 16), 1), -EINVAL);
	assert_int_equal(ops->del(f, &net, (uint8_t)(f4 == 4 ? 33 : 129)), -EINVAL);
	// Host bits are ignored: the key is the prefix.
	assert_int_equal(ops->add(f, &host, L(f4, 16), 5), 0);
	assert_int_equal(ops->count(f), 1);

	// Full at max_routes (4): a replace still works.
	for (uint8_t i = 0; i < 3; i++) {
		struct pfx p = P(f4, 20, i, 0, 0);

		assert_int_equal(ops->add(f, &p, L(f4, 16), i), 0);
	}
	struct pfx more = P(f4, 30, 0, 0, 0);
	assert_int_equal(ops->add(f, &more, L(f4, 16), 1), -ENOSPC);
	assert_int_equal(ops->add(f, &net, L(f4, 16), 6), 0);

	// Walk: every rule once; an early stop returns the callback's value.
	struct walk_acc w = { 0 };
	assert_int_equal(ops->walk(f, walk_cb, &w), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(w.nh_sum, 6 + 0 + 1 + 2);
	assert_int_equal(ops->walk(f, walk_stop, NULL), 7);

	// reserve and prefetch are hints only.
	assert_int_equal(ops->reserve(f, 100), 0);
	ops->prefetch(f, &net, L(f4, 16));
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(lookup1(ops, f, host), 6);
	assert_int_equal(lookup1(ops, f, P(f4, 20, 2, 9, 9)), 2);

	// Delete everything: every address misses after the seal.
	struct pfx all[] = { net, P(f4, 20, 0, 0, 0), P(f4, 20, 1, 0, 0), P(f4, 20, 2, 0, 0) };
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(ops->del(f, &all[i], L(f4, 16)), 0);
	assert_int_equal(ops->count(f), 0);
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(lookup1(ops, f, host), FIB_NH_MISS);
	ops->free_scrub(f);
	ops->free_scrub(NULL);
}

static void test_create_errors(void **state)
{
	const struct fib_ops *ops = molt_ops(fam(state));
	struct fib_conf conf = { .max_routes = 0, .socket_id = -1 };

	errno = 0;
	assert_null(ops->create("x", &conf));
	assert_int_equal(errno, EINVAL);
	conf.max_routes = 1;
	assert_null(ops->create(NULL, &conf));
	assert_null(ops->create("x", NULL));
}

static const void *rule_key(const struct ttable *t, const struct trule *r, uint32_t *v4)
{
	if (t->family == 6)
		return r->p;
	memcpy(v4, r->p, 4);
	*v4 = be32toh(*v4);
	return v4;
}

static void add_rules(const struct fib_ops *ops, struct fib *f, const struct ttable *t, size_t from,
		      size_t to)
{
	for (size_t i = from; i < to; i++) {
		uint32_t v4;
		int ret = ops->add(f, rule_key(t, &t->r[i], &v4), t->r[i].plen, t->r[i].nh);

		if (ret != 0)
			fail_msg("add #%zu /%u: %s", i, t->r[i].plen, strerror(-ret));
	}
}

// Random tables through add, seal, del of a third, seal, re-add with new next hops, seal: the
// same answers as the reference each time.
static void test_differential(void **state)
{
	uint64_t seed = 42;
	struct ttable t;
	const struct fib_ops *ops = molt_ops(fam(state));

	tl_init(&t, fam(state));
	tl_random_table(&t, 20000, 16, 0, &seed);
	tl_shuffle(&t, &seed);
	struct fib *f = make(ops, (uint32_t)t.n + 16);

	assert_int_equal(ops->reserve(f, t.n), 0);
	add_rules(ops, f, &t, 0, t.n);
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(ops->count(f), t.n);
	tl_boundary_addrs(&t);
	tl_random_addrs(&t, 30000, &seed);
	tl_check_fib(&t, ops, f);

	// The first third goes: the table the oracle sees is the other two.
	size_t third = t.n / 3;
	for (size_t i = 0; i < third; i++) {
		uint32_t v4;

		assert_int_equal(ops->del(f, rule_key(&t, &t.r[i], &v4), t.r[i].plen), 0);
	}
	assert_int_equal(ops->seal(f), 0);
	struct ttable rest = t;
	rest.r += third;
	rest.n -= third;
	tl_check_fib(&rest, ops, f);

	// Back with other next hops.
	for (size_t i = 0; i < third; i++)
		t.r[i].nh = (t.r[i].nh + 1 + (uint32_t)(tl_rand(&seed) % 1000)) % FIB_NH_MAX;
	add_rules(ops, f, &t, 0, third);
	assert_int_equal(ops->seal(f), 0);
	assert_int_equal(ops->count(f), t.n);
	tl_check_fib(&t, ops, f);
	ops->free_scrub(f);
	tl_free(&t);
}

// Seals after a few changes each (the merge of the last seal's sorted rules with the changed
// keys): deletes, re-adds, next-hop changes, a key changed several times between two seals,
// new rules, and a change set too large to merge; the reference's answers after every seal.
static void test_small_change_sets(void **state)
{
	uint64_t seed = 7;
	struct ttable all, cur;
	const struct fib_ops *ops = molt_ops(fam(state));

	tl_init(&all, fam(state));
	tl_random_table(&all, 12000, 12, 0, &seed);
	tl_shuffle(&all, &seed);
	// The last 2,000 rules start out absent; every rule may come and go.
	size_t n0 = all.n - 2000;
	bool *present = calloc(all.n, sizeof(*present));
	struct fib *f = make(ops, (uint32_t)all.n + 16);

	assert_non_null(present);
	add_rules(ops, f, &all, 0, n0);
	for (size_t i = 0; i < n0; i++)
		present[i] = true;
	assert_int_equal(ops->seal(f), 0);
	for (unsigned round = 0; round < 24; round++) {
		// Round 20 changes more than an eighth of the table: seal starts over.
		unsigned changes = round == 20 ? (unsigned)all.n / 4
					       : 1 + (unsigned)(tl_rand(&seed) % 200);

		for (unsigned c = 0; c < changes; c++) {
			size_t i = tl_rand(&seed) % all.n;
			uint32_t v4;
			const void *key = rule_key(&all, &all.r[i], &v4);

			if (present[i] && tl_rand(&seed) % 2) {
				assert_int_equal(ops->del(f, key, all.r[i].plen), 0);
				present[i] = false;
				continue;
			}
			all.r[i].nh = (uint32_t)(tl_rand(&seed) % FIB_NH_MAX);
			assert_int_equal(ops->add(f, key, all.r[i].plen, all.r[i].nh), 0);
			present[i] = true;
		}
		assert_int_equal(ops->seal(f), 0);
		tl_init(&cur, fam(state));
		for (size_t i = 0; i < all.n; i++)
			if (present[i])
				tl_add(&cur, all.r[i].p, all.r[i].plen, all.r[i].nh);
		assert_int_equal(ops->count(f), cur.n);
		tl_boundary_addrs(&cur);
		// And inside the rules that are gone: a stale one must not answer.
		for (size_t i = 0; i < all.n; i++)
			if (!present[i])
				tl_addr(&cur, all.r[i].p);
		tl_random_addrs(&cur, 3000, &seed);
		tl_check_fib(&cur, ops, f);
		tl_free(&cur);
	}
	ops->free_scrub(f);
	free(present);
	tl_free(&all);
}

int main(void)
{
#define BOTH(fn) cmocka_unit_test_prestate(fn, &fam4), cmocka_unit_test_prestate(fn, &fam6)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry), BOTH(test_create_errors),
		BOTH(test_seal_contract),        BOTH(test_differential),
		BOTH(test_small_change_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
