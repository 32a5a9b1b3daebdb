// SPDX-License-Identifier: BSD-3-Clause
// IPv4 bulk lookup. A burst goes through the trie one level at a time, in batches: every
// address of the batch takes its step at a level (a top entry, then a node per 6 bits) while
// the loads of the next step, prefetched one pass earlier, arrive. So the cache misses of a
// batch overlap, as dir24_8's prefetch ahead overlaps its tbl24 misses, but for every level.
// Within a pass nothing branches on the data: an address that reached its leaf is dropped
// from the pass list by a conditional increment, not by an if.

#include "drivers/molt/molt_lookup.h"

// The 6 bits of a after its first off bits (off < 32; bits past 32 read as zero).
static inline unsigned chunk4(uint32_t a, unsigned off)
{
	return (unsigned)(((uint64_t)a << (32 + off)) >> (64 - MOLT_STRIDE));
}

// One step through node d to child c. For an inline node the step ends with the value itself:
// end is MOLT_INLINE | value and st.leaf is 0 (a leaf the last pass reads and ignores); else
// end is st.leaf, the leaf index.
static inline struct molt_step step4(const struct molt_node *d, unsigned c, uint64_t node_key,
				     uint32_t *end)
{
	struct molt_step st = molt_step(d, c, node_key);
	uint32_t inl = (uint32_t)(d->bases ^ node_key) >> 31;
	// The run of child c: 0-2 in an inline node; in any other node the shift below is masked
	// into range and its result unused.
	unsigned run = (unsigned)__builtin_popcountll(d->leafvec & molt_upto(c)) - 1;
	uint32_t val = (uint32_t)((d->vec ^ node_key) >> ((MOLT_INLINE_BITS * run) & 63)) &
		       ((1u << MOLT_INLINE_BITS) - 1);

	st.is_node &= inl ^ 1;
	st.leaf &= inl - 1;
	*end = inl ? MOLT_INLINE | val : st.leaf;
	return st;
}

static void lookup4_batch(const struct molt_fib *f, const uint32_t *a, uint32_t *out, unsigned m)
{
	const struct molt_node *nodes = f->nodes;
	const uint64_t node_key = f->node_key;
	uint32_t tidx[MOLT_BATCH];
	struct molt_batch b;

	for (unsigned i = 0; i < m; i++)
		tidx[i] = a[i] >> (32 - MOLT4_TOP_BITS);
	molt_top_pass(f, tidx, m, out, &b);
	for (unsigned off = MOLT4_TOP_BITS, live = b.n_deep; live > 0; off += MOLT_STRIDE) {
		unsigned k = 0;

		for (unsigned j = 0; j < live; j++) {
			unsigned i = b.lane[j];
			struct molt_step st = step4(&nodes[b.cur[j]], chunk4(a[i], off), node_key,
						    &b.end[i]);

			b.cur[k] = st.next;
			b.lane[k] = (uint8_t)i;
			k += st.is_node;
			molt_prefetch_next(nodes, f->leaves, st);
		}
		live = k;
	}
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
