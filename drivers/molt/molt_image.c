// SPDX-License-Identifier: BSD-3-Clause
// The read-only image: one anonymous mapping, written once in an order drawn from the seed,
// then mprotect(PROT_READ) until it is scrubbed and unmapped.
//
// Lookups are sequences of dependent loads spread over a few MiB, so the image asks for
// transparent huge pages (madvise; the kernel may say no): a TLB miss on every level would
// cost as much as the cache misses. The mapping is 2 MiB aligned for that.

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "drivers/molt/molt_build.h"

#define PAGE 4096u
#define HUGE_PAGE (2u << 20)

static inline size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

// splitmix64: the seed's stream of draws.
static inline uint64_t next_draw(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void *map_pages(size_t len, bool thp)
{
	size_t extra = thp && len >= HUGE_PAGE ? HUGE_PAGE : 0;
	uint8_t *raw = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint8_t *p = raw;

	if (raw == MAP_FAILED)
		return NULL;
	if (extra > 0) {
		p = (uint8_t *)align_up((uintptr_t)raw, HUGE_PAGE);
		if (p > raw)
			munmap(raw, (size_t)(p - raw));
		munmap(p + len, extra - (size_t)(p - raw));
		// Advice only: without it (or with THP off) the image works the same, on 4 KiB pages.
		(void)madvise(p, len, MADV_HUGEPAGE);
	}
#ifdef MADV_POPULATE_WRITE
	// Every byte is written next: fault it all in at once rather than page by page.
	(void)madvise(p, len, MADV_POPULATE_WRITE);
#endif
	return p;
}

// Groups (or runs) are placed in chunks of this many, consecutive in meeting order: the seed
// shuffles the chunks. Within a chunk the writing walk writes sequentially, which keeps a
// full table's build several times faster than scattering every group (measured: IPv6 ~75 ms
// against ~30 ms); the keys, not the order, are what make every page differ.
#define PLACE_CHUNK 64

// Positions: pos[i] is where the i-th group (or run) of len[i] elements starts, chunks packed
// in the order of a Fisher-Yates shuffle. Returns pos (NULL on ENOMEM; an allocation even for
// n == 0).
static uint32_t *shuffle_positions(const uint32_t *len, size_t n, uint64_t *rng)
{
	size_t n_chunks = (n + PLACE_CHUNK - 1) / PLACE_CHUNK;
	uint32_t *order = malloc((n_chunks + 1) * sizeof(*order));
	uint32_t *pos = malloc((n + 1) * sizeof(*pos));
	uint32_t at = 0;

	if (order == NULL || pos == NULL) {
		free(order);
		free(pos);
		return NULL;
	}
	for (size_t i = 0; i < n_chunks; i++)
		order[i] = (uint32_t)i;
	for (size_t i = n_chunks; i > 1; i--) {
		// Multiply-shift: a bounded draw; its bias (< 2^-32 for these n) does not matter here.
		size_t j = (size_t)(((next_draw(rng) >> 32) * (uint64_t)i) >> 32);
		uint32_t t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (size_t c = 0; c < n_chunks; c++) {
		size_t end = ((size_t)order[c] + 1) * PLACE_CHUNK;

		for (size_t i = (size_t)order[c] * PLACE_CHUNK; i < end && i < n; i++) {
			pos[i] = at;
			at += len[i];
		}
	}
	free(order);
	return pos;
}

struct molt_fib *molt_image_build(uint8_t family, const struct molt_key *k, size_t n, uint64_t seed,
				  unsigned flags)
{
	struct molt_plan p = {
		.top_bits = family == 4 ? MOLT4_TOP_BITS : MOLT6_TOP_BITS,
		.skip = family == 6,
		.inline_vals = family == 4,
		.coded_top = family == 4,
	};
	uint32_t *gpos = NULL, *rpos = NULL;
	struct molt_fib *f = NULL;
	uint8_t *map = NULL;
	uint64_t rng = seed;
	int err;

	if ((err = molt_plan_walk(&p, k, n)) < 0)
		goto out;
	err = -ENOMEM;
	uint32_t key = (uint32_t)next_draw(&rng);
	uint64_t node_key = next_draw(&rng);
	uint32_t code_key = (uint32_t)next_draw(&rng);
	uint64_t sub_key = next_draw(&rng);
	gpos = shuffle_positions(p.group_len, p.n_groups, &rng);
	rpos = shuffle_positions(p.run_len, p.n_runs, &rng);
	if (gpos == NULL || rpos == NULL)
		goto out;

	size_t ntop = (size_t)1 << p.top_bits;
	size_t off_top = align_up(sizeof(struct molt_fib), 64);
	// IPv4: 4-bit codes, then the rank records.
	size_t top_len = p.coded_top ? ntop / 2 : ntop * sizeof(uint32_t);
	size_t off_rank = align_up(off_top + top_len, 64);
	size_t rank_len = p.coded_top ? sizeof(struct molt_rank) << MOLT4_BLOCK_BITS : 0;
	size_t off_nodes = align_up(off_rank + rank_len, 64);
	size_t off_sub = align_up(off_nodes + p.n_nodes * sizeof(struct molt_node), 64);
	size_t off_leaves = align_up(off_sub + (p.coded_top ? p.n_nodes * sizeof(uint64_t) : 0),
				     64);
	// At least one leaf: a lookup that ends in an inline node reads leaf 0 (and ignores it).
	size_t len = align_up(off_leaves + (p.n_leaves + 1) * sizeof(uint32_t), PAGE);
	if ((map = map_pages(len, !(flags & MOLT_BUILD_NO_THP))) == NULL)
		goto out;
	f = (struct molt_fib *)map;
	*f = (struct molt_fib){
		.magic = MOLT_MAGIC,
		.family = family,
		.top_bits = (uint8_t)p.top_bits,
		.avx2 = p.coded_top && !(flags & MOLT_BUILD_NO_AVX2) && molt4_avx2_usable(),
		.key = key,
		.node_key = node_key,
		.code_key = code_key,
		.sub_key = sub_key,
		.seed = seed,
		.n_rules = n,
		.n_nodes = p.n_nodes,
		.n_skips = p.n_skips,
		.n_inline = p.n_inline,
		.n_leaves = p.n_leaves,
		.map_len = len,
		.top = p.coded_top ? NULL : (uint32_t *)(map + off_top),
		.codes = p.coded_top ? (uint32_t *)(map + off_top) : NULL,
		.rank = p.coded_top ? (struct molt_rank *)(map + off_rank) : NULL,
		.sub = p.coded_top ? (uint64_t *)(map + off_sub) : NULL,
		.nodes = (struct molt_node *)(map + off_nodes),
		.leaves = (uint32_t *)(map + off_leaves),
	};
	p.emit = true;
	p.gpos = gpos;
	p.rpos = rpos;
	p.key = key;
	p.node_key = node_key;
	p.top = (uint32_t *)(map + off_top);
	p.codes = (uint32_t *)(map + off_top);
	p.rank = (struct molt_rank *)(map + off_rank);
	p.code_key = code_key;
	p.sub = (uint64_t *)(map + off_sub);
	p.sub_key = sub_key;
	// Words of nodes deeper than 20 are never written by the walk, nor read: keyed all the same.
	for (size_t i = 0; p.coded_top && i < p.n_nodes; i++)
		p.sub[i] = sub_key;
	for (unsigned c = 0; c < MOLT4_CODES; c++)
		f->code_val[c] = (p.code_val[c] == MOLT_MISS ? FIB_NH_MISS : p.code_val[c]) ^ key;
	p.nodes = (struct molt_node *)(map + off_nodes);
	p.leaves = (uint32_t *)(map + off_leaves);
	if ((err = molt_plan_walk(&p, k, n)) == 0 && mprotect(map, len, PROT_READ) < 0)
		err = -ENOMEM;
out:
	molt_plan_free(&p);
	free(gpos);
	free(rpos);
	if (err < 0) {
		molt_free(f);
		errno = -err;
		return NULL;
	}
	return f;
}

void molt_free(struct molt_fib *f)
{
	size_t len;

	if (f == NULL)
		return;
	len = f->map_len;
	// If the pages cannot be made writable again, unmapping still returns them to the kernel,
	// which zeroes a page before it maps it anywhere else.
	if (mprotect(f, len, PROT_READ | PROT_WRITE) == 0)
		explicit_bzero(f, len);
	munmap(f, len);
}

void molt_get_stats(const struct molt_fib *f, struct molt_stats *st)
{
	*st = (struct molt_stats){
		.family = f->family,
		.top_bits = f->top_bits,
		.coded = f->codes != NULL,
		.avx2 = f->avx2,
		.rules = f->n_rules,
		.nodes = f->n_nodes,
		.skips = f->n_skips,
		.inline_nodes = f->n_inline,
		.leaves = f->n_leaves,
		.bytes = f->map_len,
		.seed = f->seed,
	};
}

void molt_image(const struct molt_fib *f, const void **base, size_t *len)
{
	*base = f;
	*len = f->map_len;
}
