// SPDX-License-Identifier: BSD-3-Clause
// IPv4 bulk lookup. A burst goes through the trie one level at a time, in batches: every
// address of the batch takes its step at a level (a top entry, then a node per 6 bits) while
// the loads of the next step, prefetched one pass earlier, arrive. So the cache misses of a
// batch overlap, as dir24_8's prefetch ahead overlaps its tbl24 misses, but for every level.
// Within a pass nothing branches on the data: an address that reached its leaf is dropped
// from the pass list by a conditional increment, not by an if.

#include "drivers/molt/molt_lookup.h"

// IPv4 goes at most two nodes past the top level, the second one covering the address's last
// bits: its children are never nodes.
#define DEPTH1 MOLT4_TOP_BITS
#define DEPTH2 (MOLT4_TOP_BITS + MOLT_STRIDE)
static_assert(DEPTH2 + MOLT_STRIDE == 32, "two levels of nodes end IPv4's 32 bits");

// The 6 bits of a after its first off bits.
static inline unsigned chunk4(uint32_t a, unsigned off)
{
	return (a >> (32 - MOLT_STRIDE - off)) & ((1u << MOLT_STRIDE) - 1);
}

// The live addresses at depth off whose node is inline (nearly all) take their value; the
// others stay on the list, in order, for node_pass. Returns how many stay.
static inline unsigned inline_pass(const struct molt_fib *f, const uint32_t *a, uint32_t *out,
				   struct molt_batch *b, unsigned live, unsigned off)
{
	const struct molt_node *nodes = f->nodes;
	const uint32_t key = f->key, plain = MOLT_PLAIN ^ f->key;
	unsigned k = 0;

	for (unsigned j = 0; j < live; j++) {
		unsigned i = b->lane[j];
		uint32_t node = b->cur[j];
		const struct molt_node *d = &nodes[node];
		// Runs that start at or before child c: the bits 0..c of leafvec, shifted to the top.
		unsigned runs = (unsigned)__builtin_popcountll(d->leafvec
							       << (63 - chunk4(a[i], off)));

		// In a node that is not inline, any word of the node: read, unused.
		out[i] = d->words[(runs - 1) & 7] ^ key;
		b->cur[k] = node;
		b->lane[k] = (uint8_t)i;
		k += d->mark == plain;
	}
	return k;
}

// The live addresses at depth off whose node is not inline (its lines still in cache from
// inline_pass): each joins the leaf list or, when may_descend, the next pass. Returns the next
// pass's count.
static inline unsigned node_pass(const struct molt_fib *f, const uint32_t *a, struct molt_batch *b,
				 unsigned live, unsigned off, bool may_descend)
{
	const struct molt_node *nodes = f->nodes;
	const uint64_t node_key = f->node_key;
	unsigned k = 0, nl = b->n_leaf;

	for (unsigned j = 0; j < live; j++) {
		unsigned i = b->lane[j];
		struct molt_step st = molt_step(&nodes[b->cur[j]], chunk4(a[i], off), node_key);

		b->leaf[nl] = st.leaf;
		b->leaf_lane[nl] = (uint8_t)i;
		nl += st.is_leaf;
		if (may_descend) {
			b->cur[k] = st.next;
			b->lane[k] = (uint8_t)i;
			k += st.is_node;
		}
	}
	b->n_leaf = nl;
	return k;
}

static void lookup4_batch(const struct molt_fib *f, const uint32_t *a, uint32_t *out, unsigned m)
{
	struct molt_batch b;

	molt_top_pass(f, a, 32 - MOLT4_TOP_BITS, m, out, &b);
	unsigned live = inline_pass(f, a, out, &b, b.n_live, DEPTH1);
	live = node_pass(f, a, &b, live, DEPTH1, true);
	// Few addresses go on (rules longer than /26) or end in a leaf (nodes of more than
	// MOLT_INLINE_MAX runs): their loads are prefetched here, apart, rather than by a masked
	// prefetch in every step.
	for (unsigned j = 0; j < live; j++)
		__builtin_prefetch(&f->nodes[b.cur[j]]);
	for (unsigned j = 0; j < b.n_leaf; j++)
		__builtin_prefetch(&f->leaves[b.leaf[j]]);
	live = inline_pass(f, a, out, &b, live, DEPTH2);
	node_pass(f, a, &b, live, DEPTH2, false);
	molt_end_pass(f, &b, out);
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
