// SPDX-License-Identifier: BSD-3-Clause
// IPv4 bulk lookup. A burst goes through the trie one level at a time, in batches of 64: every
// address of the batch takes its step at a level (a top entry, then a node per 6 bits) while
// the loads of the next step, prefetched one pass earlier, arrive. So the cache misses of a
// batch overlap, as dir24_8's prefetch ahead overlaps its tbl24 misses, but for every level.
//
// The common paths do not branch on the data: the top pass answers every address whose top
// entry is a value and notes the others in a 64-bit mask; the node pass walks that mask and
// answers each from its node's inline words (nearly every node at depth 20 is inline). The
// few addresses whose node is not inline (rules longer than /26, or more than
// MOLT_INLINE_MAX runs under one /20) take a branch, rare enough to be predicted, onto the
// lists of a last, general pass.

#include "drivers/molt/molt_lookup.h"

// IPv4 goes at most two nodes past the top level, the second one covering the address's last
// bits: its children are never nodes.
#define DEPTH1 MOLT4_TOP_BITS
#define DEPTH2 (MOLT4_TOP_BITS + MOLT_STRIDE)
static_assert(DEPTH2 + MOLT_STRIDE == 32, "two levels of nodes end IPv4's 32 bits");
static_assert(MOLT_BATCH == 64, "a batch's nodes are noted in a 64-bit mask");

// The 6 bits of a after its first off bits.
static inline unsigned chunk4(uint32_t a, unsigned off)
{
	return (a >> (32 - MOLT_STRIDE - off)) & ((1u << MOLT_STRIDE) - 1);
}

// Child c's value in node d if d is inline; in a node that is not, any word of the node (read,
// unused).
static inline uint32_t inline_value(const struct molt_node *d, unsigned c, uint32_t key)
{
	// Runs that start at or before child c: bits 0..c of leafvec, shifted to the top.
	unsigned runs = (unsigned)__builtin_popcountll(d->leafvec << (63 - c));

	return d->words[(runs - 1) & 7] ^ key;
}

// The top level for a[0..m): out[i] is its top entry, decoded (a value, or MOLT_NODE | node
// index). Returns the mask of the addresses whose entry is a node.
static inline uint64_t top_pass4(const uint32_t *top, uint32_t key, const uint32_t *a,
				 uint32_t *out, unsigned m)
{
	const unsigned shift = 32 - MOLT4_TOP_BITS;
	uint64_t live = 0;
	unsigned i = 0;

	molt_top_prefetch(top, a, shift, m);
#ifdef __SSE4_1__
	__m128i vkey = _mm_set1_epi32((int)key);

	for (; i + 4 <= m; i += 4) {
		unsigned mask;

		molt_top4_vals(top, vkey, a, shift, i, out, &mask);
		live |= (uint64_t)mask << i;
	}
#endif
	for (; i < m; i++) {
		uint32_t v = top[a[i] >> shift] ^ key;

		out[i] = v;
		live |= (uint64_t)molt_top_is_node(v) << i;
	}
	return live;
}

// Addresses whose node is not inline: those that go on to a node at depth DEPTH2, and those
// that end in a leaf.
struct rest4 {
	uint32_t next[MOLT_BATCH];
	uint8_t next_lane[MOLT_BATCH];
	uint32_t leaf[MOLT_BATCH];
	uint8_t leaf_lane[MOLT_BATCH];
	unsigned n_next, n_leaf;
};

// Address i's step through node d, which is not inline, at child c.
static inline void plain_step(const struct molt_fib *f, const struct molt_node *d, unsigned c,
			      unsigned i, struct rest4 *r)
{
	struct molt_step st = molt_step(d, c, f->node_key);

	if (st.is_node) {
		r->next[r->n_next] = st.next;
		r->next_lane[r->n_next++] = (uint8_t)i;
	} else {
		r->leaf[r->n_leaf] = st.leaf;
		r->leaf_lane[r->n_leaf++] = (uint8_t)i;
	}
}

// The addresses of r: the nodes at depth DEPTH2 (inline, or not: then to a leaf), then the
// leaves.
static void rest_pass(const struct molt_fib *f, const uint32_t *a, uint32_t *out, struct rest4 *r)
{
	const struct molt_node *nodes = f->nodes;
	const uint32_t key = f->key, plain = MOLT_PLAIN ^ f->key;

	for (unsigned j = 0; j < r->n_next; j++)
		__builtin_prefetch(&nodes[r->next[j]]);
	for (unsigned j = 0; j < r->n_leaf; j++)
		__builtin_prefetch(&f->leaves[r->leaf[j]]);
	for (unsigned j = 0; j < r->n_next; j++) {
		unsigned i = r->next_lane[j], c = chunk4(a[i], DEPTH2);
		const struct molt_node *d = &nodes[r->next[j]];

		out[i] = inline_value(d, c, key);
		if (d->mark == plain) {
			plain_step(f, d, c, i, r);
			__builtin_prefetch(&f->leaves[r->leaf[r->n_leaf - 1]]);
		}
	}
	for (unsigned j = 0; j < r->n_leaf; j++)
		out[r->leaf_lane[j]] = f->leaves[r->leaf[j]] ^ key;
}

static void lookup4_batch(const struct molt_fib *f, const uint32_t *a, uint32_t *out, unsigned m)
{
	const struct molt_node *nodes = f->nodes;
	const uint32_t key = f->key, plain = MOLT_PLAIN ^ f->key;
	uint64_t live = top_pass4(f->top, key, a, out, m);
	struct rest4 r;

	for (uint64_t x = live; x != 0; x &= x - 1)
		__builtin_prefetch(&nodes[out[__builtin_ctzll(x)] & ~MOLT_NODE]);
	r.n_next = r.n_leaf = 0;
	for (uint64_t x = live; x != 0; x &= x - 1) {
		unsigned i = (unsigned)__builtin_ctzll(x), c = chunk4(a[i], DEPTH1);
		const struct molt_node *d = &nodes[out[i] & ~MOLT_NODE];

		out[i] = inline_value(d, c, key);
		if (__builtin_expect(d->mark == plain, 0))
			plain_step(f, d, c, i, &r);
	}
	if (r.n_next + r.n_leaf > 0)
		rest_pass(f, a, out, &r);
}

void molt4_lookup_bulk(const struct molt_fib *f, const uint32_t *addrs, uint32_t *nh, unsigned n)
{
	while (n > 0) {
		unsigned m = n < MOLT_BATCH ? n : MOLT_BATCH;

		lookup4_batch(f, addrs, nh, m);
		addrs += m;
		nh += m;
		n -= m;
	}
}
