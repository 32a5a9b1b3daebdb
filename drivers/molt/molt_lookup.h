// SPDX-License-Identifier: BSD-3-Clause
// What the IPv4 and IPv6 lookups share: the top level, a step through a normal node, the
// prefetch of the next step, and the last pass.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "drivers/molt/molt_priv.h"

// Addresses per batch: enough independent lookups in a pass to cover a cache miss, and lane
// numbers fit a byte.
#define MOLT_BATCH 64

struct molt_step {
	uint32_t next; // child node index, when is_node
	uint32_t leaf; // leaf index, when not
	unsigned is_node; // 0 or 1
};

// Child c of normal node d: both candidate indices are computed, so the caller need not
// branch.
static inline struct molt_step molt_step(const struct molt_node *d, unsigned c, uint64_t node_key)
{
	uint64_t upto = molt_upto(c), vec = d->vec, bases = d->bases ^ node_key;

	return (struct molt_step){
		.next = (uint32_t)bases + (uint32_t)__builtin_popcountll(vec & upto) - 1,
		.leaf = (uint32_t)(bases >> 32) +
			(uint32_t)__builtin_popcountll(d->leafvec & upto) - 1,
		.is_node = (unsigned)(vec >> c) & 1,
	};
}

// Prefetches the node (is_node) or the leaf a step leads to, choosing the address with a mask:
// a conditional here compiles to a branch that mispredicts on every other address.
static inline void molt_prefetch_next(const struct molt_node *nodes, const uint32_t *leaves,
				      struct molt_step st)
{
	uintptr_t m = (uintptr_t)0 - st.is_node;
	uintptr_t a = ((uintptr_t)&nodes[st.next] & m) | ((uintptr_t)&leaves[st.leaf] & ~m);

	__builtin_prefetch((const void *)a);
}

// A batch's lookups past the top level.
struct molt_batch {
	uint32_t cur[MOLT_BATCH]; // the node each live address is at, in pass order
	uint32_t end[MOLT_BATCH]; // by address: its leaf, or MOLT_INLINE | its value (IPv4)
	uint8_t lane[MOLT_BATCH]; // the live addresses, in pass order
	uint8_t deep[MOLT_BATCH]; // the addresses that went past the top level
	unsigned n_deep;
};

// The top level, for the m addresses whose top indices are tidx[]: answers out[i] where the
// top entry is a value, and starts the others at their node, prefetched (an address the top
// answers prefetches node 0 instead, so that nothing branches).
static inline void molt_top_pass(const struct molt_fib *f, const uint32_t *tidx, unsigned m,
				 uint32_t *out, struct molt_batch *b)
{
	const uint32_t *top = f->top;
	unsigned n = 0;

	for (unsigned i = 0; i < m; i++)
		__builtin_prefetch(&top[tidx[i]]);
	for (unsigned i = 0; i < m; i++) {
		uint32_t v = top[tidx[i]] ^ f->key, is_node = v >> 31, node = v & ~MOLT_NODE;

		out[i] = molt_value_out(v);
		__builtin_prefetch(&f->nodes[node & (0u - is_node)]);
		b->cur[n] = node;
		b->deep[n] = (uint8_t)i;
		b->lane[n] = (uint8_t)i;
		n += is_node;
	}
	b->n_deep = n;
}

// The last pass: every address that went past the top level takes its leaf, or its inline
// value (whose lane reads leaf 0 and ignores it, so that nothing branches).
static inline void molt_end_pass(const struct molt_fib *f, const struct molt_batch *b,
				 uint32_t *out)
{
	for (unsigned j = 0; j < b->n_deep; j++) {
		unsigned i = b->deep[j];
		uint32_t e = b->end[i], inl = e >> 31, v = f->leaves[e & (inl - 1)] ^ f->key;

		out[i] = molt_value_out(inl ? e & ~MOLT_INLINE : v);
	}
}
