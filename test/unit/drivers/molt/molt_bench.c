// SPDX-License-Identifier: BSD-3-Clause
// molt-engine-bench: the molt engine next to DPDK's rte_fib (DIR24_8), rte_lpm, rte_fib6 (TRIE)
// and rte_lpm6 on the same route file, in one run: build time, memory and bytes per prefix,
// and bulk lookups per second on three sets of destinations: uniform random addresses, hosts
// in uniformly chosen prefixes of the table, and hosts in Zipf-chosen prefixes (rank r has
// weight r^-s, ranks dealt to prefixes in random order, as molt-bench's --traffic zipf). Every
// engine's answers are checked against molt's on the same addresses.
// Not a test: performance is measured and printed, never asserted.
//
//   molt-engine-bench -r ROUTES [--lookups N] [--burst N] [--rounds N] [--nh-spread N]
//                     [--zipf-s S] [--skip lpm,...] [--huge] [--wall] [-- EAL args]
//
// The EAL runs with --no-huge unless --huge is given (DPDK's engines then sit on the hugepages
// the EAL finds); molt's image asks for transparent huge pages whatever the EAL does
// (molt-thp), and is also measured without (molt-4k).
//
// A rate is lookups per second of the bench thread's own CPU time (CLOCK_THREAD_CPUTIME_ID):
// on a machine shared with other work, time the thread spends descheduled would otherwise
// count against whichever engine it happened to. --wall measures elapsed time instead.

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "common/clock.h"
#include "common/route.h"
#include "drivers/molt/molt.h"
#include "test/unit/eal_tidy.h"

#define MAX_BURST 256
#define N_ADDRS (1u << 20)
#define MOLT_BUILDS 7
#define MAX_ROUNDS 15

// The destination sets every engine is measured on (see the top of the file).
enum addr_set { SET_UNIFORM, SET_TABLE, SET_ZIPF, N_SETS };

struct table {
	struct molt_rule4 *r4; // sorted by prefix, then plen
	size_t n4;
	struct molt_rule6 *r6;
	size_t n6;
};

struct opts {
	const char *routes;
	uint64_t lookups; // per engine and address set
	unsigned burst;
	unsigned nh_spread; // 0: one next hop per distinct gateway
	unsigned rounds; // alternating measurement rounds (medians are printed)
	double zipf_s; // exponent of the Zipf set
	bool huge; // EAL on hugepages
	bool wall; // rates per elapsed second, not per second of the thread's CPU time
	char skip[128];
};

// Addresses of both families, N_ADDRS of each per enum addr_set.
struct addrs {
	uint32_t *v4[N_SETS];
	uint8_t (*v6[N_SETS])[16];
};

struct engine {
	const char *name;
	int family;
	double build_ms; // median of MOLT_BUILDS builds for molt, the one build otherwise
	double first_ms; // the first build (molt: memory the process never touched before)
	size_t bytes;
	void *ctx;
	// Looks up n <= MAX_BURST addresses into the engine's own output (not converted).
	void (*lookup)(void *ctx, const void *a, unsigned n);
	// Looks up n addresses into FIB_NH_MISS-or-next-hop form, for the answer check.
	void (*answer)(void *ctx, const void *a, uint32_t *nh, unsigned n);
	void (*destroy)(void *ctx);
};

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double ms_since(uint64_t t0)
{
	return (double)(molt_now_ns() - t0) / 1e6;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;

	rte_malloc_get_socket_stats(0, &st);
	return st.heap_allocsz_bytes;
}

// Route file //////////////////////////////////////////////////////////////////////////////////

static int cmp4(const void *x, const void *y)
{
	const struct molt_rule4 *a = x, *b = y;

	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

static int cmp6(const void *x, const void *y)
{
	const struct molt_rule6 *a = x, *b = y;
	int c = memcmp(a->prefix, b->prefix, 16);

	return c != 0 ? c : (a->plen > b->plen) - (a->plen < b->plen);
}

// Next hop of a route: the index of its gateway among those seen, or a hash of the route
// spread over nh_spread values.
static uint32_t route_nh(const struct molt_route *r, unsigned nh_spread)
{
	static uint8_t gws[1024][16];
	static unsigned n_gw;

	if (nh_spread > 0)
		return (uint32_t)(molt_route_hash(r) % nh_spread);
	for (unsigned i = 0; i < n_gw; i++)
		if (memcmp(gws[i], r->gateway, 16) == 0)
			return i;
	if (n_gw == RTE_DIM(gws))
		return n_gw - 1;
	memcpy(gws[n_gw], r->gateway, 16);
	return n_gw++;
}

static int load_routes(const struct opts *o, struct table *t)
{
	FILE *fp = fopen(o->routes, "r");
	char line[512], err[128];
	size_t cap4 = 1024, cap6 = 1024, lineno = 0;

	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", o->routes, strerror(errno));
		return -1;
	}
	t->r4 = malloc(cap4 * sizeof(*t->r4));
	t->r6 = malloc(cap6 * sizeof(*t->r6));
	while (t->r4 != NULL && t->r6 != NULL && fgets(line, sizeof(line), fp) != NULL) {
		struct molt_route r;
		int ret;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if ((ret = molt_route_parse(line, &r, err, sizeof(err))) == 1)
			continue;
		if (ret < 0) {
			fprintf(stderr, "%s:%zu: %s\n", o->routes, lineno, err);
			fclose(fp);
			return -1;
		}
		uint32_t nh = route_nh(&r, o->nh_spread);
		if (r.family == 4) {
			if (t->n4 == cap4)
				t->r4 = realloc(t->r4, (cap4 *= 2) * sizeof(*t->r4));
			if (t->r4 == NULL)
				break;
			uint32_t p;
			memcpy(&p, r.prefix, 4);
			t->r4[t->n4++] = (struct molt_rule4){ .prefix = be32toh(p),
							      .nh = nh,
							      .plen = r.plen };
		} else {
			if (t->n6 == cap6)
				t->r6 = realloc(t->r6, (cap6 *= 2) * sizeof(*t->r6));
			if (t->r6 == NULL)
				break;
			struct molt_rule6 *x = &t->r6[t->n6++];
			memcpy(x->prefix, r.prefix, 16);
			x->nh = nh;
			x->plen = r.plen;
		}
	}
	fclose(fp);
	if (t->r4 == NULL || t->r6 == NULL) {
		fprintf(stderr, "out of memory\n");
		return -1;
	}
	// The feed hands a slot build its routes sorted: time the engines on that order.
	qsort(t->r4, t->n4, sizeof(*t->r4), cmp4);
	qsort(t->r6, t->n6, sizeof(*t->r6), cmp6);
	return 0;
}

// Draws rule indices below n: rank r (1-based) with weight r^-s, the ranks dealt to the rules
// in a random order, so the popular prefixes are anywhere in the table.
struct zipf {
	double *cum; // cum[r]: weight of ranks 1..r+1
	uint32_t *rule; // rule[r]: the rule of rank r+1
	size_t n;
};

static int zipf_init(struct zipf *z, size_t n, double s)
{
	double acc = 0;

	z->n = n;
	z->cum = malloc((n ? n : 1) * sizeof(*z->cum));
	z->rule = malloc((n ? n : 1) * sizeof(*z->rule));
	if (z->cum == NULL || z->rule == NULL)
		return -ENOMEM;
	for (size_t r = 0; r < n; r++) {
		acc += pow((double)(r + 1), -s);
		z->cum[r] = acc;
		z->rule[r] = (uint32_t)r;
	}
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rnd() % i);
		uint32_t x = z->rule[i - 1];

		z->rule[i - 1] = z->rule[j];
		z->rule[j] = x;
	}
	return 0;
}

static size_t zipf_draw(const struct zipf *z)
{
	double x = (double)(rnd() >> 11) * 0x1p-53 * z->cum[z->n - 1];
	size_t lo = 0, hi = z->n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (z->cum[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return z->rule[lo];
}

static void zipf_free(struct zipf *z)
{
	free(z->cum);
	free(z->rule);
}

// A rule of n for set s (not SET_UNIFORM).
static size_t pick_rule(enum addr_set s, size_t n, const struct zipf *z)
{
	return s == SET_ZIPF ? zipf_draw(z) : (size_t)(rnd() % n);
}

static void gen_addrs(const struct table *t, struct addrs *a, double zipf_s)
{
	struct zipf z4, z6;

	if (zipf_init(&z4, t->n4, zipf_s) < 0 || zipf_init(&z6, t->n6, zipf_s) < 0) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (int s = 0; s < N_SETS; s++) {
		a->v4[s] = malloc(N_ADDRS * sizeof(*a->v4[s]));
		a->v6[s] = malloc(N_ADDRS * sizeof(*a->v6[s]));
		if (a->v4[s] == NULL || a->v6[s] == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		for (unsigned i = 0; i < N_ADDRS; i++) {
			uint64_t x = rnd(), y = rnd(), z = rnd();

			a->v4[s][i] = (uint32_t)z;
			memcpy(a->v6[s][i], &x, 8);
			memcpy(a->v6[s][i] + 8, &y, 8);
			if (s == SET_UNIFORM)
				continue;
			if (t->n4 > 0) {
				const struct molt_rule4 *r = &t->r4[pick_rule(s, t->n4, &z4)];
				uint32_t m = r->plen ? UINT32_MAX << (32 - r->plen) : 0;

				a->v4[s][i] = r->prefix | (a->v4[s][i] & ~m);
			}
			if (t->n6 > 0) {
				const struct molt_rule6 *r = &t->r6[pick_rule(s, t->n6, &z6)];

				for (unsigned k = 0; k < 16; k++) {
					unsigned bits = r->plen > k * 8 ? r->plen - k * 8 : 0;
					uint8_t m = bits >= 8 ? 0xff : (uint8_t) ~(0xffu >> bits);

					a->v6[s][i][k] = (uint8_t)((r->prefix[k] & m) |
								   (a->v6[s][i][k] & ~m));
				}
			}
		}
	}
	zipf_free(&z4);
	zipf_free(&z6);
}

// Engines /////////////////////////////////////////////////////////////////////////////////////

static uint64_t out64[MAX_BURST];
static uint32_t out32[MAX_BURST];
static int32_t outs32[MAX_BURST];

static void molt4_lk(void *c, const void *a, unsigned n)
{
	molt4_lookup_bulk(c, a, out32, n);
}

static void molt4_ans(void *c, const void *a, uint32_t *nh, unsigned n)
{
	molt4_lookup_bulk(c, a, nh, n);
}

static void molt6_lk(void *c, const void *a, unsigned n)
{
	molt6_lookup_bulk(c, a, out32, n);
}

static void molt6_ans(void *c, const void *a, uint32_t *nh, unsigned n)
{
	molt6_lookup_bulk(c, a, nh, n);
}

static void molt_destroy(void *c)
{
	molt_free(c);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

// Builds MOLT_BUILDS times (each with its own seed, freeing the previous image) and keeps the
// last: a router rebuilds every generation, so the median is the steady state.
static int make_molt(struct engine *e, const struct table *t, unsigned flags)
{
	double ms[MOLT_BUILDS];
	struct molt_fib *f = NULL;
	struct molt_stats st;

	for (int b = 0; b < MOLT_BUILDS; b++) {
		uint64_t t0 = molt_now_ns();

		molt_free(f);
		f = e->family == 4 ? molt4_build(t->r4, t->n4, rnd(), flags)
				   : molt6_build(t->r6, t->n6, rnd(), flags);
		ms[b] = ms_since(t0);
		if (f == NULL)
			return -errno;
	}
	e->first_ms = ms[0];
	qsort(ms, MOLT_BUILDS, sizeof(ms[0]), cmp_double);
	e->build_ms = ms[MOLT_BUILDS / 2];
	molt_get_stats(f, &st);
	e->bytes = st.bytes;
	e->ctx = f;
	e->lookup = e->family == 4 ? molt4_lk : molt6_lk;
	e->answer = e->family == 4 ? molt4_ans : molt6_ans;
	e->destroy = molt_destroy;
	return 0;
}

#define DPDK_MISS (1u << 30) // rte_fib's default next hop here: never one of the table's

// A DPDK engine: create for table t (NULL with rte_errno), add rule i of its family.
struct dpdk_kind {
	const char *name;
	int family;
	void *(*create)(const struct table *t);
	int (*add)(void *ctx, const struct table *t, size_t i);
	void (*lookup)(void *ctx, const void *a, unsigned n);
	void (*answer)(void *ctx, const void *a, uint32_t *nh, unsigned n);
	void (*destroy)(void *ctx);
};

static void *fib_create(const struct table *t)
{
	struct rte_fib_conf conf = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = DPDK_MISS,
		.max_routes = (int)t->n4 + 1,
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = 1u << 16 },
	};

	return rte_fib_create("bench_fib", SOCKET_ID_ANY, &conf);
}

static int fib_add(void *c, const struct table *t, size_t i)
{
	return rte_fib_add(c, t->r4[i].prefix, t->r4[i].plen, t->r4[i].nh);
}

static void fib_lk(void *c, const void *a, unsigned n)
{
	rte_fib_lookup_bulk(c, (uint32_t *)(uintptr_t)a, out64, (int)n);
}

static void fib_ans(void *c, const void *a, uint32_t *nh, unsigned n)
{
	rte_fib_lookup_bulk(c, (uint32_t *)(uintptr_t)a, out64, (int)n);
	for (unsigned i = 0; i < n; i++)
		nh[i] = out64[i] == DPDK_MISS ? FIB_NH_MISS : (uint32_t)out64[i];
}

static void fib_destroy(void *c)
{
	rte_fib_free(c);
}

static void *lpm_create(const struct table *t)
{
	struct rte_lpm_config conf = { .max_rules = (uint32_t)t->n4 + 1, .number_tbl8s = 1u << 16 };

	return rte_lpm_create("bench_lpm", SOCKET_ID_ANY, &conf);
}

static int lpm_add(void *c, const struct table *t, size_t i)
{
	return rte_lpm_add(c, t->r4[i].prefix, t->r4[i].plen, t->r4[i].nh);
}

static void lpm_lk(void *c, const void *a, unsigned n)
{
	rte_lpm_lookup_bulk((struct rte_lpm *)c, (const uint32_t *)a, out32, n);
}

static void lpm_ans(void *c, const void *a, uint32_t *nh, unsigned n)
{
	rte_lpm_lookup_bulk((struct rte_lpm *)c, (const uint32_t *)a, nh, n);
	for (unsigned i = 0; i < n; i++)
		nh[i] = nh[i] & RTE_LPM_LOOKUP_SUCCESS ? nh[i] & 0x00ffffff : FIB_NH_MISS;
}

static void lpm_destroy(void *c)
{
	rte_lpm_free(c);
}

static void *fib6_create(const struct table *t)
{
	// Three tbl8 groups a route: what the 22.11 trie reserves for a /48 (drivers/fib.c).
	struct rte_fib6_conf conf = {
		.type = RTE_FIB6_TRIE,
		.default_nh = DPDK_MISS,
		.max_routes = (int)t->n6 + 1,
		.trie = { .nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = (uint32_t)t->n6 * 3 + 4096 },
	};

	return rte_fib6_create("bench_fib6", SOCKET_ID_ANY, &conf);
}

static int fib6_add(void *c, const struct table *t, size_t i)
{
	return rte_fib6_add(c, t->r6[i].prefix, t->r6[i].plen, t->r6[i].nh);
}

static void fib6_lk(void *c, const void *a, unsigned n)
{
	rte_fib6_lookup_bulk(c, (uint8_t(*)[16])(uintptr_t)a, out64, (int)n);
}

static void fib6_ans(void *c, const void *a, uint32_t *nh, unsigned n)
{
	rte_fib6_lookup_bulk(c, (uint8_t(*)[16])(uintptr_t)a, out64, (int)n);
	for (unsigned i = 0; i < n; i++)
		nh[i] = out64[i] == DPDK_MISS ? FIB_NH_MISS : (uint32_t)out64[i];
}

static void fib6_destroy(void *c)
{
	rte_fib6_free(c);
}

static void *lpm6_create(const struct table *t)
{
	// drivers/util.c's sizing: groups shared between /48s of a /32 allocation.
	struct rte_lpm6_config conf = { .max_rules = (uint32_t)t->n6 + 1,
					.number_tbl8s = (uint32_t)t->n6 * 2 + 65536 };

	return rte_lpm6_create("bench_lpm6", SOCKET_ID_ANY, &conf);
}

static int lpm6_add(void *c, const struct table *t, size_t i)
{
	return rte_lpm6_add(c, t->r6[i].prefix, t->r6[i].plen, t->r6[i].nh);
}

static void lpm6_lk(void *c, const void *a, unsigned n)
{
	rte_lpm6_lookup_bulk_func(c, (uint8_t(*)[16])(uintptr_t)a, outs32, n);
}

static void lpm6_ans(void *c, const void *a, uint32_t *nh, unsigned n)
{
	rte_lpm6_lookup_bulk_func(c, (uint8_t(*)[16])(uintptr_t)a, outs32, n);
	for (unsigned i = 0; i < n; i++)
		nh[i] = outs32[i] < 0 ? FIB_NH_MISS : (uint32_t)outs32[i];
}

static void lpm6_destroy(void *c)
{
	rte_lpm6_free(c);
}

static const struct dpdk_kind dpdk_kinds[] = {
	{ "fib", 4, fib_create, fib_add, fib_lk, fib_ans, fib_destroy },
	{ "lpm", 4, lpm_create, lpm_add, lpm_lk, lpm_ans, lpm_destroy },
	{ "fib6", 6, fib6_create, fib6_add, fib6_lk, fib6_ans, fib6_destroy },
	{ "lpm6", 6, lpm6_create, lpm6_add, lpm6_lk, lpm6_ans, lpm6_destroy },
};

// Creates the engine and adds the table in its sorted order; memory is what DPDK's heap gave.
static int make_dpdk(struct engine *e, const struct dpdk_kind *k, const struct table *t)
{
	size_t before = heap_used(), n = k->family == 4 ? t->n4 : t->n6;
	uint64_t t0 = molt_now_ns();
	void *c = k->create(t);

	if (c == NULL)
		return -rte_errno;
	for (size_t i = 0; i < n; i++)
		if (k->add(c, t, i) < 0) {
			k->destroy(c);
			return -ENOSPC;
		}
	*e = (struct engine){
		.name = k->name,
		.family = k->family,
		.build_ms = ms_since(t0),
		.bytes = heap_used() - before,
		.ctx = c,
		.lookup = k->lookup,
		.answer = k->answer,
		.destroy = k->destroy,
	};
	e->first_ms = e->build_ms;
	return 0;
}

// Measuring ///////////////////////////////////////////////////////////////////////////////////

// The clock rates are measured on (see the top of the file).
static uint64_t bench_ns(const struct opts *o)
{
	struct timespec ts;

	if (o->wall)
		return molt_now_ns();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static double rate(const struct engine *e, const void *addrs, const struct opts *o)
{
	size_t asz = e->family == 4 ? 4 : 16;
	uint64_t done = 0, t0;

	// One pass to warm the caches and the TLB, then the timed passes.
	for (unsigned i = 0; i + o->burst <= N_ADDRS; i += o->burst)
		e->lookup(e->ctx, (const uint8_t *)addrs + i * asz, o->burst);
	t0 = bench_ns(o);
	while (done < o->lookups)
		for (unsigned i = 0; i + o->burst <= N_ADDRS; i += o->burst) {
			e->lookup(e->ctx, (const uint8_t *)addrs + i * asz, o->burst);
			done += o->burst;
		}
	return (double)done / ((double)(bench_ns(o) - t0) / 1e3);
}

// Addresses where e answers differently from ref (molt).
static size_t mismatches(const struct engine *e, const struct engine *ref, const void *addrs)
{
	size_t asz = e->family == 4 ? 4 : 16, bad = 0;
	uint32_t a[64], b[64];

	for (unsigned i = 0; i < N_ADDRS; i += 64) {
		e->answer(e->ctx, (const uint8_t *)addrs + i * asz, a, 64);
		ref->answer(ref->ctx, (const uint8_t *)addrs + i * asz, b, 64);
		for (unsigned k = 0; k < 64; k++)
			bad += a[k] != b[k];
	}
	return bad;
}

static bool skipped(const struct opts *o, const char *name)
{
	char list[sizeof(o->skip) + 2];
	char item[40];

	snprintf(list, sizeof(list), ",%s,", o->skip);
	snprintf(item, sizeof(item), ",%s,", name);
	return strstr(list, item) != NULL;
}

// The median of rounds rates.
static double median(const double *rates, unsigned rounds)
{
	double v[MAX_ROUNDS];

	memcpy(v, rates, rounds * sizeof(*v));
	qsort(v, rounds, sizeof(*v), cmp_double);
	return v[rounds / 2];
}

// The widest spread of an engine's rounds, (max - min) / median, over the sets, in percent.
static double spread(const double (*rates)[MAX_ROUNDS], const double *med, unsigned rounds)
{
	double w = 0;

	for (int s = 0; s < N_SETS; s++) {
		double lo = rates[s][0], hi = rates[s][0];

		for (unsigned r = 1; r < rounds; r++) {
			lo = RTE_MIN(lo, rates[s][r]);
			hi = RTE_MAX(hi, rates[s][r]);
		}
		w = RTE_MAX(w, (hi - lo) / med[s] * 100);
	}
	return w;
}

static void report(const struct engine *e, size_t n_rules, const double *med, double spread_pc,
		   size_t bad)
{
	printf("%-10s IPv%d %9.1f %9.1f %9.2f %8.1f %10.1f %10.1f %10.1f %7.0f%% %9zu\n", e->name,
	       e->family, e->build_ms, e->first_ms, (double)e->bytes / (1 << 20),
	       n_rules ? (double)e->bytes / (double)n_rules : 0.0, med[SET_UNIFORM], med[SET_TABLE],
	       med[SET_ZIPF], spread_pc, bad);
	fflush(stdout);
}

// The build from rules in no order (what the molt driver's seal hands the engine: its rule
// hash has none), which sorts them first. Median of 3, in ms.
static double unsorted_build_ms(int family, const struct table *t)
{
	size_t n = family == 4 ? t->n4 : t->n6, sz = family == 4 ? sizeof(*t->r4) : sizeof(*t->r6);
	uint8_t *r = malloc(n * sz + 1), tmp[sizeof(struct molt_rule6)];
	double ms[3];

	if (r == NULL)
		return -1;
	memcpy(r, family == 4 ? (const void *)t->r4 : (const void *)t->r6, n * sz);
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rnd() % i);

		memcpy(tmp, r + (i - 1) * sz, sz);
		memcpy(r + (i - 1) * sz, r + j * sz, sz);
		memcpy(r + j * sz, tmp, sz);
	}
	for (int b = 0; b < 3; b++) {
		uint64_t t0 = molt_now_ns();
		struct molt_fib *f = family == 4 ? molt4_build((void *)r, n, rnd(), 0)
						 : molt6_build((void *)r, n, rnd(), 0);

		ms[b] = ms_since(t0);
		molt_free(f);
	}
	free(r);
	qsort(ms, 3, sizeof(ms[0]), cmp_double);
	return ms[1];
}

// Builds every engine of the family, then measures them in alternating rounds (this VM's
// speed drifts with its neighbours: an engine measured alone in a slow minute would look
// slow), and prints each one's medians.
static void run_family(int family, const struct table *t, const struct addrs *a,
		       const struct opts *o)
{
	size_t n = family == 4 ? t->n4 : t->n6;
	struct engine e[2 + RTE_DIM(dpdk_kinds)];
	double rates[RTE_DIM(e)][N_SETS][MAX_ROUNDS], med[RTE_DIM(e)][N_SETS];
	unsigned ne = 2;
	int ret;

	e[0] = (struct engine){ .name = "molt-thp", .family = family };
	e[1] = (struct engine){ .name = "molt-4k", .family = family };
	if ((ret = make_molt(&e[0], t, 0)) < 0 ||
	    (ret = make_molt(&e[1], t, MOLT_BUILD_NO_THP)) < 0) {
		printf("molt IPv%d build: %s\n", family, strerror(-ret));
		exit(1);
	}
	for (unsigned i = 0; i < RTE_DIM(dpdk_kinds); i++) {
		const struct dpdk_kind *k = &dpdk_kinds[i];

		if (k->family != family || skipped(o, k->name))
			continue;
		if ((ret = make_dpdk(&e[ne], k, t)) < 0)
			printf("%-10s IPv%d build failed: %s\n", k->name, family, strerror(-ret));
		else
			ne++;
	}
	const void *set[N_SETS];

	for (int s = 0; s < N_SETS; s++)
		set[s] = family == 4 ? (const void *)a->v4[s] : (const void *)a->v6[s];
	for (unsigned r = 0; r < o->rounds; r++)
		for (unsigned i = 0; i < ne; i++)
			for (int s = 0; s < N_SETS; s++)
				rates[i][s][r] = rate(&e[i], set[s], o);
	for (unsigned i = 0; i < ne; i++) {
		size_t bad = 0;

		for (int s = 0; s < N_SETS; s++) {
			med[i][s] = median(rates[i][s], o->rounds);
			bad += i == 0 ? 0 : mismatches(&e[i], &e[0], set[s]);
		}
		report(&e[i], n, med[i], spread(rates[i], med[i], o->rounds), bad);
	}
	// The targets are ratios to DPDK's engines on the same addresses, in the same run.
	for (unsigned i = 2; i < ne; i++)
		printf("  molt-thp / %s: %.2fx uniform, %.2fx in-table, %.2fx Zipf; %.1fx less "
		       "memory\n",
		       e[i].name, med[0][SET_UNIFORM] / med[i][SET_UNIFORM],
		       med[0][SET_TABLE] / med[i][SET_TABLE], med[0][SET_ZIPF] / med[i][SET_ZIPF],
		       (double)e[i].bytes / (double)e[0].bytes);
	struct molt_stats st;
	molt_get_stats(e[0].ctx, &st);
	for (unsigned i = 0; i < ne; i++)
		e[i].destroy(e[i].ctx);
	printf("  (molt IPv%d: %s top level%s, %llu nodes (%llu skip, %llu inline), %llu leaves; from "
	       "unsorted rules, as the driver's seal builds: %.1f ms)\n",
	       family, st.coded ? "coded" : "flat", st.avx2 ? " (AVX2 lookups)" : "",
	       (unsigned long long)st.nodes, (unsigned long long)st.skips,
	       (unsigned long long)st.inline_nodes, (unsigned long long)st.leaves,
	       unsorted_build_ms(family, t));
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -r ROUTES [--lookups N] [--burst N] [--rounds N] [--nh-spread N]"
		" [--zipf-s S] [--skip a,b] [--huge] [--wall] [-- EAL args]\n"
		"  engines: molt-thp, molt-4k, fib, lpm (IPv4), fib6, lpm6 (IPv6)\n",
		prog);
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "routes", required_argument, NULL, 'r' },
		{ "lookups", required_argument, NULL, 'n' },
		{ "burst", required_argument, NULL, 'b' },
		{ "nh-spread", required_argument, NULL, 's' },
		{ "skip", required_argument, NULL, 'k' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "zipf-s", required_argument, NULL, 'z' },
		{ "huge", no_argument, NULL, 'H' },
		{ "wall", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .lookups = 20000000, .burst = 64, .rounds = 3, .zipf_s = 1.0 };
	while ((c = getopt_long(argc, argv, "r:n:b:s:k:R:z:HWh", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->routes = optarg;
			break;
		case 'n':
			o->lookups = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			o->burst = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 's':
			o->nh_spread = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'k':
			snprintf(o->skip, sizeof(o->skip), "%s", optarg);
			break;
		case 'R':
			o->rounds = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'z':
			o->zipf_s = strtod(optarg, NULL);
			break;
		case 'H':
			o->huge = true;
			break;
		case 'W':
			o->wall = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (o->routes == NULL || o->burst == 0 || o->burst > MAX_BURST || o->rounds == 0 ||
	    o->rounds > MAX_ROUNDS || !(o->zipf_s > 0))
		usage(argv[0]);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct table t = { 0 };
	struct addrs a;
	char prefix[64];
	char *eal[32] = { argv[0],
			  "-m",
			  "3072",
			  "--no-pci",
			  "--no-shconf",
			  "--file-prefix",
			  prefix,
			  "--log-level",
			  "lib.eal:error",
			  "-l",
			  "0" };
	int n_eal = 11;

	// Everything after "--" goes to the EAL (after the defaults, so it can override them).
	int dd = 1;
	while (dd < argc && strcmp(argv[dd], "--") != 0)
		dd++;
	parse_opts(dd, argv, &o);
	if (!o.huge)
		eal[n_eal++] = "--no-huge";
	for (int i = dd + 1; i < argc && n_eal < (int)RTE_DIM(eal); i++)
		eal[n_eal++] = argv[i];
	snprintf(prefix, sizeof(prefix), "molt-engine-bench-%d", (int)getpid());
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	eal_tidy_at_exit();
	if (load_routes(&o, &t) < 0)
		return 1;
	gen_addrs(&t, &a, o.zipf_s);
	printf("%s: %zu IPv4 + %zu IPv6 prefixes; next hops: ", o.routes, t.n4, t.n6);
	if (o.nh_spread)
		printf("hash of the route mod %u", o.nh_spread);
	else
		printf("one per gateway");
	printf("; %llu lookups per measure, bursts of %u; Mlps: medians of %u alternating rounds, on "
	       "uniform random destinations (unif), on hosts in uniformly chosen prefixes of the "
	       "table (tbl) and in Zipf-chosen ones (zipf, s = %g)\n",
	       (unsigned long long)o.lookups, o.burst, o.rounds, o.zipf_s);
	printf("build_ms: molt's median of %d builds (sorted input), DPDK's one build; first_ms: the "
	       "first build\n",
	       MOLT_BUILDS);
	printf("Mlps per second of %s\n",
	       o.wall ? "elapsed time (--wall)" : "the thread's CPU time");
	printf("DPDK's engines on %s; spread: the widest (max - min) / median of the rounds over "
	       "the three sets\n",
	       o.huge ? "hugepages" : "4 KiB pages (--no-huge)");
	printf("%-10s %-4s %9s %9s %9s %8s %10s %10s %10s %8s %9s\n", "engine", "fam", "build_ms",
	       "first_ms", "MiB", "B/prefix", "Mlps_unif", "Mlps_tbl", "Mlps_zipf", "spread",
	       "mismatch");
	run_family(4, &t, &a, &o);
	run_family(6, &t, &a, &o);
	for (int s = 0; s < N_SETS; s++) {
		free(a.v4[s]);
		free(a.v6[s]);
	}
	free(t.r4);
	free(t.r6);
	rte_eal_cleanup();
	return 0;
}
