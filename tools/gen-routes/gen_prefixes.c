// SPDX-License-Identifier: BSD-3-Clause
// Prefix generation for gen-routes (see gen_prefixes.h).
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen-routes/gen_prefixes.h"

// Random draws per prefix length before moving on to a longer one (short lengths fill up).
#define TRIES 64

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

// xoshiro256**: fast, and good enough that prefixes spread over the whole space.
static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

// Set of prefixes already generated (open addressing, never shrinks).
struct pset {
	struct pfx *slots; // plen 0xff: empty
	uint64_t mask;
};

static int pset_init(struct pset *s, uint64_t n)
{
	uint64_t size = 1024;

	while (size < n * 2)
		size <<= 1;
	s->slots = malloc(size * sizeof(*s->slots));
	if (s->slots == NULL)
		return -ENOMEM;
	memset(s->slots, 0xff, size * sizeof(*s->slots));
	s->mask = size - 1;
	return 0;
}

// Returns true if p was new (and is now in the set).
static bool pset_add(struct pset *s, struct pfx p)
{
	uint64_t h = (p.addr ^ p.plen) * 0x9e3779b97f4a7c15ULL, i;

	for (i = (h ^ h >> 29) & s->mask; s->slots[i].plen != 0xff; i = (i + 1) & s->mask)
		if (s->slots[i].addr == p.addr && s->slots[i].plen == p.plen)
			return false;
	s->slots[i] = p;
	return true;
}

static uint64_t mask_of(unsigned plen)
{
	return plen == 0 ? 0 : ~0ULL << (64 - plen);
}

static bool overlaps(struct pfx p, uint64_t addr, unsigned plen)
{
	return ((p.addr ^ addr) & mask_of(p.plen < plen ? p.plen : plen)) == 0;
}

// Ranges a generated prefix may neither fall in nor cover: not globally routed, or used by our
// own test networks (10/8, and fd00::/8 outside 2000::/3 anyway).
static const struct pfx avoid4[] = {
	{ 0x00000000ULL << 32, 8 },  { 0x0a000000ULL << 32, 8 },  { 0x7f000000ULL << 32, 8 },
	{ 0xe0000000ULL << 32, 3 },  { 0x64400000ULL << 32, 10 }, { 0xa9fe0000ULL << 32, 16 },
	{ 0xac100000ULL << 32, 12 }, { 0xc0a80000ULL << 32, 16 },
};
static const struct pfx avoid6[] = {
	{ 0x20010db800000000ULL, 32 }, // documentation
	{ 0x2002000000000000ULL, 16 }, // 6to4
};

struct family_gen {
	int family;
	const unsigned (*weights)[2]; // {plen, per 100000}
	size_t nweights;
	unsigned cover_min; // prefixes at least this long may be carved from a parent
	unsigned parent_max; // prefixes at most this long serve as parents
	uint64_t base, base_mask; // all prefixes inside this (2000::/3 for IPv6)
	const struct pfx *avoid;
	size_t navoid;
};

static const unsigned weights4[][2] = {
	{ 8, 15 },    { 9, 15 },    { 10, 30 },    { 11, 60 },   { 12, 100 },   { 13, 180 },
	{ 14, 250 },  { 15, 350 },  { 16, 2300 },  { 17, 1200 }, { 18, 2000 },  { 19, 3500 },
	{ 20, 4600 }, { 21, 5500 }, { 22, 10500 }, { 23, 9400 }, { 24, 60000 },
};
static const unsigned weights6[][2] = {
	{ 32, 11000 }, { 33, 1500 }, { 34, 1500 }, { 35, 1000 }, { 36, 5000 },  { 37, 1000 },
	{ 38, 1500 },  { 39, 1000 }, { 40, 7000 }, { 41, 500 },  { 42, 1500 },  { 43, 500 },
	{ 44, 6000 },  { 45, 1000 }, { 46, 2000 }, { 47, 2000 }, { 48, 53000 }, { 64, 3000 },
};

static unsigned pick_plen(struct rng *r, const struct family_gen *f)
{
	uint32_t x = rng_below(r, 100000);
	size_t i;

	for (i = 0; i < f->nweights; i++) {
		if (x < f->weights[i][1])
			return f->weights[i][0];
		x -= f->weights[i][1];
	}
	return f->weights[f->nweights - 1][0];
}

static bool allowed(const struct family_gen *f, uint64_t addr, unsigned plen)
{
	for (size_t i = 0; i < f->navoid; i++)
		if (overlaps(f->avoid[i], addr, plen))
			return false;
	return true;
}

struct gen_state {
	struct pset set;
	struct pfx *parents; // generated prefixes short enough to carve from
	uint64_t nparents;
};

static uint64_t random_addr(struct rng *r, const struct family_gen *f, unsigned plen,
			    const struct gen_state *g)
{
	uint64_t a = rng_next(r);

	// A third of the long prefixes sit inside a shorter one: real tables are full of
	// more-specifics under their aggregate.
	if (plen >= f->cover_min && g->nparents > 0 && rng_below(r, 3) == 0) {
		struct pfx p = g->parents[rng_below(r, (uint32_t)g->nparents)];

		if (p.plen < plen)
			return (p.addr & mask_of(p.plen)) | (a & ~mask_of(p.plen) & mask_of(plen));
	}
	return ((f->base & f->base_mask) | (a & ~f->base_mask)) & mask_of(plen);
}

static int gen_family(struct rng *r, const struct family_gen *f, uint64_t n, struct pfx *out)
{
	struct gen_state g = { 0 };
	uint64_t i;

	if (pset_init(&g.set, n) < 0 || (g.parents = malloc((n + 1) * sizeof(*g.parents))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		unsigned plen = pick_plen(r, f), max = f->family == 4 ? 32 : 64;
		bool done = false;

		// A crowded length (there are few /8s) falls through to longer ones.
		for (; plen <= max && !done; plen++) {
			for (int t = 0; t < TRIES && !done; t++) {
				struct pfx p = { random_addr(r, f, plen, &g), (uint8_t)plen };

				if (allowed(f, p.addr, plen) && pset_add(&g.set, p)) {
					out[i] = p;
					if (plen <= f->parent_max)
						g.parents[g.nparents++] = p;
					done = true;
				}
			}
		}
		if (!done) {
			fprintf(stderr, "gen-routes: ran out of unique IPv%d prefixes after %llu\n",
				f->family, (unsigned long long)i);
			free(g.set.slots);
			free(g.parents);
			return -ENOSPC;
		}
	}
	free(g.set.slots);
	free(g.parents);
	return 0;
}

int gen_prefixes(struct rng *r, int family, uint64_t n, struct pfx *out)
{
	static const struct family_gen f4 = { 4, weights4, 17, 17, 22, 0, 0, avoid4, 8 };
	static const struct family_gen f6 = {
		6, weights6, 18, 36, 44, 0x2000000000000000ULL, 0xe000000000000000ULL, avoid6, 2
	};

	return gen_family(r, family == 4 ? &f4 : &f6, n, out);
}
