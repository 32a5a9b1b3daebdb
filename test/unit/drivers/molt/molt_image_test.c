// SPDX-License-Identifier: BSD-3-Clause
// The molt engine's image: read-only (a write anywhere dies with SIGSEGV), and different for
// every seed (two builds of one 100k+ prefix table share no 4 KiB page) while the answers stay
// the same. Each test runs for IPv4 and IPv6.

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "molt_tlib.h"

static int fam4 = 4, fam6 = 6;

static int fam(void **state)
{
	return *(int *)*state;
}

// An Internet-like spread: IPv4 unicast space (1-223.x) or IPv6 2000::/3, mostly /24 or /48,
// the rest of every length, so that whole stretches of the top level have no route (pages
// that would be alike in every build, were it not for the seed's key).
// few_nh: 8 next hops (IPv4's top level is then codes, molt_priv.h), else 1000.
static struct ttable big_table(int family, uint64_t *seed, bool few_nh)
{
	struct ttable t;

	tl_init(&t, family);
	for (unsigned i = 0; i < 150000; i++) {
		uint8_t a[16];
		uint64_t x = tl_rand(seed), y = tl_rand(seed), z = tl_rand(seed);
		unsigned plen;

		memcpy(a, &x, 8);
		memcpy(a + 8, &y, 8);
		if (family == 4) {
			a[0] = (uint8_t)(1 + a[0] % 223);
			plen = z % 10 < 7 ? 24 : 8 + (unsigned)(z >> 8) % 25;
		} else {
			a[0] = (uint8_t)(0x20 | (a[0] & 0x1f));
			plen = z % 10 < 7 ? 48 : 16 + (unsigned)(z >> 8) % 113;
		}
		tl_add(&t, a, (uint8_t)plen, (uint32_t)(tl_rand(seed) % (few_nh ? 8 : 1000)));
	}
	tl_unique(&t);
	return t;
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static uint64_t page_hash(const uint8_t *p)
{
	uint64_t h = 0x9e3779b97f4a7c15ull, w;

	for (unsigned i = 0; i < 4096; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

// Pages of b whose exact content is also a page of a.
static size_t shared_pages(const struct molt_fib *fa, const struct molt_fib *fb)
{
	const void *va, *vb;
	size_t la, lb, na, nb, shared = 0;

	molt_image(fa, &va, &la);
	molt_image(fb, &vb, &lb);
	na = la / 4096;
	nb = lb / 4096;
	uint64_t *ha = malloc(na * sizeof(*ha));
	assert_non_null(ha);
	for (size_t i = 0; i < na; i++)
		ha[i] = page_hash((const uint8_t *)va + i * 4096);
	qsort(ha, na, sizeof(*ha), u64_cmp);
	for (size_t j = 0; j < nb; j++) {
		const uint8_t *pb = (const uint8_t *)vb + j * 4096;
		uint64_t h = page_hash(pb);

		if (bsearch(&h, ha, na, sizeof(*ha), u64_cmp) == NULL)
			continue;
		for (size_t i = 0; i < na; i++)
			if (memcmp((const uint8_t *)va + i * 4096, pb, 4096) == 0) {
				shared++;
				break;
			}
	}
	free(ha);
	return shared;
}

// Two seeds: the same answers, and no 4 KiB page in common (a table of 100k+ prefixes, with
// many next hops or few).
static void seeds(int family, bool few_nh)
{
	uint64_t seed = 6;
	struct ttable t = big_table(family, &seed, few_nh);
	struct molt_fib *a = tl_build(&t, 1, 0), *b = tl_build(&t, 2, 0);
	struct molt_stats sa;

	assert_non_null(a);
	assert_non_null(b);
	assert_true(t.n >= 100000);
	molt_get_stats(a, &sa);
	print_message("  IPv%d: %zu rules, %llu nodes, %llu leaves, %zu bytes (%zu pages)%s\n",
		      t.family, t.n, (unsigned long long)sa.nodes, (unsigned long long)sa.leaves,
		      sa.bytes, sa.bytes / 4096, sa.coded ? ", coded top level" : "");
	assert_true(sa.coded == (few_nh && family == 4));
	assert_int_equal(sa.rules, t.n);
	tl_random_addrs(&t, 100000, &seed);
	tl_check(&t, a);
	tl_check(&t, b);
	assert_int_equal(shared_pages(a, b), 0);
	// The same seed gives the same image (the build is deterministic).
	struct molt_fib *a2 = tl_build(&t, 1, 0);
	const void *va, *va2;
	size_t la, la2;
	molt_image(a, &va, &la);
	molt_image(a2, &va2, &la2);
	assert_int_equal(la, la2);
	// The header's own pointers differ (another mapping); everything after it is equal.
	assert_memory_equal((const uint8_t *)va + 4096, (const uint8_t *)va2 + 4096, la - 4096);
	molt_free(a);
	molt_free(a2);
	molt_free(b);
	tl_free(&t);
}

static void test_seeds(void **state)
{
	seeds(fam(state), false);
}

static void test_seeds_few_nh(void **state)
{
	seeds(fam(state), true);
}

// A write anywhere in the image kills the writer with SIGSEGV (tried in a child).
static void expect_segv(const struct molt_fib *f, size_t offset)
{
	const void *base;
	size_t len;
	pid_t pid;
	int status;

	molt_image(f, &base, &len);
	assert_true(offset < len);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		// The default action, not a sanitizer's handler that would exit instead.
		signal(SIGSEGV, SIG_DFL);
		*((volatile uint8_t *)base + offset) = 0x42;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		fail_msg("a write at offset %zu of %zu: status %#x, not killed by SIGSEGV", offset,
			 len, status);
}

// Both kinds of IPv4 top level: with few next hops (codes) and with many (entries).
static void test_read_only(void **state)
{
	for (int few = 0; few < 2; few++) {
		struct ttable t;
		uint64_t seed = 7;

		tl_init(&t, fam(state));
		tl_random_table(&t, 20000, 8, 0, &seed);
		for (size_t i = 0; few && i < t.n; i++)
			t.r[i].nh %= 4;
		struct molt_fib *f = tl_build(&t, seed, 0);
		const void *base;
		size_t len;

		assert_non_null(f);
		molt_image(f, &base, &len);
		expect_segv(f, 0); // the header
		expect_segv(f, 4096 + 8); // the top level
		expect_segv(f, len / 2);
		expect_segv(f, len - 1); // the last leaves
		tl_random_addrs(&t, 1000, &seed);
		tl_check(&t, f); // and the parent still reads it
		molt_free(f);
		tl_free(&t);
	}
}

int main(void)
{
#define BOTH(fn) cmocka_unit_test_prestate(fn, &fam4), cmocka_unit_test_prestate(fn, &fam6)
	const struct CMUnitTest tests[] = {
		BOTH(test_seeds),
		BOTH(test_seeds_few_nh),
		BOTH(test_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
