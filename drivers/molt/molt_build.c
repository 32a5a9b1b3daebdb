// SPDX-License-Identifier: BSD-3-Clause
// One-pass construction of the trie from a sorted rule list, into scratch arrays; then the
// placement (molt_image.c) writes them into the read-only mapping in a seeded order.
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

#include "drivers/molt/molt_build.h"

// Grows *arr (of *cap elements of size sz) to hold at least need elements. Not realloc: the
// old array held routes and is zeroed before it is freed, like everything a build releases.
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t c = *cap ? *cap : 1024;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = malloc(c * sz);
	if (p == NULL)
		return -ENOMEM;
	if (*arr != NULL) {
		memcpy(p, *arr, *cap * sz);
		explicit_bzero(*arr, *cap * sz);
		free(*arr);
	}
	*arr = p;
	*cap = c;
	return 0;
}

// The 6 bits of k after its first off bits (off <= 124; bits past the address read as zero).
static inline unsigned chunk(const struct molt_key *k, unsigned off)
{
	unsigned __int128 a = (unsigned __int128)k->hi << 64 | k->lo;

	return (unsigned)((a << off) >> (128 - MOLT_STRIDE));
}

// Appends a leaf run (vals[c] for every c not in vec, equal neighbours once) and returns its
// run index, or MOLT_NONE when every child is a node. *leafvec gets the run starts.
static uint32_t add_leaves(struct molt_scratch *s, const uint32_t *vals, uint64_t vec,
			   uint64_t *leafvec)
{
	uint32_t start = (uint32_t)s->n_leaves, prev = 0;
	uint64_t lv = 0;
	bool first = true;

	*leafvec = 0;
	if (vec == UINT64_MAX)
		return MOLT_NONE;
	if (grow((void **)&s->leaves, &s->cap_leaves, s->n_leaves + 64, sizeof(*s->leaves)) < 0 ||
	    grow((void **)&s->runs, &s->cap_runs, s->n_runs + 1, sizeof(*s->runs)) < 0) {
		s->err = -ENOMEM;
		return MOLT_NONE;
	}
	for (unsigned c = 0; c < 64; c++) {
		if (vec >> c & 1)
			continue;
		if (first || vals[c] != prev) {
			lv |= UINT64_C(1) << c;
			s->leaves[s->n_leaves++] = vals[c];
			prev = vals[c];
			first = false;
		}
	}
	*leafvec = lv;
	s->runs[s->n_runs].start = start;
	s->runs[s->n_runs].len = (uint32_t)s->n_leaves - start;
	return (uint32_t)s->n_runs++;
}

// Appends a sibling group of n nodes and returns its index.
static uint32_t add_group(struct molt_scratch *s, const struct molt_tnode *kids, unsigned n)
{
	if (grow((void **)&s->nodes, &s->cap_nodes, s->n_nodes + n, sizeof(*s->nodes)) < 0 ||
	    grow((void **)&s->groups, &s->cap_groups, s->n_groups + 1, sizeof(*s->groups)) < 0) {
		s->err = -ENOMEM;
		return MOLT_NONE;
	}
	memcpy(s->nodes + s->n_nodes, kids, n * sizeof(*kids));
	s->groups[s->n_groups].start = (uint32_t)s->n_nodes;
	s->groups[s->n_groups].len = n;
	s->n_nodes += n;
	return (uint32_t)s->n_groups++;
}

// End of the slice of k[i..n) nested in the child of k[i] at depth off: the rules longer than
// off + MOLT_STRIDE whose chunk at off is c.
static size_t child_end(const struct molt_key *k, size_t i, size_t n, unsigned off, unsigned c)
{
	while (i < n && k[i].plen > off + MOLT_STRIDE && chunk(&k[i], off) == c)
		i++;
	return i;
}

// Builds the node for a region at depth off whose longest covering rule gives def, from k[0..n)
// (rules inside the region, each longer than off). Returns false when the region turns out to
// be uniform (every address maps to *uniform): the parent keeps a leaf instead of a node.
static bool build_node(struct molt_scratch *s, const struct molt_key *k, size_t n, unsigned off,
		       uint32_t def, struct molt_tnode *out, uint32_t *uniform)
{
	struct molt_tnode kids[64];
	uint32_t vals[64];
	unsigned nk = 0;
	uint64_t vec = 0;

	for (unsigned c = 0; c < 64; c++)
		vals[c] = def;
	for (size_t i = 0; i < n; i++) {
		if (k[i].plen > off + MOLT_STRIDE)
			continue;
		unsigned c = chunk(&k[i], off), cnt = 1u << (off + MOLT_STRIDE - k[i].plen);

		for (unsigned j = c; j < c + cnt; j++)
			vals[j] = k[i].nh;
	}
	for (size_t i = 0; i < n && s->err == 0;) {
		if (k[i].plen <= off + MOLT_STRIDE) {
			i++;
			continue;
		}
		unsigned c = chunk(&k[i], off);
		size_t end = child_end(k, i, n, off, c);
		uint32_t u;

		if (build_node(s, k + i, end - i, off + MOLT_STRIDE, vals[c], &kids[nk], &u)) {
			vec |= UINT64_C(1) << c;
			nk++;
		} else {
			vals[c] = u;
		}
		i = end;
	}
	if (s->err != 0)
		return false;
	out->vec = vec;
	out->run = add_leaves(s, vals, vec, &out->leafvec);
	if (vec == 0 && __builtin_popcountll(out->leafvec) == 1) {
		// One run: drop it again (it is the last one added) and let the parent hold a leaf.
		s->n_leaves -= s->runs[--s->n_runs].len;
		*uniform = vals[0];
		return false;
	}
	out->group = nk ? add_group(s, kids, nk) : MOLT_NONE;
	return s->err == 0;
}

int molt_scratch_build(struct molt_scratch *s, const struct molt_key *k, size_t n,
		       unsigned top_bits)
{
	size_t ntop = (size_t)1 << top_bits;

	s->top_bits = top_bits;
	s->top = malloc(ntop * sizeof(*s->top));
	if (s->top == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ntop; i++)
		s->top[i] = MOLT_MISS;
	// Rough sizes for an Internet-like table, so that few reallocations happen.
	if (grow((void **)&s->nodes, &s->cap_nodes, n / 2, sizeof(*s->nodes)) < 0 ||
	    grow((void **)&s->groups, &s->cap_groups, n / 2, sizeof(*s->groups)) < 0 ||
	    grow((void **)&s->leaves, &s->cap_leaves, n * 2, sizeof(*s->leaves)) < 0 ||
	    grow((void **)&s->runs, &s->cap_runs, n / 2, sizeof(*s->runs)) < 0)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		if (k[i].plen > top_bits)
			continue;
		size_t t = k[i].hi >> (64 - top_bits), cnt = (size_t)1 << (top_bits - k[i].plen);

		for (size_t j = t; j < t + cnt; j++)
			s->top[j] = k[i].nh;
	}
	for (size_t i = 0; i < n && s->err == 0;) {
		if (k[i].plen <= top_bits) {
			i++;
			continue;
		}
		size_t t = k[i].hi >> (64 - top_bits), end = i;
		struct molt_tnode node;
		uint32_t u;

		while (end < n && k[end].plen > top_bits && k[end].hi >> (64 - top_bits) == t)
			end++;
		if (build_node(s, k + i, end - i, top_bits, s->top[t], &node, &u)) {
			uint32_t g = add_group(s, &node, 1);

			s->top[t] = MOLT_NODE | g;
		} else if (s->err == 0) {
			s->top[t] = u;
		}
		i = end;
	}
	if (s->err == 0 && (s->n_nodes > MOLT_INDEX_MAX || s->n_leaves > MOLT_INDEX_MAX))
		s->err = -E2BIG;
	return s->err;
}

// explicit_bzero: a memset right before free may be optimised away.
static void scrub_free(void *p, size_t len)
{
	if (p != NULL)
		explicit_bzero(p, len);
	free(p);
}

void molt_scratch_free(struct molt_scratch *s)
{
	scrub_free(s->top, s->top ? ((size_t)1 << s->top_bits) * sizeof(*s->top) : 0);
	scrub_free(s->nodes, s->cap_nodes * sizeof(*s->nodes));
	scrub_free(s->groups, s->cap_groups * sizeof(*s->groups));
	scrub_free(s->leaves, s->cap_leaves * sizeof(*s->leaves));
	scrub_free(s->runs, s->cap_runs * sizeof(*s->runs));
	memset(s, 0, sizeof(*s));
}
