// SPDX-License-Identifier: BSD-3-Clause
// What the IPv4 and IPv6 lookups share: one step through a node.
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
