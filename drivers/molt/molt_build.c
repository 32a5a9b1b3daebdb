// SPDX-License-Identifier: BSD-3-Clause
// The trie of a sorted rule list, walked once to size it and once to write it (molt_build.h).
//
// Sorted by (prefix, plen), a rule list is a preorder of the prefix tree: a rule comes before
// every rule nested in it. So, at any node, filling the children each rule covers, in list
// order, leaves every child with its longest match; and the rules nested inside one child are
// contiguous in the list (a rule short enough to cover a child whole starts at that child's
// first address, so it sorts before the child's longer rules), so a child's subtree is built
// from a slice of its parent's slice, without copying.

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "drivers/molt/molt_build.h"

#define NONE UINT32_MAX

// Appends len to *arr (grown as needed). -ENOMEM.
static int push_len(uint32_t **arr, size_t *n, size_t *cap, uint32_t len)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		uint32_t *a = realloc(*arr, c * sizeof(*a));

		if (a == NULL)
			return -ENOMEM;
		*arr = a;
		*cap = c;
	}
	(*arr)[(*n)++] = len;
	return 0;
}

// The 6 bits of k after its first off bits (off <= 124; bits past the address read as zero).
static inline unsigned chunk(const struct molt_key *k, unsigned off)
{
	unsigned __int128 a = (unsigned __int128)k->hi << 64 | k->lo;

	return (unsigned)((a << off) >> (128 - MOLT_STRIDE));
}

// A value as a leaf, an inline value or a top entry holds it.
static inline uint32_t value_enc(const struct molt_plan *p, uint32_t v)
{
	return (v == MOLT_MISS ? FIB_NH_MISS : v) ^ p->key;
}

// A node's run of leaves, met: sized, or written in its place. Returns its number.
static uint32_t put_run(struct molt_plan *p, const uint32_t *vals, unsigned n)
{
	if (!p->emit) {
		p->n_leaves += n;
		if (push_len(&p->run_len, &p->n_runs, &p->cap_runs, n) < 0)
			p->err = -ENOMEM;
		return (uint32_t)p->n_runs - 1;
	}
	uint32_t *dst = p->leaves + p->rpos[p->r_next];
	for (unsigned i = 0; i < n; i++)
		dst[i] = value_enc(p, vals[i]);
	return (uint32_t)p->r_next++;
}

// A sibling group, met: sized, or written in its place. Returns its number.
static uint32_t put_group(struct molt_plan *p, const struct molt_node *kids, unsigned n)
{
	if (!p->emit) {
		p->n_nodes += n;
		if (push_len(&p->group_len, &p->n_groups, &p->cap_groups, n) < 0)
			p->err = -ENOMEM;
		return (uint32_t)p->n_groups - 1;
	}
	memcpy(p->nodes + p->gpos[p->g_next], kids, n * sizeof(*kids));
	return (uint32_t)p->g_next++;
}

// Where group g starts (the writing walk), for a reference to it; 0 for none (a node with no
// node child never reads its node_base, nor one with no leaf child its leaf_base).
static inline uint32_t group_at(const struct molt_plan *p, uint32_t g)
{
	return p->emit && g != NONE ? p->gpos[g] : 0;
}

static inline uint32_t run_at(const struct molt_plan *p, uint32_t r)
{
	return p->emit && r != NONE ? p->rpos[r] : 0;
}

// End of the slice of k[i..n) nested in the child of k[i] at depth off: the rules longer than
// off + MOLT_STRIDE whose chunk at off is c.
static size_t child_end(const struct molt_key *k, size_t i, size_t n, unsigned off, unsigned c)
{
	while (i < n && k[i].plen > off + MOLT_STRIDE && chunk(&k[i], off) == c)
		i++;
	return i;
}

// Bit b of a 64-bit map, and the bits below b.
#define BIT(b) (UINT64_C(1) << (b))
#define BELOW(b) (BIT(b) - 1)

// The leaf children of a node where a new run of equal values starts. vals changes value only
// at the candidate positions cand (the edges of the ranges rules filled, and of children that
// turned out uniform), so only those are compared, each with the previous leaf child (node
// children in between do not break a run). The first leaf child always starts one.
static uint64_t run_starts(const uint32_t *vals, uint64_t vec, uint64_t cand)
{
	uint64_t leaves = ~vec, starts = leaves & -leaves;

	for (; cand != 0; cand &= cand - 1) {
		uint64_t at = leaves & ~BELOW(__builtin_ctzll(cand));

		if (at == 0)
			break;
		unsigned b = (unsigned)__builtin_ctzll(at);
		uint64_t before = leaves & BELOW(b);

		if (before != 0 && vals[b] != vals[63 - __builtin_clzll(before)])
			starts |= BIT(b);
	}
	return starts;
}

// A node as build_node makes it, before its parent writes it into a sibling group: a normal
// node (len 0), an inline node (IPv4) or a skip node (IPv6), which a parent that is a chain
// too takes over (molt_priv.h).
struct bnode {
	uint64_t vec; // normal: node children; skip: the path's bits, left-aligned
	uint64_t leafvec; // normal: run starts; skip: mask of the path's bits
	uint32_t group; // normal: child group or NONE; skip to a node: its one-node group
	uint32_t run; // normal: leaf run or NONE
	uint32_t fallback; // skip: the value of an address off the path
	uint32_t target; // skip to a leaf: the value of an address on the path
	bool to_leaf; // skip: the path ends in a leaf (target), not a node (group)
	bool inline_vals; // IPv4: ivals holds the values of up to 6 runs, no leaf run
	uint32_t ivals[MOLT_INLINE_MAX]; // inline: run r's value (runs past the last repeat it)
	unsigned len; // skip: bits of the path; 0: a normal node
};

// Node b as it goes into the image.
static struct molt_node encode(struct molt_plan *p, const struct bnode *b)
{
	uint32_t lo = group_at(p, b->group), hi = run_at(p, b->run);

	if (b->inline_vals) {
		struct molt_node e = { .leafvec = b->leafvec };

		p->n_inline += !p->emit;
		for (unsigned r = 0; r < MOLT_INLINE_MAX; r++)
			e.words[r] = value_enc(p, b->ivals[r]);
		return e;
	}
	if (b->len > 0) {
		// The values themselves, not leaves: a skip node ends a lookup without a leaf read.
		lo = MOLT_SKIP | (b->to_leaf ? b->target : lo);
		hi = b->fallback | (b->to_leaf ? MOLT_SKIP_LEAF : 0);
		p->n_skips += !p->emit;
	}
	return (struct molt_node){
		.vec = b->vec,
		.leafvec = b->leafvec,
		.bases = ((uint64_t)hi << 32 | lo) ^ p->node_key,
		.fill = (uint32_t)(p->node_key >> 32),
		.mark = MOLT_PLAIN ^ p->key,
	};
}

static void set_path(struct bnode *b, uint64_t path, unsigned len)
{
	b->vec = path;
	b->len = len;
	b->leafvec = ~UINT64_C(0) << (64 - len);
}

// A chain node (one node child kid at c, every leaf child v) as a skip node: kid's path one
// node longer when kid is a skip node with the same fallback, else a path of 6 bits to kid.
static void chain_skip(struct molt_plan *p, const struct bnode *kid, unsigned c, uint32_t v,
		       struct bnode *out)
{
	uint64_t path = (uint64_t)c << (64 - MOLT_STRIDE);

	if (kid->len > 0 && kid->fallback == v && kid->len + MOLT_STRIDE <= MOLT_SKIP_MAX) {
		*out = *kid;
		set_path(out, path | kid->vec >> MOLT_STRIDE, kid->len + MOLT_STRIDE);
	} else {
		struct molt_node e = encode(p, kid);

		*out = (struct bnode){ .group = put_group(p, &e, 1), .run = NONE, .fallback = v };
		set_path(out, path, MOLT_STRIDE);
	}
}

// Whether children [a, b) are an aligned block of 2^j (< 64) children.
static bool aligned_block(unsigned a, unsigned b)
{
	unsigned size = b - a;

	return size < 64 && (size & (size - 1)) == 0 && a % size == 0;
}

// A node with leaf children only, all of one value but for an aligned block of another (a
// more-specific rule alone in its region), as a skip node to a leaf: the block's bits are its
// path. Returns false when the node is not of that form.
static bool block_skip(const uint32_t *run, unsigned nrun, uint64_t leafvec, struct bnode *out)
{
	uint64_t later = leafvec & (leafvec - 1);
	unsigned s1 = (unsigned)__builtin_ctzll(later), s2 = 64;
	uint32_t outside = run[0], inside = run[1];

	if (nrun == 3 && run[2] == run[0]) {
		s2 = (unsigned)__builtin_ctzll(later & (later - 1));
	} else if (nrun != 2) {
		return false;
	} else if (!aligned_block(s1, 64)) {
		// The block may be the first run instead.
		s2 = s1;
		s1 = 0;
		outside = run[1];
		inside = run[0];
	}
	if (!aligned_block(s1, s2))
		return false;
	unsigned j = (unsigned)__builtin_ctz(s2 - s1), len = MOLT_STRIDE - j;

	*out = (struct bnode){
		.group = NONE,
		.run = NONE,
		.fallback = outside,
		.target = inside,
		.to_leaf = true,
	};
	set_path(out, (uint64_t)(s1 >> j) << (64 - len), len);
	return true;
}

// The node for a region at depth off whose longest covering rule gives def, from k[0..n)
// (rules inside the region, each longer than off), into *out. Returns false when the region
// turns out uniform (every address maps to *uniform): the parent keeps a leaf instead.
static bool build_node(struct molt_plan *p, const struct molt_key *k, size_t n, unsigned off,
		       uint32_t def, struct bnode *out, uint32_t *uniform)
{
	struct bnode kids[64];
	uint32_t vals[64], run[64];
	unsigned nk = 0, nrun = 0;
	uint64_t vec = 0, cand = 0;

	for (unsigned c = 0; c < 64; c++)
		vals[c] = def;
	for (size_t i = 0; i < n; i++) {
		if (k[i].plen > off + MOLT_STRIDE)
			continue;
		unsigned c = chunk(&k[i], off), cnt = 1u << (off + MOLT_STRIDE - k[i].plen);

		for (unsigned j = c; j < c + cnt; j++)
			vals[j] = k[i].nh;
		cand |= BIT(c) | (c + cnt < 64 ? BIT(c + cnt) : 0);
	}
	for (size_t i = 0; i < n && p->err == 0;) {
		if (k[i].plen <= off + MOLT_STRIDE) {
			i++;
			continue;
		}
		unsigned c = chunk(&k[i], off);
		size_t end = child_end(k, i, n, off, c);
		uint32_t u;

		if (build_node(p, k + i, end - i, off + MOLT_STRIDE, vals[c], &kids[nk], &u)) {
			vec |= BIT(c);
			nk++;
		} else {
			vals[c] = u;
			cand |= BIT(c) | (c < 63 ? BIT(c + 1) : 0);
		}
		i = end;
	}
	if (p->err != 0)
		return false;
	uint64_t leafvec = vec == UINT64_MAX ? 0 : run_starts(vals, vec, cand);
	for (uint64_t m = leafvec; m != 0; m &= m - 1)
		run[nrun++] = vals[__builtin_ctzll(m)];
	if (vec == 0 && nrun == 1) {
		*uniform = run[0];
		return false;
	}
	if (p->coded_top && p->emit && off == p->top_bits) { // for sub_codes
		memcpy(p->top_child_vals, vals, sizeof(vals));
		p->top_child_nodes = vec;
		p->top_child_starts = leafvec;
	}
	if (p->skip && nk == 1 && nrun == 1) {
		chain_skip(p, &kids[0], (unsigned)__builtin_ctzll(vec), run[0], out);
		return p->err == 0;
	}
	if (p->skip && nk == 0 && block_skip(run, nrun, leafvec, out))
		return true;
	if (p->inline_vals && nk == 0 && nrun <= MOLT_INLINE_MAX) {
		*out = (struct bnode){ .leafvec = leafvec, .inline_vals = true };
		for (unsigned i = 0; i < MOLT_INLINE_MAX; i++)
			out->ivals[i] = run[i < nrun ? i : nrun - 1];
		return true;
	}
	// Runs and groups are numbered in the order they are put, the same in both walks.
	struct molt_node enc[64];
	uint32_t r = nrun > 0 ? put_run(p, run, nrun) : NONE;

	for (unsigned j = 0; j < nk; j++)
		enc[j] = encode(p, &kids[j]);
	*out = (struct bnode){
		.vec = vec,
		.leafvec = leafvec,
		.group = nk > 0 ? put_group(p, enc, nk) : NONE,
		.run = r,
	};
	return p->err == 0;
}

// An inline node of one run: every address of its region has value v.
static struct bnode uniform_node(uint32_t v)
{
	struct bnode b = { .leafvec = 1, .inline_vals = true };

	for (unsigned r = 0; r < MOLT_INLINE_MAX; r++)
		b.ivals[r] = v;
	return b;
}

// The coded top level's codes (p->code_of, p->code_val): one for each of the MOLT4_CODES - 1
// values that cover the most /24s, counted from top (the values of the rules no longer than 20
// bits, for each /20) and the rules of 21 to 24 bits of k[0..n) (overlaps counted twice: a
// code is a matter of speed, not of answers). When the codes cover less than
// MOLT4_CODED_MIN_PCT percent of those /24s, the top level is flat instead (p->coded_top
// false): every /20 whose value has no code would be a node of its own. -ENOMEM.
static int choose_codes(struct molt_plan *p, const struct molt_key *k, size_t n,
			const uint32_t *top, size_t ntop)
{
	// Values are < FIB_NH_MAX or MOLT_MISS (== FIB_NH_MAX): an array indexes them. Its pages
	// are mapped as they are first touched, so a table of few next hops touches few.
	uint32_t *weight = calloc(MOLT_MISS + 1, sizeof(*weight));
	uint32_t *seen = NULL, best[MOLT4_CODES - 1];
	size_t n_seen = 0, cap = 0;
	unsigned n_best = 0;
	int err = -ENOMEM;

	p->code_of = calloc(MOLT_MISS + 1, sizeof(*p->code_of));
	if (weight == NULL || p->code_of == NULL)
		goto out;
	for (size_t t = 0; t < ntop; t++) {
		if (weight[top[t]] == 0 && push_len(&seen, &n_seen, &cap, top[t]) < 0)
			goto out;
		weight[top[t]] += 1u << (MOLT4_SUB_BITS - p->top_bits);
	}
	for (size_t i = 0; i < n; i++) {
		if (k[i].plen <= p->top_bits || k[i].plen > MOLT4_SUB_BITS)
			continue;
		if (weight[k[i].nh] == 0 && push_len(&seen, &n_seen, &cap, k[i].nh) < 0)
			goto out;
		weight[k[i].nh] += 1u << (MOLT4_SUB_BITS - k[i].plen);
	}
	// The heaviest values, heaviest first (ties: the value first seen).
	for (size_t i = 0; i < n_seen; i++) {
		uint32_t v = seen[i];
		const unsigned max = MOLT4_CODES - 1;

		if (n_best == max && weight[v] <= weight[best[max - 1]])
			continue;
		// Into the list by insertion; a full list drops its last.
		unsigned j = n_best < max ? n_best++ : max - 1;

		for (; j > 0 && weight[best[j - 1]] < weight[v]; j--)
			best[j] = best[j - 1];
		best[j] = v;
	}
	uint64_t total = 0, covered = 0;

	for (size_t i = 0; i < n_seen; i++)
		total += weight[seen[i]];
	for (unsigned c = 0; c < n_best; c++) {
		p->code_of[best[c]] = (uint8_t)(c + 1);
		p->code_val[c + 1] = best[c];
		covered += weight[best[c]];
	}
	p->coded_top = covered * 100 >= total * MOLT4_CODED_MIN_PCT;
	for (unsigned c = n_best + 1; c < MOLT4_CODES; c++)
		p->code_val[c] = MOLT_MISS; // never used
	err = 0;
out:
	for (size_t i = 0; i < n_seen; i++)
		weight[seen[i]] = 0;
	free(weight);
	free(seen);
	return err;
}

// The sub[] word of the node build_node just made at depth top_bits: the code of each /24 of
// its region that has one value, and a code for it (else 0).
static uint64_t sub_codes(const struct molt_plan *p)
{
	static_assert(MOLT4_SUB_BITS - MOLT4_TOP_BITS == 4, "a /24 is 4 children of a /20's node");
	const uint32_t *v = p->top_child_vals;
	// A /24 (children 4s..4s+3) has one value when none of them is a node and no run of
	// leaves starts after its first: bit 4s of split is set when it has more.
	uint64_t split = p->top_child_nodes | (p->top_child_starts & ~UINT64_C(0x1111111111111111));
	uint64_t w = 0;

	split |= split >> 1;
	split |= split >> 2;
	for (unsigned s = 0; s < 16; s++)
		if (!((split >> (4 * s)) & 1))
			w |= (uint64_t)p->code_of[v[4 * s]] << (4 * s);
	return w;
}

// The top index of the first rule from *i on longer than tb bits (*i moves to it), or SIZE_MAX.
// The shorter ones are in the top level's values already.
static size_t next_long(const struct molt_key *k, size_t n, size_t *i, unsigned tb)
{
	while (*i < n && k[*i].plen <= tb)
		(*i)++;
	return *i < n ? (size_t)(k[*i].hi >> (64 - tb)) : SIZE_MAX;
}

// The coded top level (p->coded_top) over top, the values at depth top_bits: per /14, the code
// of each of its 64 /20s, and a sibling group of the nodes of those with code 0.
static void coded_walk(struct molt_plan *p, const struct molt_key *k, size_t n, const uint32_t *top)
{
	const unsigned tb = p->top_bits;
	size_t i = 0, next = next_long(k, n, &i, tb);

	for (size_t blk = 0; blk < (size_t)1 << MOLT4_BLOCK_BITS && p->err == 0; blk++) {
		struct bnode kids[64];
		struct molt_node enc[64];
		uint64_t map = 0, sub[64];
		uint32_t words[64 / 8] = { 0 };
		unsigned nk = 0;

		for (unsigned c = 0; c < 64; c++) {
			size_t t = blk << MOLT_STRIDE | c, end;
			uint32_t v = top[t];
			bool node = false;

			if (t == next) {
				for (end = i;
				     end < n && k[end].plen > tb && k[end].hi >> (64 - tb) == t;)
					end++;
				node = build_node(p, k + i, end - i, tb, v, &kids[nk], &v);
				if (p->err != 0)
					return;
				i = end;
				next = next_long(k, n, &i, tb);
			}
			unsigned code = node ? 0 : p->code_of[v];

			if (code == 0) {
				sub[nk] = node && p->emit ? sub_codes(p) : 0;
				if (!node)
					kids[nk] = uniform_node(v);
				map |= BIT(c);
				nk++;
			}
			words[c / 8] |= code << (c % 8 * 4);
		}
		uint32_t g = NONE;

		if (nk > 0) {
			for (unsigned j = 0; j < nk; j++)
				enc[j] = encode(p, &kids[j]);
			g = put_group(p, enc, nk);
		}
		if (!p->emit)
			continue;
		for (unsigned j = 0; j < nk; j++)
			p->sub[group_at(p, g) + j] = sub[j] ^ p->sub_key;
		for (unsigned w = 0; w < 64 / 8; w++)
			p->codes[blk * 8 + w] = words[w] ^ p->code_key;
		p->rank[blk] = (struct molt_rank){
			.map = map,
			.base = group_at(p, g) ^ (uint32_t)p->node_key,
		};
	}
}

// The sizing walk's top level (4 MiB for IPv4): mapped on huge pages if the kernel gives them
// and faulted in at once, where malloc's 4 KiB pages, each faulted on first write, took longer
// than painting them. NULL on failure.
static uint32_t *map_top_vals(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE); // advice only
#ifdef MADV_POPULATE_WRITE
	(void)madvise(p, len, MADV_POPULATE_WRITE);
#endif
	return p;
}

// top[t]: the value of the longest of k[0..n) no longer than tb bits that covers t (MOLT_MISS
// if none).
static void paint_top(uint32_t *top, unsigned tb, const struct molt_key *k, size_t n)
{
	for (size_t i = 0; i < (size_t)1 << tb; i++)
		top[i] = MOLT_MISS;
	for (size_t i = 0; i < n; i++) {
		if (k[i].plen > tb)
			continue;
		size_t t = k[i].hi >> (64 - tb), cnt = (size_t)1 << (tb - k[i].plen);

		for (size_t j = t; j < t + cnt; j++)
			top[j] = k[i].nh;
	}
}

int molt_plan_walk(struct molt_plan *p, const struct molt_key *k, size_t n)
{
	unsigned tb = p->top_bits;
	size_t ntop = (size_t)1 << tb;
	// The writing walk puts top entries in the image, or codes them from the values.
	uint32_t *top = p->emit && !p->coded_top ? p->top : p->top_vals;

	if (top == NULL) {
		top = p->top_vals = map_top_vals(ntop * sizeof(*top));
		if (top == NULL)
			return -ENOMEM;
	}
	// A coded top level is made from the sizing walk's values, as they are.
	if (!p->emit || !p->coded_top)
		paint_top(top, tb, k, n);
	if (p->coded_top) {
		if (!p->emit && (p->err = choose_codes(p, k, n, top, ntop)) < 0)
			return p->err;
		if (p->coded_top)
			coded_walk(p, k, n, top);
	}
	for (size_t i = 0; i < n && p->err == 0 && !p->coded_top;) {
		if (k[i].plen <= tb) {
			i++;
			continue;
		}
		size_t t = k[i].hi >> (64 - tb), end = i;
		struct bnode node;
		uint32_t u;

		while (end < n && k[end].plen > tb && k[end].hi >> (64 - tb) == t)
			end++;
		if (build_node(p, k + i, end - i, tb, top[t], &node, &u)) {
			struct molt_node e = encode(p, &node);
			uint32_t g = put_group(p, &e, 1);

			top[t] = MOLT_NODE | group_at(p, g);
		} else if (p->err == 0) {
			top[t] = u;
		}
		i = end;
	}
	if (p->err == 0 && (p->n_nodes > MOLT_INDEX_MAX || p->n_leaves > MOLT_INDEX_MAX))
		p->err = -E2BIG;
	if (p->emit && !p->coded_top)
		for (size_t i = 0; i < ntop; i++)
			top[i] = value_enc(p, top[i]);
	return p->err;
}

void molt_plan_free(struct molt_plan *p)
{
	free(p->group_len);
	free(p->run_len);
	// The sizing walk's top level holds next hops: zeroed like everything a build releases.
	if (p->top_vals != NULL) {
		size_t len = ((size_t)1 << p->top_bits) * sizeof(*p->top_vals);

		explicit_bzero(p->top_vals, len);
		munmap(p->top_vals, len);
	}
	// Which next hops the table uses: zeroed too (only the entries set).
	if (p->code_of != NULL)
		for (unsigned c = 1; c < MOLT4_CODES; c++)
			if (p->code_val[c] <= MOLT_MISS)
				p->code_of[p->code_val[c]] = 0;
	free(p->code_of);
	p->code_of = NULL;
	p->group_len = p->run_len = p->top_vals = NULL;
}
