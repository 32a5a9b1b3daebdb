// SPDX-License-Identifier: BSD-3-Clause
// Times bulk add (and bulk lookup) of realistic tables for each driver, in random order and in
// a slot build's load order (with and without the reserve and prefetch hints). Not a test:
// numbers are printed, never asserted. Usage:
//   drivers-add-bench [DRIVER...]        (default: every driver but "reference")
// Environment: MOLT_BENCH_V4 (routes, default 1000000), MOLT_BENCH_V6 (default 200000),
// MOLT_BENCH_MEM (EAL --no-huge memory in MB, default 2048), MOLT_BENCH_TBL8 (IPv4 tbl8
// groups, default 65536).

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "drivers/driver.h"
#include "drivers/prefix.h"
#include "harness.h"

#define N_LOOKUP 1000000u
#define BURST 32u

static unsigned env_u(const char *name, unsigned def)
{
	const char *v = getenv(name);

	return v ? (unsigned)strtoul(v, NULL, 0) : def;
}

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

// rte_lpm6 needs one tbl8 group per distinct L-bit prefix (L = 24, 32, ..., 120) among rules
// longer than L: print that need next to what the driver's formula provides.
static unsigned long lpm6_groups_needed(const struct harness_route *r, unsigned n)
{
	uint8_t(*k)[16] = malloc((size_t)n * 16);
	unsigned long total = 0;

	for (unsigned L = 24; L < 128; L += 8) {
		unsigned m = 0;

		for (unsigned i = 0; i < n; i++)
			if (r[i].plen > L)
				prefix6_mask(k[m++], r[i].v6, (uint8_t)L);
		qsort(k, m, 16, cmp16);
		for (unsigned i = 0; i < m; i++)
			total += i == 0 || memcmp(k[i - 1], k[i], 16) != 0;
	}
	free(k);
	return total;
}

static int sort_family;

// Address, then length: the order a slot build loads in (control/slot/load_order.c).
static int load_cmp(const void *x, const void *y)
{
	const struct harness_route *a = x, *b = y;
	int c = sort_family == 4 ? (a->v4 > b->v4) - (a->v4 < b->v4) : memcmp(a->v6, b->v6, 16);

	return c != 0 ? c : a->plen - b->plen;
}

// A slot build's load: sorted, with (hints) the driver's optional reserve and prefetch.
static void bench_bulk(const struct fib_driver *d, int family, const struct harness_route *r,
		       unsigned n, uint32_t tbl8, bool hints)
{
	const struct fib_ops *ops = family == 4 ? d->v4 : d->v6;
	struct fib_conf conf = { .max_routes = n + n / 8, .tbl8_groups = tbl8, .socket_id = -1 };
	struct harness_route *s = malloc((size_t)n * sizeof(*s));
	unsigned fails = 0;
	char name[16];

	memcpy(s, r, (size_t)n * sizeof(*s));
	sort_family = family;
	qsort(s, n, sizeof(*s), load_cmp);
	snprintf(name, sizeof(name), "B%s", d->name);
	struct fib *f = ops->create(name, &conf);
	if (f == NULL) {
		printf("%-10s IPv%d create: %s\n", d->name, family, strerror(errno));
		free(s);
		return;
	}
	double t0 = harness_now();
	if (hints && ops->reserve != NULL)
		ops->reserve(f, n);
	for (unsigned i = 0; i < n; i++) {
		const struct harness_route *a = &s[i + 8 < n ? i + 8 : i];

		if (hints && ops->prefetch != NULL)
			ops->prefetch(f, family == 4 ? (const void *)&a->v4 : a->v6, a->plen);
		fails += ops->add(f, family == 4 ? (const void *)&s[i].v4 : s[i].v6, s[i].plen,
				  s[i].nh) < 0;
	}
	printf("%-10s IPv%d %7u routes: sorted add%s %.3f s, %u failed\n", d->name, family, n,
	       hints && ops->reserve != NULL ? " with reserve+prefetch" : "", harness_now() - t0,
	       fails);
	ops->free_scrub(f);
	free(s);
}

static void bench(const struct fib_driver *d, int family, const struct harness_route *r, unsigned n,
		  uint32_t tbl8, const void *addrs)
{
	const struct fib_ops *ops = family == 4 ? d->v4 : d->v6;
	struct fib_conf conf = { .max_routes = n + n / 8, .tbl8_groups = tbl8, .socket_id = -1 };
	char name[16];
	uint32_t nh[BURST];
	unsigned fails = 0;
	int err = 0;

	snprintf(name, sizeof(name), "b%s", d->name);
	double t0 = harness_now();
	struct fib *f = ops->create(name, &conf);
	if (f == NULL) {
		printf("%-10s IPv%d create: %s\n", d->name, family, strerror(errno));
		return;
	}
	double t1 = harness_now();
	for (unsigned i = 0; i < n; i++) {
		int ret = ops->add(f, family == 4 ? (const void *)&r[i].v4 : r[i].v6, r[i].plen,
				   r[i].nh);
		if (ret < 0 && fails++ == 0)
			err = ret;
	}
	double t2 = harness_now();
	volatile uint32_t sink = 0;
	for (unsigned i = 0; i < N_LOOKUP; i += BURST) {
		ops->lookup_bulk(f, (const uint8_t *)addrs + (size_t)i * (family == 4 ? 4 : 16), nh,
				 BURST);
		sink += nh[0];
	}
	double t3 = harness_now();
	(void)sink;
	printf("%-10s IPv%d %7u routes: create %.3f s, add %.2f s (%.0f k/s), %u failed%s%s, "
	       "lookup %.1f M/s (bursts of %u), memory %zu MiB\n",
	       d->name, family, n, t1 - t0, t2 - t1, n / (t2 - t1) / 1e3, fails,
	       fails ? " first: " : "", fails ? strerror(-err) : "", N_LOOKUP / (t3 - t2) / 1e6,
	       BURST, ops->memory(f) >> 20);
	double t4 = harness_now();
	ops->free_scrub(f);
	printf("%-10s IPv%d free_scrub %.3f s\n", d->name, family, harness_now() - t4);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned n4 = env_u("MOLT_BENCH_V4", 1000000), n6 = env_u("MOLT_BENCH_V6", 200000);
	uint64_t seed = 42;

	harness_eal_init(argv[0], env_u("MOLT_BENCH_MEM", 2048));
	// Over-generate: duplicates are dropped, and we want n4 and n6 distinct routes.
	struct harness_route *r4 = calloc(n4 + n4 / 8 + 1, sizeof(*r4));
	struct harness_route *r6 = calloc(n6 + n6 / 8 + 1, sizeof(*r6));
	void *a4 = malloc((size_t)N_LOOKUP * 4), *a6 = malloc((size_t)N_LOOKUP * 16);
	n4 = RTE_MIN(n4, harness_gen_routes(4, r4, n4 + n4 / 8, 1, &seed));
	n6 = RTE_MIN(n6, harness_gen_routes(6, r6, n6 + n6 / 8, 0, &seed));
	harness_gen_addrs(4, r4, n4, a4, N_LOOKUP, &seed);
	harness_gen_addrs(6, r6, n6, a6, N_LOOKUP, &seed);
	printf("tables: %u IPv4 routes, %u IPv6 routes; rte_lpm6 would need %lu tbl8 groups\n", n4,
	       n6, lpm6_groups_needed(r6, n6));

	for (const struct fib_driver *d = fib_driver_next(NULL); d; d = fib_driver_next(d)) {
		bool chosen = argc == 1 && strcmp(d->name, "reference") != 0;

		for (int i = 1; i < argc; i++)
			chosen |= strcmp(argv[i], d->name) == 0;
		if (!chosen)
			continue;
		if (n4) {
			bench(d, 4, r4, n4, env_u("MOLT_BENCH_TBL8", 65536), a4);
			for (int h = 0; h < 2; h++)
				bench_bulk(d, 4, r4, n4, env_u("MOLT_BENCH_TBL8", 65536), h);
		}
		if (n6) {
			bench(d, 6, r6, n6, 0, a6);
			for (int h = 0; h < 2; h++)
				bench_bulk(d, 6, r6, n6, 0, h);
		}
	}
	free(r4);
	free(r6);
	free(a4);
	free(a6);
	return 0;
}
