// SPDX-License-Identifier: BSD-3-Clause

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "drivers/prefix.h"
#include "harness.h"
#include "test/unit/eal_tidy.h"

void harness_eal_init(const char *prog, unsigned mem_mb)
{
	char prefix[64], mem[16];

	// A per-process file prefix: several engineers' test runs share this machine.
	snprintf(prefix, sizeof(prefix), "molt-drv-test-%d", (int)getpid());
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	char *argv[] = {
		(char *)prog,
		"--no-huge",
		"-m",
		mem,
		"--no-pci",
		"--no-shconf",
		"--file-prefix",
		prefix,
		"--log-level",
		"lib.eal:error",
		"-l",
		"0",
	};
	if (rte_eal_init(RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", prog);
		exit(1);
	}
	eal_tidy_at_exit();
}

uint64_t harness_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned pick(uint64_t *seed, unsigned n)
{
	return (unsigned)(harness_rand(seed) % n);
}

// Cumulative percent tables: {plen, percent}.
struct plen_mix {
	uint8_t plen;
	uint8_t pct;
};

static uint8_t pick_plen(const struct plen_mix *mix, unsigned n_mix, uint64_t *seed)
{
	unsigned x = pick(seed, 100), acc = 0;

	for (unsigned i = 0; i < n_mix; i++) {
		acc += mix[i].pct;
		if (x < acc)
			return mix[i].plen;
	}
	return mix[n_mix - 1].plen;
}

static const struct plen_mix v4_mix[] = {
	{ 24, 58 }, { 23, 9 }, { 22, 10 }, { 21, 5 }, { 20, 5 }, { 19, 4 },
	{ 18, 3 },  { 17, 2 }, { 16, 2 },  { 12, 1 }, { 8, 1 },
};

static const struct plen_mix v6_mix[] = {
	{ 48, 50 }, { 32, 14 }, { 44, 9 }, { 40, 8 }, { 36, 5 }, { 29, 5 },
	{ 46, 3 },  { 47, 2 },  { 42, 2 }, { 28, 1 }, { 24, 1 },
};

static void gen_v4(struct harness_route *r, unsigned long_share, uint64_t *seed,
		   const struct harness_route *prev, unsigned n_prev)
{
	uint8_t plen;

	if (pick(seed, 100) < long_share)
		plen = (uint8_t)(25 + pick(seed, 8));
	else
		plen = pick_plen(v4_mix, RTE_DIM(v4_mix), seed);
	uint32_t a = (uint32_t)harness_rand(seed);
	// Overlap: half the time, nest inside an earlier shorter route (a covering prefix).
	if (n_prev > 0 && pick(seed, 2) == 0) {
		const struct harness_route *p = &prev[pick(seed, n_prev)];

		if (p->plen < plen)
			a = p->v4 | (a & ~prefix4_mask(p->plen));
	}
	r->v4 = a & prefix4_mask(plen);
	r->plen = plen;
}

// RIR-like allocation space: a few /12 blocks, each handing out /32s from a narrow window, so
// prefixes share their upper bytes the way real ones do.
static const uint16_t v6_blocks[] = { 0x2001, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c00 };

static void gen_v6(struct harness_route *r, unsigned long_share, uint64_t *seed)
{
	uint8_t a[16], plen;

	for (unsigned i = 0; i < 16; i += 8) {
		uint64_t x = harness_rand(seed);

		memcpy(a + i, &x, 8);
	}
	uint16_t blk = v6_blocks[pick(seed, RTE_DIM(v6_blocks))];
	a[0] = (uint8_t)(blk >> 8);
	a[1] = (uint8_t)((blk & 0xf0) | (a[1] & 0x0f));
	a[2] = (uint8_t)(a[2] & 0x3f); // 1024 /24s per block are in use
	if (pick(seed, 100) < long_share)
		plen = (uint8_t)(49 + pick(seed, 80));
	else
		plen = pick_plen(v6_mix, RTE_DIM(v6_mix), seed);
	// Allocations: 4096 /32s per block, ~25k in all (about the DFZ's count), so several
	// routes share each one.
	a[3] = (uint8_t)(a[3] & 0x03);
	prefix6_mask(r->v6, a, plen);
	r->plen = plen;
}

static int route_cmp(const void *x, const void *y)
{
	const struct harness_route *a = x, *b = y;

	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return memcmp(a->v6, b->v6, sizeof(a->v6));
}

unsigned harness_gen_routes(int family, struct harness_route *r, unsigned n, unsigned long_share,
			    uint64_t *seed)
{
	memset(r, 0, sizeof(*r) * n);
	for (unsigned i = 0; i < n; i++) {
		if (family == 4)
			gen_v4(&r[i], long_share, seed, r, i);
		else
			gen_v6(&r[i], long_share, seed);
		r[i].nh = (uint32_t)(harness_rand(seed) % FIB_NH_MAX);
	}
	// Drop duplicates (same prefix and length), then shuffle back into a random order so
	// adds do not arrive sorted by length.
	qsort(r, n, sizeof(*r), route_cmp);
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++)
		if (m == 0 || route_cmp(&r[m - 1], &r[i]) != 0)
			r[m++] = r[i];
	for (unsigned i = m; i > 1; i--) {
		unsigned j = pick(seed, i);
		struct harness_route t = r[i - 1];

		r[i - 1] = r[j];
		r[j] = t;
	}
	return m;
}

void harness_gen_addrs(int family, const struct harness_route *r, unsigned nr, void *addrs,
		       unsigned n, uint64_t *seed)
{
	for (unsigned i = 0; i < n; i++) {
		bool inside = nr > 0 && pick(seed, 100) < 85;
		const struct harness_route *p = inside ? &r[pick(seed, nr)] : NULL;

		if (family == 4) {
			uint32_t a = (uint32_t)harness_rand(seed);

			if (p != NULL)
				a = p->v4 | (a & ~prefix4_mask(p->plen));
			((uint32_t *)addrs)[i] = a;
		} else {
			uint8_t *a = (uint8_t *)addrs + (size_t)i * 16;
			uint8_t host[16];

			for (unsigned k = 0; k < 16; k += 8) {
				uint64_t x = harness_rand(seed);

				memcpy(host + k, &x, 8);
			}
			if (p == NULL) {
				memcpy(a, host, 16);
				a[0] = (uint8_t)(0x20 | (a[0] & 0x1f));
				continue;
			}
			// prefix bits from p, host bits random.
			for (unsigned k = 0; k < 16; k++) {
				unsigned bits = p->plen > k * 8 ? p->plen - k * 8 : 0;
				uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

				a[k] = (uint8_t)((p->v6[k] & m) | (host[k] & ~m));
			}
		}
	}
}

double harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
