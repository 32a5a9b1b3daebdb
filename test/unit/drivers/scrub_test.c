// SPDX-License-Identifier: BSD-3-Clause
// What the rte_fib drivers' free_scrub relies on (drivers/fib.c): DPDK clears heap memory as it
// frees it, so rte_fib_free / rte_fib6_free, which release their tables with rte_free and their
// RIB node pools with rte_mempool_free (memzones), leave no route behind. Should a DPDK upgrade
// stop doing so (RTE_MALLOC_DEBUG poisons instead; later releases may skip the clearing), this
// fails and the drivers must go back to clearing their tables themselves.
//
// Reading memory after it was freed is fine here: the DPDK heap stays mapped, and nothing else
// runs in this process to allocate it again in between.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_mempool.h>

#include "harness.h"

static size_t nonzero_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += b[i] != 0;
	return c;
}

// rte_fib's tbl24 (64 MiB of 4-byte entries) and tbl8 groups come from rte_zmalloc.
static void test_rte_free_clears(void **state)
{
	static const size_t sizes[] = { 4096, (size_t)1 << 20, (size_t)64 << 20 };

	(void)state;
	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		uint8_t *p = rte_malloc("scrub_test", sizes[i], 64);

		assert_non_null(p);
		memset(p, 0xa5, sizes[i]);
		rte_free(p);
		assert_int_equal(nonzero_bytes(p, sizes[i]), 0);
	}
}

static void test_memzone_free_clears(void **state)
{
	const size_t len = (size_t)4 << 20;
	const struct rte_memzone *mz = rte_memzone_reserve("scrub_test_mz", len, SOCKET_ID_ANY, 0);
	uint8_t *p;

	(void)state;
	assert_non_null(mz);
	p = mz->addr;
	memset(p, 0x5a, len);
	assert_int_equal(rte_memzone_free(mz), 0);
	assert_int_equal(nonzero_bytes(p, len), 0);
}

struct chunk {
	void *addr;
	size_t len;
};

static void record_chunk(struct rte_mempool *mp, void *opaque, struct rte_mempool_memhdr *h,
			 unsigned idx)
{
	struct chunk *c = opaque;

	(void)mp;
	if (idx < 8)
		c[idx] = (struct chunk){ .addr = h->addr, .len = h->len };
}

static void fill_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	(void)mp;
	(void)arg;
	(void)idx;
	memset(obj, 0xc3, 64);
}

// The RIB's nodes (rte_rib_create: an rte_mempool of nodes holding prefixes and next hops).
static void test_mempool_free_clears(void **state)
{
	struct chunk chunks[8] = { 0 };
	struct rte_mempool *mp = rte_mempool_create("scrub_test_mp", 4095, 64, 0, 0, NULL, NULL,
						    fill_obj, NULL, SOCKET_ID_ANY, 0);
	unsigned n;

	(void)state;
	assert_non_null(mp);
	n = rte_mempool_mem_iter(mp, record_chunk, chunks);
	assert_true(n >= 1 && n <= 8);
	rte_mempool_free(mp);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(nonzero_bytes(chunks[i].addr, chunks[i].len), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_eal_init(argv[0], 256);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rte_free_clears),
		cmocka_unit_test(test_memzone_free_clears),
		cmocka_unit_test(test_mempool_free_clears),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
