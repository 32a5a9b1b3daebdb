// SPDX-License-Identifier: BSD-3-Clause
// Differential test: every registered driver must answer exactly like "reference" on large
// random tables, after bulk load, after deleting a random third, and after re-adding that third
// with new next hops. Run as `drivers-diff 4` or `drivers-diff 6`; MOLT_DIFF_ROUTES and
// MOLT_DIFF_SEED override the table size and seed (to replay a failure).

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_common.h>

#include "drivers/driver.h"
#include "harness.h"

#define N_ADDRS 200000u

static int family = 4;
static unsigned n_routes = 100000;
static uint64_t base_seed = 1;

struct table {
	const struct fib_ops *ops;
	struct fib *f;
};

static const void *rkey(const struct harness_route *r)
{
	return family == 4 ? (const void *)&r->v4 : r->v6;
}

// bulk: as a slot build loads a table, with the optional reserve and prefetch hints (which must
// not change the outcome); otherwise plain adds, so the shadow tables also grow as they go.
static void add_all(struct table *t, unsigned nt, const struct harness_route *r, unsigned n,
		    bool bulk)
{
	for (unsigned k = 0; k < nt; k++) {
		const struct fib_ops *ops = t[k].ops;

		if (bulk && ops->reserve != NULL)
			assert_int_equal(ops->reserve(t[k].f, n), 0);
		for (unsigned i = 0; i < n; i++) {
			if (bulk && ops->prefetch != NULL && i + 8 < n)
				ops->prefetch(t[k].f, rkey(&r[i + 8]), r[i + 8].plen);
			int ret = ops->add(t[k].f, rkey(&r[i]), r[i].plen, r[i].nh);
			if (ret != 0)
				fail_msg("add #%u /%u: %s", i, r[i].plen, strerror(-ret));
		}
	}
}

// The optional 64-bit lookup must give the same answers: nh < FIB_NH_MAX, or FIB_NH_MISS64
// where lookup_bulk says FIB_NH_MISS. Bursts of 1..64 as below.
static void compare64(const struct table *t, const void *addrs, const uint32_t *want,
		      uint64_t *seed)
{
	size_t asz = family == 4 ? 4 : 16;
	uint64_t nh[64];
	unsigned bad = 0;

	for (unsigned i = 0; i < N_ADDRS;) {
		unsigned b = 1 + (unsigned)(harness_rand(seed) % 64);

		if (b > N_ADDRS - i)
			b = N_ADDRS - i;
		t->ops->lookup_bulk64(t->f, (const uint8_t *)addrs + i * asz, nh, b);
		for (unsigned j = 0; j < b; j++) {
			uint64_t exp = want[i + j] == FIB_NH_MISS ? FIB_NH_MISS64 : want[i + j];

			if (nh[j] != exp && bad++ < 5)
				print_error("lookup_bulk64 addr #%u: got %llu want %llu\n", i + j,
					    (unsigned long long)nh[j], (unsigned long long)exp);
		}
		i += b;
	}
	assert_int_equal(bad, 0);
}

// Looks up in bursts of varying size (1..64, like the workers) so the x4 paths and their
// tails are both exercised; compares each table with table 0, the reference.
static void compare(struct table *t, unsigned nt, const void *addrs, uint32_t *want, uint32_t *got,
		    uint64_t *seed, bool full_table)
{
	size_t asz = family == 4 ? 4 : 16;

	// A driver with seal answers from its last seal (as a slot seals before workers read it).
	for (unsigned k = 0; k < nt; k++)
		if (t[k].ops->seal != NULL)
			assert_int_equal(t[k].ops->seal(t[k].f), 0);
	t[0].ops->lookup_bulk(t[0].f, addrs, want, N_ADDRS);
	unsigned misses = 0;
	for (unsigned i = 0; i < N_ADDRS; i++)
		misses += want[i] == FIB_NH_MISS;
	// With the full table the address mix must mostly hit, or the comparison proves little.
	// After the deletes, many addresses fall through to shorter rules or miss: that is the
	// point of keeping the same addresses.
	print_message("%u of %u addresses miss\n", misses, N_ADDRS);
	if (full_table)
		assert_true(misses < N_ADDRS / 4);

	for (unsigned k = 1; k < nt; k++) {
		for (unsigned i = 0; i < N_ADDRS;) {
			unsigned b = 1 + (unsigned)(harness_rand(seed) % 64);

			if (b > N_ADDRS - i)
				b = N_ADDRS - i;
			t[k].ops->lookup_bulk(t[k].f, (const uint8_t *)addrs + i * asz, got + i, b);
			i += b;
		}
		unsigned bad = 0;
		for (unsigned i = 0; i < N_ADDRS; i++)
			if (got[i] != want[i] && bad++ < 5)
				print_error("table %u addr #%u: got %u want %u\n", k, i, got[i],
					    want[i]);
		assert_int_equal(bad, 0);
		assert_int_equal(t[k].ops->count(t[k].f), t[0].ops->count(t[0].f));
		if (t[k].ops->lookup_bulk64 != NULL)
			compare64(&t[k], addrs, want, seed);
	}
}

static void test_differential(void **state)
{
	(void)state;
	uint64_t seed = base_seed;
	struct harness_route *r = calloc(n_routes + n_routes / 16, sizeof(*r));
	void *addrs = malloc((size_t)N_ADDRS * 16);
	uint32_t *want = malloc(N_ADDRS * sizeof(uint32_t));
	uint32_t *got = malloc(N_ADDRS * sizeof(uint32_t));
	assert_non_null(r);
	assert_non_null(addrs);
	assert_non_null(want);
	assert_non_null(got);

	// Over-generate: duplicates are dropped, and the test promises n_routes distinct routes.
	unsigned n = harness_gen_routes(family, r, n_routes + n_routes / 16, family == 4 ? 4 : 2,
					&seed);
	n = n < n_routes ? n : n_routes;
	print_message("IPv%d: %u distinct routes, seed %llu\n", family, n,
		      (unsigned long long)base_seed);

	// Some headroom above n: the tables are here to be compared, not to be filled.
	struct fib_conf conf = { .max_routes = n + n / 8, .tbl8_groups = 32768, .socket_id = -1 };
	struct table t[8];
	unsigned nt = 0;
	const struct fib_driver *ref = fib_driver_find("reference");
	t[nt].ops = family == 4 ? ref->v4 : ref->v6;
	t[nt].f = t[nt].ops->create("dref", &conf);
	assert_non_null(t[nt++].f);
	for (const struct fib_driver *d = fib_driver_next(NULL); d; d = fib_driver_next(d)) {
		const struct fib_ops *ops = family == 4 ? d->v4 : d->v6;
		bool seen = false;
		char name[16];

		// A driver that pairs engines already compared adds nothing but memory.
		for (unsigned k = 0; k < nt; k++)
			seen = seen || t[k].ops == ops;
		if (d == ref || seen || nt == RTE_DIM(t))
			continue;
		snprintf(name, sizeof(name), "d%s", d->name);
		t[nt].ops = family == 4 ? d->v4 : d->v6;
		t[nt].f = t[nt].ops->create(name, &conf);
		if (t[nt].f == NULL)
			fail_msg("%s create: %s", d->name, strerror(errno));
		print_message("comparing driver %s\n", d->name);
		nt++;
	}
	assert_true(nt >= 2);

	add_all(t, nt, r, n, true);
	harness_gen_addrs(family, r, n, addrs, N_ADDRS, &seed);
	compare(t, nt, addrs, want, got, &seed, true);

	// Delete a random third: shuffle, then the first third goes.
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(harness_rand(&seed) % i);
		struct harness_route x = r[i - 1];

		r[i - 1] = r[j];
		r[j] = x;
	}
	unsigned third = n / 3;
	for (unsigned k = 0; k < nt; k++)
		for (unsigned i = 0; i < third; i++)
			assert_int_equal(t[k].ops->del(t[k].f, rkey(&r[i]), r[i].plen), 0);
	assert_int_equal(t[0].ops->count(t[0].f), n - third);
	compare(t, nt, addrs, want, got, &seed, false);

	// Re-add the deleted third with other next hops.
	for (unsigned i = 0; i < third; i++)
		r[i].nh = (r[i].nh + 1 + (uint32_t)(harness_rand(&seed) % 1000)) % FIB_NH_MAX;
	add_all(t, nt, r, third, false);
	assert_int_equal(t[0].ops->count(t[0].f), n);
	compare(t, nt, addrs, want, got, &seed, true);

	for (unsigned k = 0; k < nt; k++)
		t[k].ops->free_scrub(t[k].f);
	free(r);
	free(addrs);
	free(want);
	free(got);
}

int main(int argc, char **argv)
{
	const char *env;

	if (argc > 1)
		family = atoi(argv[1]);
	if (family != 4 && family != 6) {
		fprintf(stderr, "usage: %s 4|6\n", argv[0]);
		return 2;
	}
	if ((env = getenv("MOLT_DIFF_ROUTES")) != NULL)
		n_routes = (unsigned)strtoul(env, NULL, 0);
	if ((env = getenv("MOLT_DIFF_SEED")) != NULL)
		base_seed = strtoull(env, NULL, 0);
	// Three IPv6 tables of 100k routes need ~600 MiB (64 MiB first level + tbl8 groups each).
	harness_eal_init(argv[0], 1024);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
