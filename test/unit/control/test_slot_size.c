// SPDX-License-Identifier: BSD-3-Clause
// Slot sizing (control/slot/slot_size.h): the counts for hand-made tables, the headroom and
// caps, and the counts against DPDK itself: a FIB created with exactly the counted RIB nodes
// and tbl8 groups takes every route of a random table added in load order, and one created
// with one group or node fewer refuses one. That is what makes a slot sized to its table safe
// to build.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <rte_malloc.h>

#include "control/slot/load_order.h"
#include "control/slot/slot_build.h"
#include "control/slot/slot_size.h"
#include "drivers/engines.h"
#include "drivers/prefix.h"
#include "test/unit/control/slot_test_env.h"

static void prefix(const char *s, struct molt_route *r)
{
	char err[128];

	memset(r, 0, sizeof(*r));
	assert_int_equal(
		molt_prefix_parse(s, &r->family, r->prefix, &r->plen, false, err, sizeof(err)), 0);
}

static struct fib_need count(const char *const *table, unsigned n)
{
	struct fib_need_counter c;
	struct molt_route r;

	for (unsigned i = 0; i < n; i++) {
		prefix(table[i], &r);
		if (i == 0)
			fib_need_init(&c, r.family);
		fib_need_add(&c, r.prefix, r.plen);
	}
	return c.need;
}

static void test_count_v4(void **state)
{
	// In load order. The /25s share 10.1.2.0/24's tbl8 group; 10.1.3.0/26 needs another.
	// Branch points: the /25s part at /24, where a route sits; 10.1.2.128/25 and 10.1.3.0/26
	// part at /23, where none does.
	static const char *const t[] = { "10.0.0.0/8",    "10.1.2.0/24",   "10.1.2.0/25",
					 "10.1.2.128/25", "10.1.3.0/26",   "10.1.3.0/26",
					 "192.0.2.0/24",  "192.0.2.255/32" };
	struct fib_need n = count(t, 8);

	assert_int_equal(n.routes, 7); // the repeated /26 counts once
	assert_int_equal(n.tbl8, 3);
	// 7 routes; branches at 10.1.2.0/23 and between 10/8 and 192.0.2.0/24 (/0)
	assert_int_equal(n.rib_nodes, 9);
}

static void test_count_v6(void **state)
{
	static const char *const t[] = { "2001:db8::/32", "2001:db8:1::/48", "2001:db8:2::/48",
					 "2001:db8:2:1::/64" };
	struct fib_need n = count(t, 4);

	assert_int_equal(n.routes, 4);
	// rte_lpm6: 2001:0d/24 (everything), 2001:db8/32 and 2001:db8:00/40 (the /48s and the
	// /64), 2001:db8:2/48 and 2001:db8:2:00/56 (the /64).
	assert_int_equal(n.tbl8, 5);
	// TRIE: the /32 reserves 1 (24 -> 32), each /48 2 (32 -> 48), the /64 2 (48 -> 64).
	assert_int_equal(n.trie_tbl8, 7);
	// 4 routes and the /46 where the /48s part.
	assert_int_equal(n.rib_nodes, 5);
}

static void test_late(void **state)
{
	struct fib_need_counter c;
	struct molt_route r;

	prefix("2001:db8::1/128", &r);
	fib_need_init(&c, 6);
	fib_need_add_late(&c, r.prefix, r.plen);
	// Placed anywhere: its whole path of 13 groups, and itself plus a branch point.
	assert_int_equal(c.need.tbl8, 13);
	assert_int_equal(c.need.trie_tbl8, 13);
	assert_int_equal(c.need.rib_nodes, 2);
	assert_int_equal(c.need.late, 1);
}

static void test_conf(void **state)
{
	struct fib_need need = { .routes = 10000, .rib_nodes = 15000, .tbl8 = 1000 };
	struct molt_config cfg = { .fib_headroom_percent = 25 };
	struct fib_conf c;
	char err[256] = "";

	assert_int_equal(fib_need_conf(&cfg, 4, &need, &c, err, sizeof(err)), 0);
	assert_int_equal(c.max_routes, 12500);
	assert_int_equal(c.rib_nodes, 15000 + 2 * 2500);
	assert_int_equal(c.tbl8_groups, 1250);

	// Small tables get the floors.
	need = (struct fib_need){ .routes = 10, .rib_nodes = 12, .tbl8 = 1, .trie_tbl8 = 3 };
	assert_int_equal(fib_need_conf(&cfg, 6, &need, &c, err, sizeof(err)), 0);
	assert_int_equal(c.max_routes, 10 + SLOT_HEADROOM_MIN_ROUTES);
	assert_int_equal(c.tbl8_groups_v6, 1 + SLOT_HEADROOM_MIN_TBL8_V6);
	assert_int_equal(c.trie_tbl8_groups, 3 + SLOT_HEADROOM_MIN_TBL8_V6 + 1);

	// A cap takes from the headroom first, then refuses the table.
	need = (struct fib_need){ .routes = 10000, .rib_nodes = 15000, .tbl8 = 1000 };
	cfg.fib_max_routes_v4 = 11000;
	cfg.fib_tbl8_groups_v4 = 1100;
	assert_int_equal(fib_need_conf(&cfg, 4, &need, &c, err, sizeof(err)), 0);
	assert_int_equal(c.max_routes, 11000);
	assert_int_equal(c.rib_nodes, 15000 + 2 * 1000);
	assert_int_equal(c.tbl8_groups, 1100);
	cfg.fib_tbl8_groups_v4 = 999;
	assert_int_equal(fib_need_conf(&cfg, 4, &need, &c, err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "the IPv4 table needs 1000 tbl8 groups (one per /24 holding a "
				 "longer prefix), more than fib.tbl8_groups_v4 (999)");
	cfg.fib_max_routes_v4 = 9999;
	assert_int_equal(fib_need_conf(&cfg, 4, &need, &c, err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "the IPv4 table has 10000 routes (0 of them connected and "
				 "local), more than fib.max_routes_v4 (9999)");
}

// --- against DPDK ------------------------------------------------------------------------------

#define N_RANDOM 3000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

// Routes clustered under a few hundred parents, so that groups and branches are shared, with
// every length from /8 (IPv4) or /16 (IPv6) to the longest.
static void random_table(uint8_t family, struct molt_route *r, unsigned n)
{
	unsigned bytes = family == 4 ? 4 : 16, max = bytes * 8, min = family == 4 ? 8 : 16;
	uint8_t base[300][16];

	for (unsigned i = 0; i < 300; i++)
		for (unsigned b = 0; b < 16; b++)
			base[i][b] = (uint8_t)rnd();
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *b = base[rnd() % 300];
		unsigned keep = rnd() % 4 == 0 ? min : 20 + rnd() % 8; // bits shared with the base

		memset(&r[i], 0, sizeof(r[i]));
		r[i].family = family;
		r[i].plen = (uint8_t)(min + rnd() % (max - min + 1));
		for (unsigned k = 0; k < bytes; k++)
			r[i].prefix[k] = (uint8_t)rnd();
		for (unsigned bit = 0; bit < keep && bit < max; bit++) {
			uint8_t m = (uint8_t)(0x80 >> (bit % 8));

			r[i].prefix[bit / 8] = (uint8_t)((r[i].prefix[bit / 8] & ~m) |
							 (b[bit / 8] & m));
		}
		for (unsigned bit = r[i].plen; bit < max; bit++)
			r[i].prefix[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	}
}

// Adds the table in load order to a FIB of ops created with c; returns the first error.
static int load(const struct fib_ops *ops, const struct fib_conf *c, const struct molt_route *r,
		const uint32_t *order, uint64_t m)
{
	static unsigned seq;
	char name[16];
	struct fib *f;
	int ret = 0;

	snprintf(name, sizeof(name), "sz%u", seq++);
	f = ops->create(name, c);
	assert_non_null(f);
	for (uint64_t k = 0; k < m && ret == 0; k++) {
		uint32_t ip4;

		ret = ops->add(f, prefix_driver_key(r[order[k]].family, r[order[k]].prefix, &ip4),
			       r[order[k]].plen, (uint32_t)k);
	}
	if (ret == 0)
		assert_int_equal(ops->count(f), m);
	ops->free_scrub(f);
	return ret;
}

static void against_dpdk(uint8_t family)
{
	struct molt_route *r = calloc(N_RANDOM, sizeof(*r));
	uint32_t *nhs = calloc(N_RANDOM, sizeof(*nhs));
	struct fib_need_counter c;
	struct fib_conf conf;
	uint32_t *order;
	uint64_t m;

	assert_non_null(r);
	assert_non_null(nhs);
	random_table(family, r, N_RANDOM);
	order = load_order(r, N_RANDOM, nhs, family, &m);
	assert_non_null(order);
	fib_need_init(&c, family);
	for (uint64_t k = 0; k < m; k++)
		fib_need_add(&c, r[order[k]].prefix, r[order[k]].plen);
	// Repeats are counted once: the FIBs hold what the counter saw.
	m = 0;
	for (uint64_t k = 0; k < N_RANDOM; k++) {
		const struct molt_route *a = &r[order[k]], *b = k > 0 ? &r[order[k - 1]] : NULL;

		if (b == NULL || a->plen != b->plen || memcmp(a->prefix, b->prefix, 16) != 0)
			order[m++] = order[k];
	}
	assert_int_equal(c.need.routes, m);
	print_message("IPv%u: %" PRIu64 " routes, %" PRIu64 " RIB nodes, %" PRIu64
		      " tbl8 groups, %" PRIu64 " TRIE reservations\n",
		      family, c.need.routes, c.need.rib_nodes, c.need.tbl8, c.need.trie_tbl8);

	memset(&conf, 0, sizeof(conf));
	conf.max_routes = (uint32_t)m;
	conf.socket_id = -1;
	conf.rib_nodes = (uint32_t)c.need.rib_nodes;
	if (family == 4) {
		// rte_lpm uses exactly the groups counted, rte_fib DIR24_8 reserves a few fewer
		// (the count is an upper bound, within 5 %); its RIB exactly the nodes counted.
		conf.tbl8_groups = (uint32_t)c.need.tbl8;
		assert_int_equal(load(&molt_fib4_ops, &conf, r, order, m), 0);
		assert_int_equal(load(&molt_lpm4_ops, &conf, r, order, m), 0);
		conf.tbl8_groups--;
		assert_int_equal(load(&molt_lpm4_ops, &conf, r, order, m), -ENOSPC);
		conf.tbl8_groups = (uint32_t)(c.need.tbl8 - c.need.tbl8 / 20);
		assert_int_equal(load(&molt_fib4_ops, &conf, r, order, m), -ENOSPC);
		conf.tbl8_groups = (uint32_t)c.need.tbl8;
		conf.rib_nodes -= 2; // rte_fib rounds nodes up to an even count
		assert_true(load(&molt_fib4_ops, &conf, r, order, m) < 0);
	} else {
		// rte_lpm6 uses exactly the groups counted; the TRIE reserves at most the count (and
		// needs one more), within 5 %; its RIB6 exactly the nodes counted.
		conf.tbl8_groups_v6 = (uint32_t)c.need.tbl8;
		conf.trie_tbl8_groups = (uint32_t)c.need.trie_tbl8 + 1;
		assert_int_equal(load(&molt_fib6_ops, &conf, r, order, m), 0);
		assert_int_equal(load(&molt_lpm6_ops, &conf, r, order, m), 0);
		conf.tbl8_groups_v6--;
		assert_int_equal(load(&molt_lpm6_ops, &conf, r, order, m), -ENOSPC);
		conf.trie_tbl8_groups = (uint32_t)(c.need.trie_tbl8 - c.need.trie_tbl8 / 20);
		assert_int_equal(load(&molt_fib6_ops, &conf, r, order, m), -ENOSPC);
		conf.trie_tbl8_groups = (uint32_t)c.need.trie_tbl8 + 1;
		conf.rib_nodes -= 2;
		assert_true(load(&molt_fib6_ops, &conf, r, order, m) < 0);
	}
	free(order);
	free(nhs);
	free(r);
}

static void test_dpdk_v4(void **state)
{
	against_dpdk(4);
}

static void test_dpdk_v6(void **state)
{
	against_dpdk(6);
}

// The estimate slot_fit relies on: never below what create takes from DPDK's heap, and not
// far above it.
static void test_heap_bytes(void **state)
{
	static const struct fib_ops *const ops[] = { &molt_fib4_ops, &molt_fib6_ops, &molt_lpm4_ops,
						     &molt_lpm6_ops };
	static const uint32_t sizes[][2] = { { 1000, 64 }, { 20000, 3000 }, { 300000, 20000 } };

	for (unsigned o = 0; o < 4; o++) {
		for (unsigned s = 0; s < 3; s++) {
			struct fib_conf c = {
				.max_routes = sizes[s][0],
				.rib_nodes = sizes[s][0] * 3 / 2,
				.tbl8_groups = sizes[s][1],
				.tbl8_groups_v6 = sizes[s][1],
				.trie_tbl8_groups = sizes[s][1],
				.socket_id = -1,
			};
			size_t before, after, total, est = ops[o]->heap_bytes(&c);
			struct fib *f;

			slot_size_heap_stats(&before, &total);
			f = ops[o]->create("szheap", &c);
			assert_non_null(f);
			slot_size_heap_stats(&after, &total);
			ops[o]->free_scrub(f);
			print_message("ops %u, %u routes, %u groups: %zu bytes, estimate %zu\n", o,
				      sizes[s][0], sizes[s][1], after - before, est);
			assert_true(est >= after - before);
			assert_true(est <= (after - before) + (after - before) / 20 + 262144);
		}
	}
}

// A slot that does not fit says how much it needs and how much is free.
static void test_no_memory(void **state)
{
	struct molt_config cfg;
	struct molt_route r;
	struct slot_build_stats st;
	size_t largest, free_b = slot_size_heap_free(&largest);
	char err[512] = "", line[64];
	void *hog;

	slot_test_config(&cfg);
	snprintf(line, sizeof(line), "192.0.2.0/24 via 10.0.1.2");
	assert_int_equal(molt_route_parse(line, &r, err, sizeof(err)), 0);
	// Leave 16 MiB: not enough for rte_lpm's 64 MiB tbl24.
	hog = rte_malloc("hog", largest - (16 << 20), 0);
	assert_non_null(hog);
	assert_null(slot_build(&cfg, fib_driver_find("lpm"), 9, &r, 1, &st, err, sizeof(err)));
	assert_int_equal(errno, ENOMEM);
	rte_free(hog);
	print_message("%s (%zu MiB free before)\n", err, free_b >> 20);
	assert_non_null(strstr(err, "slot 9: cannot create lpm FIBs for "));
	assert_non_null(strstr(err, "Cannot allocate memory (the slot needs "));
	assert_non_null(strstr(err, " MiB of DPDK memory; 16.0 MiB free, largest block 16.0 MiB)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_v4),   cmocka_unit_test(test_count_v6),
		cmocka_unit_test(test_late),       cmocka_unit_test(test_conf),
		cmocka_unit_test(test_dpdk_v4),    cmocka_unit_test(test_dpdk_v6),
		cmocka_unit_test(test_heap_bytes), cmocka_unit_test(test_no_memory),
	};

	if (slot_test_eal("molt-test-slot-size", "1024") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
