// SPDX-License-Identifier: BSD-3-Clause
// The slot lifecycle table; live updates (slot_update_apply) against a fresh build of the final
// table; verification catching a slot changed behind its back; memory scrubbed before it is
// freed (rte_free and rte_lpm_free are wrapped to look at the memory first).
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include "control/slot/slot_build.h"
#include "control/slot/slot_lifecycle.h"
#include "control/slot/slot_update.h"
#include "control/slot/slot_verify.h"
#include "dataplane/ecmp_path.h"
#include "test/unit/control/slot_test_env.h"

static struct molt_config cfg;

// --- scrub hooks ---------------------------------------------------------------------------

void __real_rte_free(void *p);
void __wrap_rte_free(void *p);
void __real_rte_lpm_free(struct rte_lpm *lpm);
void __wrap_rte_lpm_free(struct rte_lpm *lpm);

static bool scrub_watch;
static unsigned scrub_frees, scrub_dirty, lpm_frees, lpm_dirty;

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

void __wrap_rte_free(void *p)
{
	size_t sz;

	if (scrub_watch && p != NULL && rte_malloc_validate(p, &sz) == 0) {
		scrub_frees++;
		if (!all_zero(p, sz))
			scrub_dirty++;
	}
	__real_rte_free(p);
}

void __wrap_rte_lpm_free(struct rte_lpm *lpm)
{
	size_t tbl8_sz;

	// The tbl8 groups are sized from the slot's table: ask the allocator how many there are.
	if (scrub_watch && lpm != NULL) {
		lpm_frees++;
		if (rte_malloc_validate(lpm->tbl8, &tbl8_sz) < 0 ||
		    !all_zero(lpm->tbl24, sizeof(lpm->tbl24)) || !all_zero(lpm->tbl8, tbl8_sz))
			lpm_dirty++;
	}
	__real_rte_lpm_free(lpm);
}

// --- setup ---------------------------------------------------------------------------------

static int setup(void **state)
{
	if (slot_test_eal("molt-test-slot-update", "512") < 0)
		return -1;
	slot_test_config(&cfg);
	cfg.fib_max_routes_v4 = 4096;
	cfg.fib_max_routes_v6 = 4096;
	return 0;
}

static int teardown(void **state)
{
	rte_eal_cleanup();
	return 0;
}

// --- lifecycle -----------------------------------------------------------------------------

static void test_lifecycle_table(void **state)
{
	static const int legal[][2] = {
		{ SLOT_EMPTY, SLOT_BUILDING },  { SLOT_BUILDING, SLOT_READY },
		{ SLOT_BUILDING, SLOT_ERASED }, { SLOT_READY, SLOT_ACTIVE },
		{ SLOT_READY, SLOT_ERASED },    { SLOT_ACTIVE, SLOT_DRAINING },
		{ SLOT_DRAINING, SLOT_ERASED }, { SLOT_DRAINING, SLOT_READY },
		{ SLOT_ERASED, SLOT_EMPTY },
	};
	enum slot_state st = SLOT_EMPTY;
	unsigned n_legal = 0;

	for (int f = -1; f <= SLOT_STATE_MAX; f++) {
		for (int t = -1; t <= SLOT_STATE_MAX; t++) {
			bool want = false;

			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				want |= legal[i][0] == f && legal[i][1] == t;
			if (slot_edge_legal((enum slot_state)f, (enum slot_state)t) != want)
				fail_msg("edge %d -> %d: expected %s", f, t,
					 want ? "legal" : "refused");
			n_legal += want;
		}
	}
	assert_int_equal(n_legal, 9);
	// Every state refuses itself and skipping ahead, e.g. EMPTY -> ACTIVE, BUILDING -> ACTIVE.
	assert_false(slot_edge_legal(SLOT_EMPTY, SLOT_ACTIVE));
	assert_false(slot_edge_legal(SLOT_BUILDING, SLOT_ACTIVE));
	assert_false(slot_edge_legal(SLOT_ACTIVE, SLOT_ERASED));
	assert_false(slot_edge_legal(SLOT_ACTIVE, SLOT_READY));
	// A whole cycle through slot_transition is counted edge by edge.
	slot_transition(&st, NULL, 0, SLOT_BUILDING);
	slot_transition(&st, NULL, 0, SLOT_READY);
	slot_transition(&st, NULL, 0, SLOT_ACTIVE);
	slot_transition(&st, NULL, 0, SLOT_DRAINING);
	slot_transition(&st, NULL, 0, SLOT_READY);
	slot_transition(&st, NULL, 0, SLOT_ERASED);
	slot_transition(&st, NULL, 0, SLOT_EMPTY);
	assert_int_equal(st, SLOT_EMPTY);
	assert_int_equal(slot_edge_count(SLOT_READY, SLOT_ACTIVE), 1);
	assert_int_equal(slot_edge_count(SLOT_DRAINING, SLOT_READY), 1);
	assert_int_equal(slot_edge_count(SLOT_EMPTY, SLOT_ACTIVE), 0);
}

// --- updates vs a fresh build --------------------------------------------------------------

#define KEYS 400

struct table {
	struct molt_route r[KEYS];
	bool present[KEYS];
};

static struct molt_route key_route(unsigned k)
{
	struct molt_route r;

	memset(&r, 0, sizeof(r));
	r.type = MOLT_RT_VIA;
	if (k < KEYS / 2) {
		r.family = 4;
		r.plen = (uint8_t)(16 + k % 17);
		r.prefix[0] = (uint8_t)(20 + k % 7);
		r.prefix[1] = (uint8_t)k;
		r.prefix[2] = (uint8_t)(k * 7);
		r.prefix[3] = (uint8_t)(k * 13);
		if (k == 0) { // a connected subnet: shadowed
			r.plen = 24;
			addr("10.0.1.0", r.prefix);
		}
	} else {
		r.family = 6;
		r.plen = (uint8_t)(40 + k % 25); // byte 4 (k) always inside: keys unique
		addr("2001:db8::", r.prefix);
		r.prefix[4] = (uint8_t)k;
		r.prefix[5] = (uint8_t)(k * 3);
		r.prefix[6] = (uint8_t)(k * 11);
		r.prefix[7] = (uint8_t)(k * 17);
	}
	// Clear host bits.
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = r.plen > i * 8 ? r.plen - i * 8 : 0;

		r.prefix[i] = bits >= 8 ? r.prefix[i] : (uint8_t)(r.prefix[i] & (0xff00 >> bits));
	}
	return r;
}

static const char *const gw4[] = { "10.0.1.7", "10.0.2.9", "10.0.2.10", "10.9.9.9" };
static const char *const gw6[] = { "fd00:1::2", "fd00:1::3", "fd00:9::9" };

static struct molt_route random_route(unsigned k)
{
	struct molt_route r = key_route(k);
	unsigned c = (unsigned)rand() % 10;

	if (c == 0) {
		r.type = MOLT_RT_BLACKHOLE;
	} else if (c == 1) {
		r.type = MOLT_RT_DEV;
		snprintf(r.dev, sizeof(r.dev), "p%u", (unsigned)rand() % 3); // p2: rejected
	} else if (r.family == 4) {
		addr(gw4[(unsigned)rand() % 4], r.gateway); // 10.9.9.9: off-link, rejected
		if (c == 2)
			snprintf(r.dev, sizeof(r.dev), "p1");
	} else {
		addr(gw6[(unsigned)rand() % 3], r.gateway);
	}
	return r;
}

static void check_same(const struct slot *a, const struct slot_books *ba, const struct slot *b,
		       const struct slot_build_stats *sb)
{
	char err[256];

	assert_int_equal(a->routes4, b->routes4);
	assert_int_equal(a->routes6, b->routes6);
	assert_int_equal(a->rejected, b->rejected);
	assert_int_equal(ba->shadowed, sb->shadowed);
	assert_int_equal(a->digest, b->digest);
	assert_int_equal(ba->rules, sb->rules);
	assert_true(ba->rules_digest == sb->rules_digest);
	if (slot_verify(a, ba->rules, ba->rules_digest, NULL, err, sizeof(err)) != 0)
		fail_msg("updated slot: %s", err);
	if (slot_verify(b, sb->rules, sb->rules_digest, NULL, err, sizeof(err)) != 0)
		fail_msg("fresh slot: %s", err);
}

static void run_updates(const char *driver)
{
	const struct fib_driver *d = fib_driver_find(driver);
	struct slot_planner *p = slot_planner_create(&cfg);
	struct table *t = calloc(1, sizeof(*t));
	struct molt_route *final = calloc(KEYS, sizeof(*final));
	struct slot_build_stats st, st2;
	struct slot_books books;
	struct slot *s, *fresh;
	char err[256] = "";
	unsigned n = 0;
	bool added;

	assert_non_null(d);
	assert_non_null(p);
	srand(7);
	// Start from half the keys.
	for (unsigned k = 0; k < KEYS; k += 2) {
		t->r[k] = random_route(k);
		t->present[k] = true;
		final[n++] = t->r[k];
	}
	s = slot_build(&cfg, d, 100, final, n, &st, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	slot_books_init(&books, &st);
	for (unsigned i = 0; i < 5000; i++) {
		unsigned k = (unsigned)rand() % KEYS;
		struct molt_route nr = random_route(k);
		int ret;

		if (t->present[k] && rand() % 3 == 0) { // delete
			ret = slot_update_apply(s, &books, p, &t->r[k], NULL, &added);
			t->present[k] = false;
		} else { // add or replace
			ret = slot_update_apply(s, &books, p, t->present[k] ? &t->r[k] : NULL, &nr,
						&added);
			t->r[k] = nr;
			t->present[k] = true;
		}
		assert_int_equal(ret, 0);
	}
	n = 0;
	for (unsigned k = 0; k < KEYS; k++)
		if (t->present[k])
			final[n++] = t->r[k];
	assert_int_equal(slot_books_routes(s, &books), n);
	// As before a flip: a driver with seal answers lookups from its last seal.
	if (slot_seal(s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	fresh = slot_build(&cfg, d, 101, final, n, &st2, err, sizeof(err));
	if (fresh == NULL)
		fail_msg("%s", err);
	check_same(s, &books, fresh, &st2);
	slot_free_scrub(s);
	slot_free_scrub(fresh);
	slot_planner_destroy(p);
	free(final);
	free(t);
}

static void test_updates_reference(void **state)
{
	run_updates("reference");
}

static void test_updates_lpm(void **state)
{
	run_updates("lpm");
}

static void test_updates_fib_lpm6(void **state)
{
	run_updates("fib-lpm6");
}

static void test_updates_molt(void **state)
{
	run_updates("molt");
}

// Deleting a route whose rule was removed behind the slot's back: the slot says it diverged.
static void test_update_diverged(void **state)
{
	const struct fib_driver *d = fib_driver_find("reference");
	struct slot_planner *p = slot_planner_create(&cfg);
	struct molt_route r = key_route(5);
	struct slot_build_stats st;
	struct slot_books books;
	char err[256];
	uint32_t ip;
	bool added;
	struct slot *s;

	addr("10.0.2.9", r.gateway);
	s = slot_build(&cfg, d, 102, &r, 1, &st, err, sizeof(err));
	assert_non_null(s);
	slot_books_init(&books, &st);
	memcpy(&ip, r.prefix, 4);
	ip = __builtin_bswap32(ip);
	assert_int_equal(s->ops4->del(s->fib4, &ip, r.plen), 0);
	assert_int_equal(slot_update_apply(s, &books, p, &r, NULL, &added), -ENOENT);
	slot_free_scrub(s);
	slot_planner_destroy(p);
}

// A multipath route and its group's records as live updates: the route goes to a next-hop
// group with its paths in gateway order, found through the mirror (a path that is not on-link
// stays in it, never used); the records are accounted, not routes.
static void test_update_multipath(void **state)
{
	const struct fib_driver *d = fib_driver_find("reference");
	struct slot_planner *p = slot_planner_create(&cfg);
	struct molt_route recs[MOLT_ROUTE_RECS_MAX];
	uint8_t want[16] = { 10, 0, 2, 9 };
	const struct molt_nh_group *g;
	struct slot_build_stats st;
	struct slot_books books;
	struct rib mirror;
	char err[256];
	uint32_t ip = 0xc6336401, nh; // 198.51.100.1
	bool added;
	struct slot *s;
	int n = molt_route_parse_multi("198.51.100.0/24 nexthop via 10.9.9.9 nexthop via 10.0.2.9 "
				       "weight 3",
				       recs, err, sizeof(err));

	assert_int_equal(n, 3);
	assert_int_equal(rib_init(&mirror, 4), 0);
	slot_planner_use_groups(p, &mirror);
	s = slot_build(&cfg, d, 103, NULL, 0, &st, err, sizeof(err));
	assert_non_null(s);
	slot_books_init(&books, &st);
	for (int i = 0; i < n; i++) {
		assert_int_equal(rib_add(&mirror, &recs[i]), 0);
		assert_int_equal(slot_update_apply(s, &books, p, NULL, &recs[i], &added), 0);
	}
	assert_int_equal(slot_books_routes(s, &books), mirror.count);
	s->ops4->lookup_bulk(s->fib4, &ip, &nh, 1);
	assert_true(nh < s->nh_count);
	assert_int_equal(nh_l2_kind(atomic_load(&s->nh[nh].l2)), NH_GROUP);
	assert_int_equal(s->grp_count, 1);
	g = &s->grp[nh_l2_group(atomic_load(&s->nh[nh].l2))];
	assert_int_equal(g->n_paths, 2);
	assert_int_equal(g->planned, 0x1);
	assert_int_equal(g->weight[0], 3);
	assert_true(g->path_nh[0] < s->nh_count);
	assert_memory_equal(s->nh[g->path_nh[0]].gateway, want, 16);
	assert_int_equal(s->routes4, 1);
	// Again: the slot's group is found, not added twice.
	assert_int_equal(slot_update_apply(s, &books, p, &recs[n - 1], &recs[n - 1], &added), 0);
	assert_int_equal(s->grp_count, 1);
	// The route goes first, then its group (the route server's order).
	for (int i = n - 1; i >= 0; i--) {
		assert_int_equal(slot_update_apply(s, &books, p, &recs[i], NULL, &added), 0);
		rib_del(&mirror, &recs[i]);
	}
	assert_int_equal(slot_books_routes(s, &books), 0);
	s->ops4->lookup_bulk(s->fib4, &ip, &nh, 1);
	assert_int_equal(nh, FIB_NH_MISS);
	rib_free(&mirror);
	slot_free_scrub(s);
	slot_planner_destroy(p);
}

// --- per-flow paths across slots ----------------------------------------------------------

#define FLOWS 10000

// Every gateway next hop of s resolved (its MAC's last byte: the gateway's), as neighbour
// resolution would make them; path `skip` of group 0 left unresolved (none: -1).
static void resolve_all(struct slot *s, int skip)
{
	for (uint32_t i = 0; i < s->nh_count; i++) {
		struct molt_nh *n = &s->nh[i];
		struct rte_ether_addr mac = { { 2, 0, 0, 0, 0,
						n->gateway[n->family == 4 ? 3 : 15] } };

		if (n->kind != NH_UNRESOLVED)
			continue;
		if (skip >= 0 && s->grp[0].path_nh[skip] == i)
			atomic_store(&n->l2, nh_l2_make(NH_UNRESOLVED, n->port, NULL));
		else
			atomic_store(&n->l2, nh_l2_make(NH_FORWARD, n->port, &mac));
	}
}

// The flow i (random, to 198.18.0.0/16 or, odd i with six, 2001:db8:77::/48) and the gateway
// (last byte) of the path s gives it; *path gets the path's index.
static unsigned flow_gateway(const struct slot *s, unsigned i, bool six, int *path)
{
	uint64_t x = molt_mix64(i + 1);
	struct ecmp_flow f;
	uint32_t nh, ip;
	const struct molt_nh_group *g;
	uint64_t l2;
	bool usable;
	int p;

	memset(&f, 0, sizeof(f));
	f.family = six && i % 2 ? 6 : 4;
	f.proto = i % 3 ? 6 : 17;
	f.ports = true;
	f.sport = (uint16_t)(x >> 16);
	f.dport = (uint16_t)(x >> 32);
	memcpy(f.src, &x, 8);
	if (f.family == 4) {
		ip = 0xc6120000 | (uint32_t)(x >> 48); // 198.18.0.0/16
		f.dst[0] = 198;
		f.dst[1] = 18;
		f.dst[2] = (uint8_t)(x >> 56);
		f.dst[3] = (uint8_t)(x >> 48);
		s->ops4->lookup_bulk(s->fib4, &ip, &nh, 1);
	} else {
		static const uint8_t pfx[6] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x77 };

		memcpy(f.dst, pfx, 6);
		memcpy(f.dst + 8, &x, 8);
		s->ops6->lookup_bulk(s->fib6, f.dst, &nh, 1);
	}
	assert_true(nh < s->nh_count);
	l2 = atomic_load(&s->nh[nh].l2);
	assert_int_equal(nh_l2_kind(l2), NH_GROUP);
	assert_true(nh_l2_group(l2) < s->grp_count);
	g = &s->grp[nh_l2_group(l2)];
	p = ecmp_path(s, g, ecmp_flow_hash(&f), 0, &usable);
	assert_true(p >= 0 && usable);
	*path = p;
	return s->nh[g->path_nh[p]].gateway[f.family == 4 ? 3 : 15];
}

static const char *const mp_lines[] = {
	"198.18.0.0/16 nexthop via 10.0.2.14 nexthop via 10.0.2.12 nexthop via 10.0.2.11 "
	"nexthop via 10.0.2.13",
	"2001:db8:77::/48 nexthop via fd00:1::14 nexthop via fd00:1::11 nexthop via fd00:1::13 "
	"nexthop via fd00:1::12",
};

// Parses mp_lines into recs; returns the count.
static unsigned mp_routes(struct molt_route *recs)
{
	char err[256] = "";
	unsigned n = 0;

	for (unsigned l = 0; l < 2; l++) {
		const char *line = mp_lines[l];
		int k;

		k = molt_route_parse_multi(line, &recs[n], err, sizeof(err));
		if (k < 2)
			fail_msg("%s: %s", line, err);
		n += (unsigned)k;
	}
	return n;
}

// The same flows take the same paths in slots built by two engines (molt, fib) in two
// generations, and in a slot given the routes as live updates; 4 equal paths share 10,000
// flows within a few %; an unresolved path's flows spread over the others while theirs stay.
static void test_multipath_engines(void **state)
{
	const char *drivers[2] = { "molt", "fib" };
	struct molt_route recs[2 * MOLT_ROUTE_RECS_MAX];
	struct slot_planner *p = slot_planner_create(&cfg);
	static uint8_t gw[3][FLOWS];
	static int path[FLOWS];
	unsigned n = mp_routes(recs), counts[4] = { 0 }, moved[4] = { 0 };
	struct slot_build_stats st;
	struct slot_books books;
	struct slot *s[3];
	struct rib mirror;
	char err[256] = "";
	bool added;

	for (unsigned k = 0; k < 2; k++) {
		s[k] = slot_build(&cfg, fib_driver_find(drivers[k]), 301 + k, recs, n, &st, err,
				  sizeof(err));
		if (s[k] == NULL)
			fail_msg("%s: %s", drivers[k], err);
	}
	assert_int_equal(rib_init(&mirror, 64), 0);
	slot_planner_use_groups(p, &mirror);
	s[2] = slot_build(&cfg, fib_driver_find("reference"), 303, NULL, 0, &st, err, sizeof(err));
	assert_non_null(s[2]);
	slot_books_init(&books, &st);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(rib_add(&mirror, &recs[i]), 0);
		assert_int_equal(slot_update_apply(s[2], &books, p, NULL, &recs[i], &added), 0);
	}
	for (unsigned k = 0; k < 3; k++) {
		resolve_all(s[k], -1);
		for (unsigned i = 0; i < FLOWS; i++)
			gw[k][i] = (uint8_t)flow_gateway(s[k], i, true, &path[i]);
	}
	assert_memory_equal(gw[0], gw[1], FLOWS);
	assert_memory_equal(gw[0], gw[2], FLOWS);
	for (unsigned i = 0; i < FLOWS; i++)
		counts[path[i]]++;
	print_message("10,000 flows over 4 equal paths: %u %u %u %u\n", counts[0], counts[1],
		      counts[2], counts[3]);
	for (unsigned k = 0; k < 4; k++)
		if (counts[k] < FLOWS / 4 * 95 / 100 || counts[k] > FLOWS / 4 * 105 / 100)
			fail_msg("path %u has %u of %u flows: not within 5 %% of even", k,
				 counts[k], FLOWS);

	// Path 2 of the IPv4 group loses its neighbour: its flows move, the others' stay.
	resolve_all(s[0], 2);
	for (unsigned i = 0; i < FLOWS; i += 2) { // IPv4 flows
		int was, now;

		flow_gateway(s[1], i, true, &was);
		flow_gateway(s[0], i, true, &now);
		assert_int_not_equal(now, 2);
		if (was != 2)
			assert_int_equal(now, was);
		else
			moved[now]++;
	}
	assert_true((moved[0] > 0) + (moved[1] > 0) + (moved[3] > 0) >= 2);
	for (unsigned k = 0; k < 3; k++)
		slot_free_scrub(s[k]);
	rib_free(&mirror);
	slot_planner_destroy(p);
}

// 16 paths with weights 1..16: every path is used, in proportion to its weight.
static void test_multipath_16(void **state)
{
	char line[1024];
	struct molt_route recs[MOLT_ROUTE_RECS_MAX];
	unsigned counts[16] = { 0 }, n, len;
	struct slot_build_stats st;
	char err[256] = "";
	struct slot *s;

	len = (unsigned)snprintf(line, sizeof(line), "198.18.0.0/16");
	for (unsigned k = 0; k < 16; k++)
		len += (unsigned)snprintf(line + len, sizeof(line) - len,
					  " nexthop via 10.0.2.%u weight %u", 100 + k, k + 1);
	n = (unsigned)molt_route_parse_multi(line, recs, err, sizeof(err));
	assert_int_equal(n, 17);
	s = slot_build(&cfg, fib_driver_find("reference"), 310, recs, n, &st, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	assert_int_equal(s->grp[0].n_paths, 16);
	assert_int_equal(s->grp[0].n_buckets, 136);
	resolve_all(s, -1);
	for (unsigned i = 0; i < FLOWS; i++) {
		int p;

		flow_gateway(s, i, false, &p);
		counts[p]++;
	}
	for (unsigned k = 0; k < 16; k++) {
		double want = FLOWS * (k + 1) / 136.0;

		assert_int_equal(s->grp[0].weight[k], k + 1);
		if (counts[k] < want * 0.7 || counts[k] > want * 1.3)
			fail_msg("path %u (weight %u): %u flows, want about %.0f", k, k + 1,
				 counts[k], want);
	}
	slot_free_scrub(s);
}

// --- verification --------------------------------------------------------------------------

static void test_verify_tamper(void **state)
{
	const struct fib_driver *d = fib_driver_find("lpm");
	struct molt_route r[3];
	struct slot_build_stats st;
	struct slot_verify_result vr;
	char err[256];
	struct slot *s;
	uint8_t p6[16];
	uint32_t ip = 0xc6336400; // 198.51.100.0

	for (unsigned i = 0; i < 3; i++) {
		r[i] = key_route(10 + i);
		addr("10.0.2.9", r[i].gateway);
	}
	s = slot_build(&cfg, d, 103, r, 3, &st, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(slot_verify(s, st.rules, st.rules_digest, &vr, err, sizeof(err)), 0);
	assert_int_equal(vr.rules, st.rules);

	// A rule nobody asked for.
	assert_int_equal(s->ops4->add(s->fib4, &ip, 24, 0), 0);
	assert_int_equal(slot_verify(s, st.rules, st.rules_digest, &vr, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "expected"));
	assert_int_equal(s->ops4->del(s->fib4, &ip, 24), 0);
	assert_int_equal(slot_verify(s, st.rules, st.rules_digest, NULL, err, sizeof(err)), 0);

	// Same count, one rule re-pointed to another next hop (the drop entry).
	memcpy(&ip, r[0].prefix, 4);
	ip = __builtin_bswap32(ip);
	assert_int_equal(s->ops4->add(s->fib4, &ip, r[0].plen, 0), 0);
	assert_int_equal(slot_verify(s, st.rules, st.rules_digest, NULL, err, sizeof(err)),
			 -EBADMSG);
	slot_free_scrub(s);

	// A next hop's gateway changed under its rules.
	s = slot_build(&cfg, d, 104, r, 3, &st, err, sizeof(err));
	assert_non_null(s);
	for (uint32_t i = 0; i < s->nh_count; i++)
		if (s->nh[i].kind == NH_UNRESOLVED)
			s->nh[i].gateway[3] ^= 1;
	assert_int_equal(slot_verify(s, st.rules, st.rules_digest, NULL, err, sizeof(err)),
			 -EBADMSG);
	// And an IPv6 rule out of range of the next-hop table.
	addr("2001:db8:ffff::", p6);
	assert_int_equal(s->ops6->add(s->fib6, p6, 48, s->nh_count + 1), 0);
	assert_int_equal(slot_verify(s, st.rules, st.rules_digest, NULL, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "point past"));
	slot_free_scrub(s);
}

// A molt slot that took an update and was not sealed again still answers from its old image:
// its rule table is right, its lookups are not, and verification says so.
static void test_verify_unsealed(void **state)
{
	const struct fib_driver *d = fib_driver_find("molt");
	struct slot_planner *p = slot_planner_create(&cfg);
	struct molt_route r[3] = { key_route(20), key_route(21) };
	struct slot_build_stats st;
	struct slot_verify_result vr;
	struct slot_books books;
	char err[256];
	bool added;
	struct slot *s;

	assert_non_null(d);
	assert_non_null(p);
	addr("10.0.2.9", r[0].gateway);
	addr("10.0.2.9", r[1].gateway);
	s = slot_build(&cfg, d, 105, r, 1, &st, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	slot_books_init(&books, &st);
	assert_int_equal(slot_verify(s, books.rules, books.rules_digest, &vr, err, sizeof(err)), 0);
	assert_true(vr.probes > 0);
	assert_int_equal(vr.wrong, 0);

	assert_int_equal(slot_update_apply(s, &books, p, NULL, &r[1], &added), 0);
	assert_int_equal(slot_verify(s, books.rules, books.rules_digest, &vr, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "lookups disagree"));
	assert_true(vr.wrong > 0);
	assert_int_equal(slot_seal(s, err, sizeof(err)), 0);
	assert_int_equal(slot_verify(s, books.rules, books.rules_digest, &vr, err, sizeof(err)), 0);

	// Re-pointed to another gateway: the old image gives the old next hop at its start.
	r[2] = r[1];
	addr("10.0.2.10", r[2].gateway);
	assert_int_equal(slot_update_apply(s, &books, p, &r[1], &r[2], &added), 0);
	assert_true(added);
	assert_int_equal(slot_verify(s, books.rules, books.rules_digest, NULL, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(slot_seal(s, err, sizeof(err)), 0);
	assert_int_equal(slot_verify(s, books.rules, books.rules_digest, NULL, err, sizeof(err)),
			 0);
	slot_free_scrub(s);
	slot_planner_destroy(p);
}

// --- scrubbing -----------------------------------------------------------------------------

static void test_scrub(void **state)
{
	const struct fib_driver *d = fib_driver_find("lpm");
	struct molt_route r[40];
	struct slot_build_stats st;
	char err[256];
	struct slot *s;

	for (unsigned i = 0; i < 40; i++) {
		r[i] = key_route(1 + i);
		addr(i % 2 ? "10.0.2.9" : "10.0.1.7", r[i].gateway);
	}
	s = slot_build(&cfg, d, 105, r, 40, &st, err, sizeof(err));
	assert_non_null(s);
	assert_true(s->nh_count > 3);
	scrub_frees = scrub_dirty = lpm_frees = lpm_dirty = 0;
	scrub_watch = true;
	slot_free_scrub(s);
	scrub_watch = false;
	// The next-hop table and the slot struct (rte_free), and the IPv4 rte_lpm.
	assert_true(scrub_frees >= 2);
	assert_int_equal(scrub_dirty, 0);
	assert_int_equal(lpm_frees, 1);
	assert_int_equal(lpm_dirty, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_table),
		cmocka_unit_test(test_updates_reference),
		cmocka_unit_test(test_updates_lpm),
		cmocka_unit_test(test_updates_fib_lpm6),
		cmocka_unit_test(test_updates_molt),
		cmocka_unit_test(test_update_diverged),
		cmocka_unit_test(test_verify_tamper),
		cmocka_unit_test(test_verify_unsealed),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_update_multipath),
		cmocka_unit_test(test_multipath_engines),
		cmocka_unit_test(test_multipath_16),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
