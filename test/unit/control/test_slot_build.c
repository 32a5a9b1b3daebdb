// SPDX-License-Identifier: BSD-3-Clause
// slot_build on the reference driver: connected and local routes, gateway deduplication, each
// rejection reason, connected routes winning over feed routes, the digest, and slot memory
// scrubbed on free. Needs a --no-huge EAL for rte_zmalloc.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_eal.h>

#include "control/slot/slot_build.h"
#include "test/unit/eal_tidy.h"

static struct molt_config cfg;

static void addr(const char *s, uint8_t out[16])
{
	uint8_t fam;

	assert_int_equal(molt_addr_parse(s, &fam, out), 0);
}

static void ifaddr(struct molt_ifaddr *a, const char *s, uint8_t plen)
{
	addr(s, a->addr);
	a->plen = plen;
}

static int setup(void **state)
{
	char *argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--file-prefix", "molt-test-slot-build", "--log-level", "lib.*:error", "-l",
			"0"};

	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	eal_tidy_at_exit();
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_ports = 2;
	snprintf(cfg.ports[0].name, MOLT_PORT_NAME_MAX, "p0");
	snprintf(cfg.ports[1].name, MOLT_PORT_NAME_MAX, "p1");
	cfg.ports[0].port_id = 3; // DPDK ids differ from config indices on purpose
	cfg.ports[1].port_id = 5;
	cfg.ports[0].n_v4 = 1;
	ifaddr(&cfg.ports[0].v4[0], "10.0.1.1", 24);
	cfg.ports[0].n_v6 = 1;
	ifaddr(&cfg.ports[0].v6[0], "fd00:1::1", 64);
	addr("fe80::ff:fe00:101", cfg.ports[0].ll6);
	cfg.ports[1].n_v4 = 2;
	ifaddr(&cfg.ports[1].v4[0], "10.0.2.1", 24);
	ifaddr(&cfg.ports[1].v4[1], "10.0.0.1", 16); // overlaps: 10.0.2.x gateways match the /24
	cfg.fib_max_routes_v4 = 1024;
	cfg.fib_max_routes_v6 = 1024;
	cfg.fib_tbl8_groups_v4 = 256;
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

static uint32_t lookup(const struct slot *s, const char *a)
{
	uint8_t fam, ip[16];
	uint32_t nh;

	assert_int_equal(molt_addr_parse(a, &fam, ip), 0);
	if (fam == 4) {
		uint32_t h = (uint32_t)ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3];

		s->ops4->lookup_bulk(s->fib4, &h, &nh, 1);
	} else {
		s->ops6->lookup_bulk(s->fib6, ip, &nh, 1);
	}
	return nh;
}

static enum nh_kind kind_of(const struct slot *s, const char *a)
{
	uint32_t nh = lookup(s, a);

	if (nh == FIB_NH_MISS)
		return (enum nh_kind)-1;
	assert_true(nh < s->nh_count);
	return nh_l2_kind(atomic_load(&s->nh[nh].l2));
}

static void test_build(void **state)
{
	const char *lines[] = {
		"192.0.2.0/24 via 10.0.2.2",		// gateway on p1 (longest match)
		"198.51.100.0/24 via 10.0.2.2",		// same next hop: shared
		"198.51.101.0/24 via 10.0.2.2 dev p0",	// same gateway, other port: its own
		"203.0.113.0/24 blackhole",
		"100.64.0.0/10 dev p1",
		"172.16.0.0/12 via 10.9.9.9",		// not inside any port subnet
		"10.1.0.0/16 dev p9",			// unknown port
		"10.2.0.0/16 via 10.0.1.7 dev p9",	// unknown port
		"2001:db8:200::/48 via fe80::1 dev -",	// link-local, dev cleared below
		"2001:db8:300::/48 via fe80::1 dev p0",
		"2001:db8:400::/48 via fd00:1::2",
		"10.0.1.0/24 via 10.0.2.2",		// our connected subnet: ours wins
		"10.0.1.1/32 blackhole",		// our address: ours wins
		"10.3.0.0/16 via 10.0.2.9 dev -",	// becomes via 0.0.0.0: not unicast
		"10.4.0.0/16 via 10.0.77.1",		// on-link through p1's /16
	};
	struct molt_route routes[sizeof(lines) / sizeof(lines[0])];
	const size_t n = sizeof(lines) / sizeof(lines[0]);
	const struct fib_driver *d = fib_driver_find("reference");
	struct slot_build_stats st;
	uint64_t digest = 0;
	char err[256] = "";
	struct slot *s;
	uint32_t a, b, c;

	assert_non_null(d);
	// The route parser refuses these two; a corrupt or future feed might not.
	for (size_t i = 0; i < n; i++)
		routes[i] = route(lines[i]);
	memset(routes[8].dev, 0, sizeof(routes[8].dev));
	memset(routes[13].dev, 0, sizeof(routes[13].dev));
	memset(routes[13].gateway, 0, sizeof(routes[13].gateway));
	s = slot_build(&cfg, d, 42, routes, n, &st, err, sizeof(err));
	if (s == NULL)
		fail_msg("build failed: %s", err);

	assert_int_equal(s->state, SLOT_READY);
	assert_int_equal(s->generation, 42);
	assert_int_equal(st.rejected[SLOT_REJECT_DEV], 2);
	assert_int_equal(st.rejected[SLOT_REJECT_OFFLINK], 1);
	assert_int_equal(st.rejected[SLOT_REJECT_LINKLOCAL], 1);
	assert_int_equal(st.rejected[SLOT_REJECT_GATEWAY], 1);
	assert_int_equal(s->rejected, 5);
	assert_int_equal(st.shadowed, 2);
	assert_int_equal(s->routes4, 6);
	assert_int_equal(s->routes6, 2);
	for (size_t i = 0; i < n; i++)
		if (i <= 4 || i == 9 || i == 10 || i == 14)
			digest += molt_route_hash(&routes[i]);
	assert_true(s->digest == digest);

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
	assert_non_null(strstr(err, "raise fib.max_routes_v4"));
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
			case 0:	// p0's /24 is longer than p1's /16
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.0.1.%u", x);
				want = 3;
				break;
			case 1:
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.0.2.%u", x);
				want = 5;
				break;
			case 2:	// only p1's /16
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.0.%u.1", 77 + x);
				want = 5;
				break;
			case 3:	// off-link: rejected every time, not only the first
				snprintf(line, sizeof(line), "192.0.2.0/24 via 10.9.%u.1", x);
				want = -1;
				break;
			default: // IPv6: on p0's /64, or off-link with case 0's first 4 bytes
				if (x % 2 == 0)
					snprintf(line, sizeof(line), "2001:db8::/48 via fd00:1::%x", x);
				else
					snprintf(line, sizeof(line), "2001:db8::/48 via a00:1%02x::", x);
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
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_fib_full),
		cmocka_unit_test(test_gateway_memo),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
