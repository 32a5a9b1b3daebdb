// SPDX-License-Identifier: BSD-3-Clause
// slot_build on the reference driver: connected and local routes, gateway deduplication, each
// rejection reason, connected routes winning over feed routes, the digest, and slot memory
// scrubbed on free. Needs a --no-huge EAL for rte_zmalloc.
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "control/slot/slot_build.h"
#include "test/unit/control/slot_test_env.h"

static struct molt_config cfg;

static int setup(void **state)
{
	if (slot_test_eal("molt-test-slot-build", "256") < 0)
		return -1;
	slot_test_config(&cfg);
	addr("fe80::ff:fe00:101", cfg.ports[0].ll6);
	cfg.ports[1].n_v4 = 2;
	ifaddr(&cfg.ports[1].v4[1], "10.0.0.1", 16); // overlaps: 10.0.2.x gateways match the /24
	return 0;
}

static int teardown(void **state)
{
	rte_eal_cleanup();
	return 0;
}

static struct molt_route route(const char *line)
{
	struct molt_route r;
	char err[128];

	if (molt_route_parse(line, &r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", line, err);
	return r;
}

// The next hop s uses for ip (network order); FIB_NH_MISS: none.
static uint32_t lookup_ip(const struct slot *s, uint8_t family, const uint8_t *ip)
{
	uint32_t nh;

	if (family == 4) {
		uint32_t h = (uint32_t)ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3];

		s->ops4->lookup_bulk(s->fib4, &h, &nh, 1);
	} else {
		s->ops6->lookup_bulk(s->fib6, ip, &nh, 1);
	}
	return nh;
}

static uint32_t lookup(const struct slot *s, const char *a)
{
	uint8_t fam, ip[16];

	assert_int_equal(molt_addr_parse(a, &fam, ip), 0);
	return lookup_ip(s, fam, ip);
}

static enum nh_kind kind_of(const struct slot *s, const char *a)
{
	uint32_t nh = lookup(s, a);

	if (nh == FIB_NH_MISS)
		return (enum nh_kind) - 1;
	assert_true(nh < s->nh_count);
	return nh_l2_kind(atomic_load(&s->nh[nh].l2));
}

enum fate { INSTALLED, SHADOWED, REJ_DEV, REJ_OFFLINK, REJ_LINKLOCAL, REJ_GATEWAY };

// What slot_build must do with each route, written down route by route.
static const struct {
	const char *line;
	enum fate fate;
} cases[] = {
	{ "192.0.2.0/24 via 10.0.2.2", INSTALLED }, // gateway on p1 (longest match)
	{ "198.51.100.0/24 via 10.0.2.2", INSTALLED }, // same next hop: shared
	{ "198.51.101.0/24 via 10.0.2.2 dev p0", INSTALLED }, // same gateway, other port: its own
	{ "203.0.113.0/24 blackhole", INSTALLED },
	{ "100.64.0.0/10 dev p1", INSTALLED },
	{ "172.16.0.0/12 via 10.9.9.9", REJ_OFFLINK }, // not inside any port subnet
	{ "10.1.0.0/16 dev p9", REJ_DEV }, // unknown port
	{ "10.2.0.0/16 via 10.0.1.7 dev p9", REJ_DEV }, // unknown port
	{ "2001:db8:200::/48 via fe80::1 dev -", REJ_LINKLOCAL }, // link-local, dev cleared below
	{ "2001:db8:300::/48 via fe80::1 dev p0", INSTALLED },
	{ "2001:db8:400::/48 via fd00:1::2", INSTALLED },
	{ "10.0.1.0/24 via 10.0.2.2", SHADOWED }, // our connected subnet: ours wins
	{ "10.0.1.1/32 blackhole", SHADOWED }, // our address: ours wins
	{ "10.3.0.0/16 via 10.0.2.9 dev -", REJ_GATEWAY }, // becomes via 0.0.0.0: not unicast
	{ "10.4.0.0/16 via 10.0.77.1", INSTALLED }, // on-link through p1's /16
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

// The slot's digest over the installed routes of `cases`, as a known constant: the sum of
// molt_route_hash over those eight routes' 52-byte wire form (little-endian words), computed
// outside molt from the hash's definition in common/route.c. It changes only if the route hash
// or the set of installed routes does: either changes every feed and slot digest, on purpose.
#define CASES_DIGEST 0xcfe23493f183be68ull

// Whether the next hop s has for the first address of r's prefix is the one r asks for.
static bool serves(const struct slot *s, const struct molt_route *r)
{
	uint32_t nh = lookup_ip(s, r->family, r->prefix);
	const struct molt_nh *n;

	if (nh == FIB_NH_MISS || nh >= s->nh_count)
		return false;
	n = &s->nh[nh];
	switch (r->type) {
	case MOLT_RT_BLACKHOLE:
		return n->kind == NH_BLACKHOLE;
	case MOLT_RT_DEV:
		return n->kind == NH_CONNECTED;
	default:
		return n->kind == NH_UNRESOLVED && n->family == r->family &&
		       memcmp(n->gateway, r->gateway, 16) == 0;
	}
}

static void test_build(void **state)
{
	struct molt_route routes[N_CASES];
	const struct fib_driver *d = fib_driver_find("reference");
	uint64_t want[REJ_GATEWAY + 1] = { 0 }, routes4 = 0, routes6 = 0, digest = 0;
	struct slot_build_stats st;
	char err[256] = "";
	struct slot *s;
	uint32_t a, b, c;

	assert_non_null(d);
	for (size_t i = 0; i < N_CASES; i++)
		routes[i] = route(cases[i].line);
	// The route parser refuses these two; a corrupt or future feed might not.
	memset(routes[8].dev, 0, sizeof(routes[8].dev));
	memset(routes[13].dev, 0, sizeof(routes[13].dev));
	memset(routes[13].gateway, 0, sizeof(routes[13].gateway));
	s = slot_build(&cfg, d, 42, routes, N_CASES, &st, err, sizeof(err));
	if (s == NULL)
		fail_msg("build failed: %s", err);

	// Every route's fate, from the table: counts, the FIB's answer for its prefix, the digest.
	for (size_t i = 0; i < N_CASES; i++) {
		const struct molt_route *r = &routes[i];

		want[cases[i].fate]++;
		if (cases[i].fate != INSTALLED) {
			if (cases[i].fate != SHADOWED && serves(s, r))
				fail_msg("\"%s\" was not to be installed", cases[i].line);
			continue;
		}
		if (!serves(s, r))
			fail_msg("\"%s\" is not served as asked", cases[i].line);
		*(r->family == 4 ? &routes4 : &routes6) += 1;
		digest += molt_route_hash(r);
	}
	assert_int_equal(s->state, SLOT_READY);
	assert_int_equal(s->generation, 42);
	assert_int_equal(st.rejected[SLOT_REJECT_DEV], want[REJ_DEV]);
	assert_int_equal(st.rejected[SLOT_REJECT_OFFLINK], want[REJ_OFFLINK]);
	assert_int_equal(st.rejected[SLOT_REJECT_LINKLOCAL], want[REJ_LINKLOCAL]);
	assert_int_equal(st.rejected[SLOT_REJECT_GATEWAY], want[REJ_GATEWAY]);
	assert_int_equal(s->rejected, want[REJ_DEV] + want[REJ_OFFLINK] + want[REJ_LINKLOCAL] +
					      want[REJ_GATEWAY]);
	assert_int_equal(st.shadowed, want[SHADOWED]);
	assert_int_equal(s->routes4, routes4);
	assert_int_equal(s->routes6, routes6);
	// 4 connected subnets, 5 local addresses, broadcast, fe80::/10, ff00::/8.
	assert_int_equal(st.connected, 12);
	assert_int_equal(st.rules, want[INSTALLED] + 12);
	// The slot's own sum, the test's sum over the table, and the constant agree.
	if (s->digest != digest || digest != CASES_DIGEST)
		fail_msg("slot digest %016" PRIx64 ", the table's %016" PRIx64
			 ", expected %016" PRIx64,
			 s->digest, digest, (uint64_t)CASES_DIGEST);

	// Gateways: deduplicated by (gateway, port), start unresolved with their port set.
	a = lookup(s, "192.0.2.9");
	b = lookup(s, "198.51.100.1");
	c = lookup(s, "198.51.101.1");
	assert_int_equal(a, b);
	assert_int_not_equal(a, c);
	assert_int_equal(nh_l2_kind(atomic_load(&s->nh[a].l2)), NH_UNRESOLVED);
	assert_int_equal(s->nh[a].port, 5);
	assert_int_equal(nh_l2_port(atomic_load(&s->nh[a].l2)), 5);
	assert_int_equal(s->nh[a].refs, 2);
	assert_int_equal(s->nh[c].port, 3);
	assert_int_equal(s->nh[a].family, 4);
	assert_memory_equal(s->nh[a].gateway, "\x0a\x00\x02\x02", 4);
	assert_int_equal(s->nh[lookup(s, "10.4.1.1")].port, 5);
	assert_int_equal(s->nh[lookup(s, "2001:db8:300::1")].port, 3);
	assert_int_equal(s->nh[lookup(s, "2001:db8:400::1")].port, 3);

	assert_int_equal(kind_of(s, "203.0.113.7"), NH_BLACKHOLE);
	assert_int_equal(kind_of(s, "100.64.0.1"), NH_CONNECTED);
	assert_int_equal(nh_l2_port(atomic_load(&s->nh[lookup(s, "100.64.0.1")].l2)), 5);
	assert_int_equal(kind_of(s, "10.0.1.9"), NH_CONNECTED);
	assert_int_equal(nh_l2_port(atomic_load(&s->nh[lookup(s, "10.0.1.9")].l2)), 3);
	assert_int_equal(kind_of(s, "10.0.1.1"), NH_LOCAL);
	assert_int_equal(kind_of(s, "10.0.0.1"), NH_LOCAL);
	assert_int_equal(kind_of(s, "255.255.255.255"), NH_LOCAL);
	assert_int_equal(lookup(s, "8.8.8.8"), FIB_NH_MISS);
	assert_int_equal(lookup(s, "172.16.0.1"), FIB_NH_MISS);
	assert_int_equal(lookup(s, "10.1.0.1"), FIB_NH_MISS); // its dev p9 does not exist
	assert_int_equal(nh_l2_port(atomic_load(&s->nh[lookup(s, "10.0.9.9")].l2)), 5);

	assert_int_equal(kind_of(s, "fd00:1::1"), NH_LOCAL);
	assert_int_equal(kind_of(s, "fd00:1::9"), NH_CONNECTED);
	assert_int_equal(kind_of(s, "fe80::ff:fe00:101"), NH_LOCAL);
	assert_int_equal(kind_of(s, "fe80::99"), NH_DROP);
	assert_int_equal(kind_of(s, "ff02::1:ff00:1"), NH_LOCAL);
	assert_int_equal(lookup(s, "2001:db8:200::1"), FIB_NH_MISS);

	assert_true(slot_memory(s) > s->nh_capacity * sizeof(struct molt_nh));
	slot_free_scrub(s);
}

static void test_fib_full(void **state)
{
	struct molt_config small = cfg;
	struct molt_route routes[64];
	struct slot_build_stats st;
	char err[256] = "", line[64];
	struct slot *s;

	small.fib_max_routes_v4 = 16;
	for (int i = 0; i < 64; i++) {
		snprintf(line, sizeof(line), "192.0.%d.0/24 via 10.0.2.2", i);
		routes[i] = route(line);
	}
	s = slot_build(&small, fib_driver_find("lpm"), 43, routes, 64, &st, err, sizeof(err));
	assert_null(s);
	assert_int_equal(errno, ENOSPC);
	// 64 feed routes, and the connected and local routes the test config's ports give.
	assert_string_equal(err, "slot 43: the IPv4 table has 71 routes (7 of them connected and "
				 "local), more than fib.max_routes_v4 (16)");
}

// Gateway to port answers are memoised by gateway (slot_plan.c): hundreds of gateways, more than
// the memo holds, asked in shifting orders must always get the longest-match answer.
static void test_gateway_memo(void **state)
{
	struct slot_planner *p = slot_planner_create(&cfg);
	char line[96];

	assert_non_null(p);
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned k = 0; k < 500; k++) {
			unsigned i = (k * (2 * round + 1) + round * 37) % 500, x = i / 5 + 2;
			struct slot_plan pl;
			struct molt_route r;
			int want;

			switch (i % 5) {
			case 0: // p0's /24 is longer than p1's /16
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.0.1.%u", x);
				want = 3;
				break;
			case 1:
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.0.2.%u", x);
				want = 5;
				break;
			case 2: // only p1's /16
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.0.%u.1", 77 + x);
				want = 5;
				break;
			case 3: // off-link: rejected every time, not only the first
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.9.%u.1", x);
				want = -1;
				break;
			default: // IPv6: on p0's /64, or off-link with case 0's first 4 bytes
				if (x % 2 == 0)
					snprintf(line, sizeof(line), "2001:db8::/48 via fd00:1::%x",
						 x);
				else
					snprintf(line, sizeof(line),
						 "2001:db8::/48 via a00:1%02x::", x);
				want = x % 2 == 0 ? 3 : -1;
				break;
			}
			r = route(line);
			slot_plan_route(p, &r, &pl);
			if (want < 0) {
				assert_int_equal(pl.kind, SLOT_PLAN_REJECTED);
				assert_int_equal(pl.why, SLOT_REJECT_OFFLINK);
			} else {
				assert_int_equal(pl.kind, SLOT_PLAN_GATEWAY);
				assert_int_equal(pl.port_id, want);
			}
		}
	}
	slot_planner_destroy(p);
}

// A multipath route points at a next-hop group whose paths are in gateway order, whatever the
// order of its line, the same in every slot built from the same routes; a path that cannot be
// placed stays in the group, never used; a route without a placed path is rejected; the
// group's records are not routes.
static void test_multipath(void **state)
{
	const struct fib_driver *d = fib_driver_find("reference");
	struct molt_route routes[2 * MOLT_ROUTE_RECS_MAX];
	const char *lines[] = {
		"192.0.2.0/24 nexthop via 10.9.9.9 nexthop via 10.0.2.7 nexthop via 10.0.2.3",
		"198.51.100.0/24 nexthop via 10.9.9.9 nexthop via 10.8.8.8",
	};
	static const uint8_t gw[2][16] = { { 10, 0, 2, 3 }, { 10, 0, 2, 7 } };
	static struct ecmp_ctr_row rows[ECMP_CTR_ROWS];
	struct slot_build_stats st;
	struct slot *s[2];
	char err[256] = "";
	uint32_t n = 0;

	for (unsigned i = 0; i < 2; i++) {
		int k = molt_route_parse_multi(lines[i], &routes[n], err, sizeof(err));

		if (k < 2)
			fail_msg("%s: %s", lines[i], err);
		n += (uint32_t)k;
	}
	for (unsigned g = 0; g < 2; g++) {
		const struct molt_nh_group *grp;
		uint32_t nh;
		uint64_t l2;

		s[g] = slot_build(&cfg, d, 50 + g, routes, n, &st, err, sizeof(err));
		if (s[g] == NULL)
			fail_msg("build failed: %s", err);
		nh = lookup(s[g], "192.0.2.1");
		assert_true(nh < s[g]->nh_count);
		l2 = atomic_load(&s[g]->nh[nh].l2);
		assert_int_equal(nh_l2_kind(l2), NH_GROUP);
		assert_int_equal(s[g]->grp_count, 1);
		assert_true(s[g]->grp_capacity > s[g]->grp_count);
		assert_int_equal(nh_l2_group(l2), 0);
		grp = &s[g]->grp[0];
		assert_int_equal(grp->n_paths, 3);
		assert_int_equal(grp->planned, 0x3); // 10.9.9.9 is not on a connected subnet
		assert_int_equal(grp->path_nh[2], UINT32_MAX);
		for (unsigned i = 0; i < 2; i++) {
			assert_true(grp->path_nh[i] < s[g]->nh_count);
			assert_memory_equal(s[g]->nh[grp->path_nh[i]].gateway, gw[i], 16);
			assert_int_equal(s[g]->nh[grp->path_nh[i]].port, 5);
		}
		assert_int_equal(lookup(s[g], "198.51.100.1"), FIB_NH_MISS);
		assert_int_equal(st.rejected[SLOT_REJECT_GROUP], 1);
		assert_int_equal(s[g]->routes4, 1);
		assert_int_equal(st.shadowed, n - 2); // the group records
	}
	// The same table, and the same counters, in both.
	assert_int_equal(s[0]->grp[0].n_buckets, s[1]->grp[0].n_buckets);
	assert_memory_equal(s[0]->grp[0].buckets, s[1]->grp[0].buckets, s[0]->grp[0].n_buckets);
	assert_int_not_equal(s[0]->grp[0].ctr, 0);
	assert_int_equal(s[0]->grp[0].ctr, s[1]->grp[0].ctr);
	assert_int_equal(ecmp_ctr_rows(rows, ECMP_CTR_ROWS), 1);
	assert_int_equal(rows[0].row, s[0]->grp[0].ctr);
	assert_int_equal(rows[0].n_paths, 3);
	assert_true(rows[0].id == s[0]->grp[0].id);
	slot_free_scrub(s[0]);
	assert_int_equal(ecmp_ctr_rows(rows, ECMP_CTR_ROWS), 1); // still held by s[1]
	slot_free_scrub(s[1]);
	assert_int_equal(ecmp_ctr_rows(rows, ECMP_CTR_ROWS), 0);
}

static void test_state_names(void **state)
{
	assert_string_equal(slot_state_name(SLOT_ACTIVE), "active");
	assert_string_equal(slot_state_name(SLOT_DRAINING), "draining");
	assert_string_equal(slot_state_name(SLOT_STATE_MAX), "invalid");
	assert_string_equal(slot_reject_reason(SLOT_REJECT_OFFLINK),
			    "gateway not on a connected subnet");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),        cmocka_unit_test(test_fib_full),
		cmocka_unit_test(test_gateway_memo), cmocka_unit_test(test_multipath),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
