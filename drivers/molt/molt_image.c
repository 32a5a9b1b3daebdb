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
	if (!thp || len < HUGE_PAGE) {
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0);

		return p == MAP_FAILED ? NULL : p;
	}
	uint8_t *raw = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *p = (uint8_t *)align_up((uintptr_t)raw, HUGE_PAGE);
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + len, HUGE_PAGE - (size_t)(p - raw));
	// Advice only: without it (or when THP is off) the image works the same, on 4 KiB pages.
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}

// Positions for spans in a seeded order: pos[i] is where span i starts, spans packed in the
// order of a Fisher-Yates shuffle. Returns pos (n entries; NULL when n is 0 or on ENOMEM).
static uint32_t *shuffle_spans(const struct molt_span *spans, size_t n, uint64_t *rng)
{
	uint32_t *order, *pos;
	uint32_t at = 0;

	if (n == 0)
		return NULL;
	order = malloc(n * sizeof(*order));
	pos = malloc(n * sizeof(*pos));
	if (order == NULL || pos == NULL) {
		free(order);
		free(pos);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		// Multiply-shift: a bounded draw; its bias (< 2^-32 for these n) does not matter here.
		size_t j = (size_t)(((next_draw(rng) >> 32) * (uint64_t)(i + 1)) >> 32);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		pos[order[i]] = at;
		at += spans[order[i]].len;
	}
	free(order);
	return pos;
}

struct molt_fib *molt_image_place(const struct molt_scratch *s, uint8_t family, uint64_t n_rules,
				  uint64_t seed, unsigned flags)
{
	size_t ntop = (size_t)1 << s->top_bits;
	size_t off_top = align_up(sizeof(struct molt_fib), 64);
	size_t off_nodes = align_up(off_top + ntop * sizeof(uint32_t), 64);
	size_t off_leaves = align_up(off_nodes + s->n_nodes * sizeof(struct molt_node), 64);
	size_t len = align_up(off_leaves + s->n_leaves * sizeof(uint32_t), PAGE);
	uint64_t rng = seed;
	uint32_t key = (uint32_t)next_draw(&rng);
	uint32_t *gpos = shuffle_spans(s->groups, s->n_groups, &rng);
	uint32_t *rpos = shuffle_spans(s->runs, s->n_runs, &rng);
	uint8_t *map = NULL;

	if ((s->n_groups > 0 && gpos == NULL) || (s->n_runs > 0 && rpos == NULL))
		goto out;
	map = map_pages(len, !(flags & MOLT_BUILD_NO_THP));
	if (map == NULL)
		goto out;

	struct molt_fib *f = (struct molt_fib *)map;
	uint32_t *top = (uint32_t *)(map + off_top);
	struct molt_node *nodes = (struct molt_node *)(map + off_nodes);
	uint32_t *leaves = (uint32_t *)(map + off_leaves);

	*f = (struct molt_fib){
		.magic = MOLT_MAGIC,
		.family = family,
		.top_bits = (uint8_t)s->top_bits,
		.key = key,
		.seed = seed,
		.n_rules = n_rules,
		.n_nodes = s->n_nodes,
		.n_leaves = s->n_leaves,
		.map_len = len,
		.top = top,
		.nodes = nodes,
		.leaves = leaves,
	};
	for (size_t i = 0; i < ntop; i++) {
		uint32_t v = s->top[i];

		if (v & MOLT_NODE)
			v = MOLT_NODE | gpos[v & ~MOLT_NODE];
		top[i] = v ^ key;
	}
	for (size_t g = 0; g < s->n_groups; g++) {
		const struct molt_tnode *t = s->nodes + s->groups[g].start;
		struct molt_node *d = nodes + gpos[g];

		for (uint32_t j = 0; j < s->groups[g].len; j++, t++, d++) {
			d->vec = t->vec;
			d->leafvec = t->leafvec;
			d->node_base = (t->group == MOLT_NONE ? 0 : gpos[t->group]) - 1;
			d->leaf_base = (t->run == MOLT_NONE ? 0 : rpos[t->run]) - 1;
		}
	}
	for (size_t r = 0; r < s->n_runs; r++) {
		const uint32_t *src = s->leaves + s->runs[r].start;

		for (uint32_t j = 0; j < s->runs[r].len; j++)
			leaves[rpos[r] + j] = src[j] ^ key;
	}
	if (mprotect(map, len, PROT_READ) < 0) {
		molt_free(f);
		map = NULL;
	}
out:
	free(gpos);
	free(rpos);
	if (map == NULL)
		errno = ENOMEM;
	return (struct molt_fib *)map;
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
		.rules = f->n_rules,
		.nodes = f->n_nodes,
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
