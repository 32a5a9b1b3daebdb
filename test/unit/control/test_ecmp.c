// SPDX-License-Identifier: BSD-3-Clause
// Per-flow path choice (dataplane/ecmp.h) over group bucket tables (control/slot/nh_group.c):
// the same flow takes the same path in tables built apart, 10,000 flows spread within 20 % of
// their weights, a path that cannot be used is skipped without moving the other paths' flows,
// fragments and port-less protocols hash on the 3-tuple.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/slot/nh_group.h"
#include "dataplane/ecmp.h"

#define FLOWS 10000

static uint64_t rng = 1;

static uint32_t next32(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 32);
}

static struct ecmp_flow flow(unsigned i)
{
	struct ecmp_flow f;

	memset(&f, 0, sizeof(f));
	f.family = i % 3 == 0 ? 6 : 4;
	f.proto = i % 2 ? 6 : 17;
	f.ports = true;
	for (unsigned b = 0; b < 16; b += 4) {
		uint32_t x = next32(), y = next32();

		memcpy(f.src + b, &x, 4);
		memcpy(f.dst + b, &y, 4);
	}
	f.sport = (uint16_t)next32();
	f.dport = (uint16_t)(i % 4 ? 443 : 53);
	return f;
}

// Picks for FLOWS flows into counts; *paths gets each flow's path.
static void spread(const uint8_t *b, int n, uint32_t usable, unsigned *counts, int *paths)
{
	rng = 7;
	for (unsigned i = 0; i < FLOWS; i++) {
		struct ecmp_flow f = flow(i);
		int p = ecmp_pick(b, (uint32_t)n, usable, ecmp_flow_hash(&f));

		assert_true(p >= 0);
		counts[p]++;
		paths[i] = p;
	}
}

static void test_same_flow_same_path(void **state)
{
	static const uint16_t w[4] = { 1, 1, 1, 1 };
	uint8_t a[NH_GROUP_MAX_BUCKETS], b[NH_GROUP_MAX_BUCKETS];
	unsigned ca[4] = { 0 }, cb[4] = { 0 };
	static int pa[FLOWS], pb[FLOWS];
	int na = nh_group_buckets(w, 4, a, sizeof(a)), nb = nh_group_buckets(w, 4, b, sizeof(b));

	// Two slots (or generations) build their tables apart: the same table, the same choices.
	assert_int_equal(na, NH_GROUP_MIN_BUCKETS);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	spread(a, na, 0xf, ca, pa);
	spread(b, nb, 0xf, cb, pb);
	assert_memory_equal(pa, pb, sizeof(pa));
	print_message("%u flows over 4 paths: %u %u %u %u\n", FLOWS, ca[0], ca[1], ca[2], ca[3]);
	// Even within 20 %.
	for (unsigned p = 0; p < 4; p++)
		if (ca[p] < FLOWS / 4 * 8 / 10 || ca[p] > FLOWS / 4 * 12 / 10)
			fail_msg("path %u has %u of %u flows", p, ca[p], FLOWS);
}

static void test_weights(void **state)
{
	static const uint16_t w[4] = { 1, 2, 3, 4 };
	uint8_t b[NH_GROUP_MAX_BUCKETS];
	unsigned c[4] = { 0 };
	static int paths[FLOWS];
	int n = nh_group_buckets(w, 4, b, sizeof(b));

	assert_int_equal(n, 70); // 10 scaled by 7 to reach 64
	spread(b, n, 0xf, c, paths);
	print_message("weights 1 2 3 4: %u %u %u %u\n", c[0], c[1], c[2], c[3]);
	for (unsigned p = 0; p < 4; p++) {
		double want = FLOWS * w[p] / 10.0;

		if (c[p] < want * 0.8 || c[p] > want * 1.2)
			fail_msg("path %u (weight %u) has %u flows, want about %.0f", p, w[p], c[p],
				 want);
	}
}

static void test_unusable_skipped(void **state)
{
	static const uint16_t w[4] = { 1, 1, 1, 1 };
	uint8_t b[NH_GROUP_MAX_BUCKETS];
	unsigned all[4] = { 0 }, some[4] = { 0 }, moved[4] = { 0 };
	static int before[FLOWS], after[FLOWS];
	int n = nh_group_buckets(w, 4, b, sizeof(b));

	spread(b, n, 0xf, all, before);
	spread(b, n, 0xf & ~(1u << 2), some, after); // path 2: neighbour unresolved
	assert_int_equal(some[2], 0);
	for (unsigned i = 0; i < FLOWS; i++) {
		if (before[i] != 2)
			assert_int_equal(after[i], before[i]); // the others' flows stay
		else
			moved[after[i]]++;
	}
	// Path 2's flows go to more than one of the others.
	assert_true((moved[0] > 0) + (moved[1] > 0) + (moved[3] > 0) >= 2);
	assert_int_equal(ecmp_pick(b, (uint32_t)n, 0, 12345), -1);
}

static void test_three_tuple(void **state)
{
	struct ecmp_flow f, g;

	rng = 3;
	f = flow(1);
	g = f;
	g.sport++;
	assert_true(ecmp_flow_hash(&f) != ecmp_flow_hash(&g));
	f.ports = g.ports = false; // a fragment: the ports are not read
	assert_int_equal(ecmp_flow_hash(&f), ecmp_flow_hash(&g));
}

static void test_bad_groups(void **state)
{
	uint16_t w[MOLT_MAX_PATHS + 1] = { 0 };
	uint8_t b[NH_GROUP_MAX_BUCKETS];

	assert_int_equal(nh_group_buckets(w, 0, b, sizeof(b)), -EINVAL);
	assert_int_equal(nh_group_buckets(w, 2, b, sizeof(b)), -EINVAL); // weight 0
	for (unsigned i = 0; i <= MOLT_MAX_PATHS; i++)
		w[i] = MOLT_WEIGHT_MAX;
	assert_int_equal(nh_group_buckets(w, MOLT_MAX_PATHS + 1, b, sizeof(b)), -EINVAL);
	assert_int_equal(nh_group_buckets(w, MOLT_MAX_PATHS, b, sizeof(b)), NH_GROUP_MAX_BUCKETS);
	assert_int_equal(nh_group_buckets(w, 2, b, 100), -EINVAL); // table too small
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_flow_same_path), cmocka_unit_test(test_weights),
		cmocka_unit_test(test_unusable_skipped),    cmocka_unit_test(test_three_tuple),
		cmocka_unit_test(test_bad_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
