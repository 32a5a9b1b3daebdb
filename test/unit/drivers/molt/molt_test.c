// SPDX-License-Identifier: BSD-3-Clause
// The molt engine against the "reference" driver (brute force over a rule hash): random tables
// with every prefix length, adversarial ones, every address class, and lookups at and around
// every prefix boundary; input checks. Each test runs for IPv4 and IPv6. MOLT_TEST_SEED
// replays another seed. The image itself: molt_image_test.c.

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "molt_tlib.h"

static uint64_t base_seed = 1;
static int fam4 = 4, fam6 = 6;

static int fam(void **state)
{
	return *(int *)*state;
}

// Builds t, checks it against the reference on t's addresses, frees it; IPv4 twice, so that
// both lookup paths are checked where the CPU has AVX2 (molt4.c).
static void build_check(const struct ttable *t, uint64_t seed)
{
	for (unsigned k = 0; k < (t->family == 4 ? 2u : 1u); k++) {
		struct molt_fib *f = tl_build(t, seed, k == 0 ? 0 : MOLT_BUILD_NO_AVX2);

		if (f == NULL)
			fail_msg("build of %zu rules: %s", t->n, strerror(errno));
		tl_check(t, f);
		molt_free(f);
	}
}

// The extreme addresses of the family, and a spread of random ones.
static void edge_and_random_addrs(struct ttable *t, size_t n, uint64_t *seed)
{
	uint8_t a[16] = { 0 };

	tl_addr(t, a);
	tl_fill_host(a, 0, t->width);
	tl_addr(t, a);
	tl_random_addrs(t, n, seed);
}

static void test_empty(void **state)
{
	struct ttable t;
	uint64_t seed = base_seed;

	tl_init(&t, fam(state));
	edge_and_random_addrs(&t, 5000, &seed);
	build_check(&t, seed);
	// No rules array at all is fine when there are no rules.
	struct molt_fib *f = t.family == 4 ? molt4_build(NULL, 0, 1, 0)
					   : molt6_build(NULL, 0, 1, 0);
	assert_non_null(f);
	tl_check(&t, f);
	molt_free(f);
	tl_free(&t);
}

static void test_default_only(void **state)
{
	struct ttable t;
	uint8_t zero[16] = { 0 };
	uint64_t seed = base_seed;

	tl_init(&t, fam(state));
	tl_add(&t, zero, 0, 12345);
	tl_boundary_addrs(&t);
	edge_and_random_addrs(&t, 5000, &seed);
	build_check(&t, seed);
	tl_free(&t);
}

// 100k host routes (/32 or /128), half of them in one dense block so that nodes fill up.
static void test_many_hosts(void **state)
{
	struct ttable t;
	uint64_t seed = base_seed + 1;

	tl_init(&t, fam(state));
	for (unsigned i = 0; i < 100000; i++) {
		uint8_t a[16];
		uint64_t x = tl_rand(&seed), y = tl_rand(&seed);

		memcpy(a, &x, 8);
		memcpy(a + 8, &y, 8);
		if (i % 2 == 0) {
			// 10.0.0.0/15-ish (IPv4) or 2001:db8::/111-ish (IPv6): consecutive hosts.
			memset(a, 0, 16);
			a[0] = t.family == 4 ? 10 : 0x20;
			if (t.family == 6)
				a[1] = 0x01;
			a[t.width / 8 - 1] = (uint8_t)i;
			a[t.width / 8 - 2] = (uint8_t)(i >> 8);
			a[t.width / 8 - 3] = (uint8_t)(i >> 16);
		}
		tl_add(&t, a, (uint8_t)t.width, (uint32_t)(tl_rand(&seed) % FIB_NH_MAX));
	}
	tl_unique(&t);
	tl_boundary_addrs(&t);
	edge_and_random_addrs(&t, 20000, &seed);
	build_check(&t, seed);
	tl_free(&t);
}

// A default route with one host route inside it, at the edges and in the middle.
static void test_default_and_host(void **state)
{
	static const uint8_t where[][16] = {
		{ 0 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff },
		{ 192, 0, 2, 1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 1 },
	};

	for (unsigned w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		struct ttable t;
		uint8_t zero[16] = { 0 };
		uint64_t seed = base_seed;

		tl_init(&t, fam(state));
		tl_add(&t, zero, 0, 1);
		tl_add(&t, where[w], (uint8_t)t.width, 2);
		tl_boundary_addrs(&t);
		edge_and_random_addrs(&t, 2000, &seed);
		build_check(&t, seed);
		tl_free(&t);
	}
}

// Every length 0..width on one address, each with its own next hop; on several addresses.
static void test_deep_nesting(void **state)
{
	uint64_t seed = base_seed + 2;

	for (unsigned k = 0; k < 6; k++) {
		struct ttable t;
		uint8_t a[16];
		uint64_t x = tl_rand(&seed), y = tl_rand(&seed);

		tl_init(&t, fam(state));
		memcpy(a, &x, 8);
		memcpy(a + 8, &y, 8);
		if (k == 0)
			memset(a, 0, 16);
		if (k == 1)
			memset(a, 0xff, 16);
		for (unsigned plen = 0; plen <= t.width; plen++)
			tl_add(&t, a, (uint8_t)plen, plen * 1000 + k);
		// And every other length only, so that some nodes keep their parent's value.
		if (k >= 4) {
			t.n = 0;
			for (unsigned plen = k - 4; plen <= t.width; plen += 2)
				tl_add(&t, a, (uint8_t)plen, plen);
		}
		tl_unique(&t);
		tl_boundary_addrs(&t);
		edge_and_random_addrs(&t, 5000, &seed);
		build_check(&t, seed);
		tl_free(&t);
	}
}

static void test_every_length_random(void **state)
{
	for (unsigned round = 0; round < 8; round++) {
		struct ttable t;
		uint64_t seed = base_seed * 1000 + round;

		tl_init(&t, fam(state));
		tl_random_table(&t, round < 4 ? 2000 : 30000, round % 2 ? 64 : 4, 0, &seed);
		// Two next hops only: neighbours merge into runs and blocks of every shape.
		for (size_t i = 0; round >= 6 && i < t.n; i++)
			t.r[i].nh %= 2;
		tl_shuffle(&t, &seed); // the build sorts what does not come sorted
		tl_boundary_addrs(&t);
		edge_and_random_addrs(&t, 20000, &seed);
		build_check(&t, seed);
		tl_free(&t);
	}
}

// Next hops up to FIB_NH_MAX - 1, and 0.
static void test_nh_extremes(void **state)
{
	struct ttable t;
	uint64_t seed = base_seed + 3;

	tl_init(&t, fam(state));
	tl_random_table(&t, 5000, 16, FIB_NH_MAX - 8, &seed);
	for (size_t i = 0; i < t.n; i += 7)
		t.r[i].nh = 0;
	t.r[0].nh = FIB_NH_MAX - 1;
	tl_boundary_addrs(&t);
	edge_and_random_addrs(&t, 5000, &seed);
	build_check(&t, seed);
	tl_free(&t);
}

// The IPv4 or IPv6 special-purpose blocks, as rules, looked up around their edges; with and
// without a default route.
static void test_address_classes(void **state)
{
	static const struct {
		uint8_t a[16];
		uint8_t plen;
	} v4[] = {
		{ { 0 }, 8 },		{ { 10 }, 8 },		{ { 100, 64 }, 10 },
		{ { 127 }, 8 },		{ { 169, 254 }, 16 },	{ { 172, 16 }, 12 },
		{ { 192, 0, 2 }, 24 },	{ { 192, 168 }, 16 },	{ { 198, 18 }, 15 },
		{ { 224 }, 4 },		{ { 239, 255, 255, 250 }, 32 },
		{ { 240 }, 4 },		{ { 255, 255, 255, 255 }, 32 },
	},
	  v6[] = {
		  { { 0 }, 96 }, // IPv4-compatible (deprecated)
		  { { 0 }, 128 },
		  { { [15] = 1 }, 128 },
		  { { [10] = 0xff, [11] = 0xff }, 96 },
		  { { 0, 0x64, 0xff, 0x9b }, 96 },
		  { { 0x01 }, 64 }, // discard-only
		  { { 0x20, 0x01 }, 32 }, // Teredo
		  { { 0x20, 0x01, 0x00, 0x10 }, 28 }, // ORCHID
		  { { 0x20, 0x01, 0x0d, 0xb8 }, 32 },
		  { { 0x20, 0x02 }, 16 },
		  { { 0x20 }, 3 },
		  { { 0xfc }, 7 },
		  { { 0xfe, 0x80 }, 10 },
		  { { 0xfe, 0xc0 }, 10 }, // site-local (deprecated)
		  { { 0xff }, 8 },
		  { { 0xff, 0x02, [15] = 1 }, 128 },
	  };

	for (int with_default = 0; with_default < 2; with_default++) {
		struct ttable t;
		uint64_t seed = base_seed + 4;
		uint8_t zero[16] = { 0 };
		unsigned n;

		tl_init(&t, fam(state));
		n = t.family == 4 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);
		for (unsigned i = 0; i < n; i++) {
			if (t.family == 4)
				tl_add(&t, v4[i].a, v4[i].plen, 100 + i);
			else
				tl_add(&t, v6[i].a, v6[i].plen, 100 + i);
		}
		if (with_default)
			tl_add(&t, zero, 0, 7);
		tl_unique(&t);
		tl_boundary_addrs(&t);
		edge_and_random_addrs(&t, 20000, &seed);
		build_check(&t, seed);
		tl_free(&t);
	}
}

// The classful IPv4 blocks (A 0/1, B 128/2, C 192/3, D 224/4, E 240/4) as rules, alone and
// over the special-purpose ones; IPv6: its first-level splits (::/1, 8000::/1, 2000::/3,
// fc00::/7, fe00::/9, ff00::/8) the same way.
static void test_classful(void **state)
{
	static const struct {
		uint8_t a[16];
		uint8_t plen;
	} v4[] = { { { 0 }, 1 }, { { 128 }, 2 }, { { 192 }, 3 }, { { 224 }, 4 }, { { 240 }, 4 } },
	  v6[] = { { { 0 }, 1 },    { { 0x80 }, 1 }, { { 0x20 }, 3 },
		   { { 0xfc }, 7 }, { { 0xfe }, 9 }, { { 0xff }, 8 } };
	static const uint8_t inside4[][16] = { { 10 }, { 172, 16 }, { 192, 168 }, { 239, 255 } },
			     inside6[][16] = { { 0xfe, 0x80 }, { 0x20, 0x01, 0x0d, 0xb8 } };

	for (int more = 0; more < 2; more++) {
		struct ttable t;
		uint64_t seed = base_seed + 6;
		unsigned n;

		tl_init(&t, fam(state));
		n = t.family == 4 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);
		for (unsigned i = 0; i < n; i++)
			tl_add(&t, t.family == 4 ? v4[i].a : v6[i].a,
			       t.family == 4 ? v4[i].plen : v6[i].plen, 10 + i);
		// More-specifics inside the classes: every length from the class's own down.
		n = t.family == 4 ? sizeof(inside4) / sizeof(inside4[0])
				  : sizeof(inside6) / sizeof(inside6[0]);
		for (unsigned i = 0; more && i < n; i++)
			for (unsigned plen = 8; plen <= t.width; plen += 3)
				tl_add(&t, t.family == 4 ? inside4[i] : inside6[i], (uint8_t)plen,
				       plen * 4 + i);
		tl_unique(&t);
		tl_boundary_addrs(&t);
		edge_and_random_addrs(&t, 20000, &seed);
		build_check(&t, seed);
		tl_free(&t);
	}
}

// One region of the first node level (IPv4 /20, IPv6 /16) split into 1 to 9 runs of /26
// (/22) blocks, alternating between FIB_NH_MAX - 1, no route and 0, with and without a
// covering rule: every number of runs a node can hold in itself (IPv4: up to 6) and more, with
// misses and the largest next hop among them.
static void test_node_runs(void **state)
{
	static const uint32_t vals[] = { FIB_NH_MAX - 1, FIB_NH_MISS, 0 };

	for (unsigned runs = 1; runs <= 9; runs++) {
		for (int covered = 0; covered < 2; covered++) {
			struct ttable t;
			uint64_t seed = base_seed + 7;
			uint8_t a[16] = { 198, 51, 100 }, b[16];
			unsigned top = 0;

			tl_init(&t, fam(state));
			top = t.family == 4 ? 20 : 16;
			if (t.family == 6)
				a[0] = 0x2a;
			tl_mask(a, top);
			if (covered)
				tl_add(&t, a, (uint8_t)top, 77);
			// Run r covers blocks [r * 64 / runs, (r + 1) * 64 / runs) of the 64.
			for (unsigned blk = 0; blk < 64; blk++) {
				uint32_t v = vals[(blk * runs / 64) % 3];

				if (v == FIB_NH_MISS)
					continue; // no rule: the covering one's, or a miss
				memcpy(b, a, 16);
				// The block number in the 6 bits after the region's.
				unsigned bit = top + 6 - 1;
				for (unsigned k = 0; k < 6; k++, bit--)
					if (blk & (1u << k))
						b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
				tl_add(&t, b, (uint8_t)(top + 6), v);
			}
			tl_unique(&t);
			tl_boundary_addrs(&t);
			edge_and_random_addrs(&t, 2000, &seed);
			build_check(&t, seed);
			tl_free(&t);
		}
	}
}

// An Internet-like mix (IPv4: mostly /24 and /16-/23; IPv6: mostly /48 and /32-/44), with
// more-specifics, in the sorted order a feed gives.
static void test_internet_like(void **state)
{
	struct ttable t;
	uint64_t seed = base_seed + 5;
	static const uint8_t v4_len[] = { 24, 24, 24, 24, 24, 24, 23, 22, 22, 21,
					  20, 19, 18, 16, 16, 12, 8,  25, 28, 32 };
	static const uint8_t v6_len[] = { 48, 48, 48, 48, 48, 48, 48, 32, 32,  44,
					  40, 36, 29, 46, 47, 56, 64, 64, 128, 28 };

	tl_init(&t, fam(state));
	for (unsigned i = 0; i < 60000; i++) {
		uint8_t a[16];
		uint64_t x = tl_rand(&seed), y = tl_rand(&seed);
		unsigned li = (unsigned)(tl_rand(&seed) % 20);

		memcpy(a, &x, 8);
		memcpy(a + 8, &y, 8);
		if (t.family == 6) {
			a[0] = 0x20 | (a[0] & 0x0f);
			a[2] &= 0x0f;
		}
		// Half nest in an earlier rule.
		if (t.n > 0 && (x & 1)) {
			const struct trule *p = &t.r[tl_rand(&seed) % t.n];
			uint8_t m[16];

			memset(m, 0xff, 16);
			tl_mask(m, p->plen);
			for (unsigned k = 0; k < 16; k++)
				a[k] = (uint8_t)((p->p[k] & m[k]) | (a[k] & ~m[k]));
		}
		tl_add(&t, a, t.family == 4 ? v4_len[li] : v6_len[li],
		       (uint32_t)(tl_rand(&seed) % 4096));
	}
	tl_unique(&t);
	tl_boundary_addrs(&t);
	edge_and_random_addrs(&t, 50000, &seed);
	build_check(&t, seed);
	tl_free(&t);
}

// IPv4's coded top level (few next hops: 4-bit codes per /20 and per /24, molt_priv.h), with
// what leaves it: values without a code (a few next hops beyond the 15 common ones, largest
// and miss among them), rules longer than /24, and /20s with one value under longer rules.
static void test_coded(void **state)
{
	static const uint8_t len[] = { 24, 24, 24, 24, 23, 22, 21, 20, 20, 19,
				       18, 16, 14, 12, 8,  25, 26, 28, 30, 32 };

	for (unsigned round = 0; round < 4; round++) {
		struct ttable t;
		uint64_t seed = base_seed * 100 + 11 + round;

		tl_init(&t, fam(state));
		for (unsigned i = 0; i < 40000; i++) {
			uint8_t a[16];
			uint64_t x = tl_rand(&seed), y = tl_rand(&seed), z = tl_rand(&seed);
			// 15 common next hops (the largest too), 1 % of rules elsewhere (rounds 2, 3:
			// none, so that every value has a code).
			uint32_t nh = (uint32_t)(z % 15) * 7;

			if (z % 15 == 14)
				nh = FIB_NH_MAX - 1;
			if (round < 2 && (z >> 32) % 100 == 0)
				nh = 1000 + (uint32_t)((z >> 40) % 3000);
			memcpy(a, &x, 8);
			memcpy(a + 8, &y, 8);
			if (t.family == 6)
				a[0] = 0x20 | (a[0] & 0x1f);
			// Round 1 and 3: crowd one /8, so that /20s nest every shape.
			if (round % 2)
				a[0] = 10;
			tl_add(&t, a, t.family == 4 ? len[(z >> 48) % 20] : 48, nh);
		}
		tl_unique(&t);
		struct molt_fib *f = tl_build(&t, seed, 0);
		struct molt_stats st;

		assert_non_null(f);
		molt_get_stats(f, &st);
		assert_true(st.coded == (t.family == 4));
		molt_free(f);
		tl_boundary_addrs(&t);
		edge_and_random_addrs(&t, 40000, &seed);
		build_check(&t, seed);
		tl_free(&t);
	}
}

static void test_invalid(void **state)
{
	if (fam(state) == 4) {
		struct molt_rule4 r[2] = { { .prefix = 0x0a000000, .nh = 1, .plen = 8 },
					   { .prefix = 0x0a000000, .nh = 2, .plen = 8 } };

		errno = 0;
		assert_null(molt4_build(r, 2, 1, 0)); // the same prefix twice
		assert_int_equal(errno, EINVAL);
		r[1].plen = 33;
		assert_null(molt4_build(r, 2, 1, 0));
		r[1].prefix = 0x0b000000; // 11.0.0.0/7 has a host bit set
		r[1].plen = 7;
		assert_null(molt4_build(r, 2, 1, 0));
		assert_int_equal(errno, EINVAL);
		r[1].plen = 16;
		r[1].nh = FIB_NH_MAX;
		assert_null(molt4_build(r, 2, 1, 0));
		r[1].nh = FIB_NH_MAX - 1;
		assert_null(molt4_build(r, 2, 1, 0x80)); // unknown flag
		assert_null(molt4_build(NULL, 1, 1, 0));
		struct molt_fib *f = molt4_build(r, 2, 1, MOLT_BUILD_NO_THP | MOLT_BUILD_NO_AVX2);
		struct molt_stats st;

		assert_non_null(f);
		molt_get_stats(f, &st);
		assert_false(st.avx2);
		molt_free(f);
	} else {
		struct molt_rule6 r[2] = { { .prefix = { 0x20, 0x01 }, .nh = 1, .plen = 16 },
					   { .prefix = { 0x20, 0x01 }, .nh = 2, .plen = 16 } };

		errno = 0;
		assert_null(molt6_build(r, 2, 1, 0));
		assert_int_equal(errno, EINVAL);
		r[1].plen = 129;
		assert_null(molt6_build(r, 2, 1, 0));
		r[1].plen = 127;
		r[1].prefix[15] = 1; // host bit
		assert_null(molt6_build(r, 2, 1, 0));
		r[1].prefix[15] = 0;
		r[1].nh = FIB_NH_MAX;
		assert_null(molt6_build(r, 2, 1, 0));
		assert_int_equal(errno, EINVAL);
		r[1].nh = 3;
		assert_null(molt6_build(NULL, 1, 1, 0));
		struct molt_fib *f = molt6_build(r, 2, 1, 0);
		assert_non_null(f);
		molt_free(f);
	}
	molt_free(NULL);
}

int main(void)
{
	const char *s = getenv("MOLT_TEST_SEED");

	if (s != NULL)
		base_seed = strtoull(s, NULL, 0);
	print_message("seed %llu\n", (unsigned long long)base_seed);

#define BOTH(fn) cmocka_unit_test_prestate(fn, &fam4), cmocka_unit_test_prestate(fn, &fam6)
	const struct CMUnitTest tests[] = {
		BOTH(test_empty),        BOTH(test_default_only),  BOTH(test_default_and_host),
		BOTH(test_deep_nesting), BOTH(test_nh_extremes),   BOTH(test_address_classes),
		BOTH(test_classful),     BOTH(test_node_runs),     BOTH(test_every_length_random),
		BOTH(test_many_hosts),   BOTH(test_internet_like), BOTH(test_coded),
		BOTH(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
