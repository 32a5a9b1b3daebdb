// SPDX-License-Identifier: BSD-3-Clause
// What the IPv4 and IPv6 lookups share: the top level, a step through a normal node, the
// prefetch of the next step, and the last pass.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drivers/molt/molt_priv.h"

#ifdef __SSE4_1__
#include <smmintrin.h>
#endif

// Addresses per batch: enough independent lookups in a pass to cover a cache miss, and lane
// numbers fit a byte.
#define MOLT_BATCH 64

struct molt_step {
	uint32_t next; // child node index, when is_node
	uint32_t leaf; // leaf index, when is_leaf
	uint32_t val; // the value, when neither (an IPv6 skip node held it)
	unsigned is_node; // 0 or 1
	unsigned is_leaf; // 0 or 1
};

// Child c of normal node d: both candidate indices are computed, so the caller need not
// branch.
static inline struct molt_step molt_step(const struct molt_node *d, unsigned c, uint64_t node_key)
{
	uint64_t upto = molt_upto(c), vec = d->vec, bases = d->bases ^ node_key;
	unsigned is_node = (unsigned)(vec >> c) & 1;

	return (struct molt_step){
		.next = (uint32_t)bases + (uint32_t)__builtin_popcountll(vec & upto) - 1,
		.leaf = (uint32_t)(bases >> 32) +
			(uint32_t)__builtin_popcountll(d->leafvec & upto) - 1,
		.is_node = is_node,
		.is_leaf = is_node ^ 1,
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
	uint8_t lane[MOLT_BATCH]; // the live addresses, in pass order
	uint32_t leaf[MOLT_BATCH]; // the leaf of each address that ends in one, in ending order
	uint8_t leaf_lane[MOLT_BATCH]; // those addresses
	unsigned n_live; // addresses past the top level
	unsigned n_leaf;
};

// Whether a decoded top entry is a node: MOLT_NODE set, and not FIB_NH_MISS (as a signed
// number: below -1).
static inline unsigned molt_top_is_node(uint32_t v)
{
	return (int32_t)v < -1;
}

#ifdef __SSE4_1__
// For each 4-bit mask of lanes, the pshufb control that moves the 32-bit lanes it selects to
// the front, in order.
#define PACK_LANE(l) \
	(uint8_t)(4 * (l)), (uint8_t)(4 * (l) + 1), (uint8_t)(4 * (l) + 2), (uint8_t)(4 * (l) + 3)
#define PACK_NONE 0x80, 0x80, 0x80, 0x80
static const uint8_t molt_pack32[16][16] __attribute__((aligned(16))) = {
	{ PACK_NONE, PACK_NONE, PACK_NONE, PACK_NONE },
	{ PACK_LANE(0), PACK_NONE, PACK_NONE, PACK_NONE },
	{ PACK_LANE(1), PACK_NONE, PACK_NONE, PACK_NONE },
	{ PACK_LANE(0), PACK_LANE(1), PACK_NONE, PACK_NONE },
	{ PACK_LANE(2), PACK_NONE, PACK_NONE, PACK_NONE },
	{ PACK_LANE(0), PACK_LANE(2), PACK_NONE, PACK_NONE },
	{ PACK_LANE(1), PACK_LANE(2), PACK_NONE, PACK_NONE },
	{ PACK_LANE(0), PACK_LANE(1), PACK_LANE(2), PACK_NONE },
	{ PACK_LANE(3), PACK_NONE, PACK_NONE, PACK_NONE },
	{ PACK_LANE(0), PACK_LANE(3), PACK_NONE, PACK_NONE },
	{ PACK_LANE(1), PACK_LANE(3), PACK_NONE, PACK_NONE },
	{ PACK_LANE(0), PACK_LANE(1), PACK_LANE(3), PACK_NONE },
	{ PACK_LANE(2), PACK_LANE(3), PACK_NONE, PACK_NONE },
	{ PACK_LANE(0), PACK_LANE(2), PACK_LANE(3), PACK_NONE },
	{ PACK_LANE(1), PACK_LANE(2), PACK_LANE(3), PACK_NONE },
	{ PACK_LANE(0), PACK_LANE(1), PACK_LANE(2), PACK_LANE(3) },
};
#undef PACK_LANE
#undef PACK_NONE

// For each 4-bit mask of lanes, the lane numbers it selects, in order, one per byte.
#define L(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
static const uint32_t molt_pack_lanes[16] = {
	0,
	L(0, 0, 0, 0),
	L(1, 0, 0, 0),
	L(0, 1, 0, 0),
	L(2, 0, 0, 0),
	L(0, 2, 0, 0),
	L(1, 2, 0, 0),
	L(0, 1, 2, 0),
	L(3, 0, 0, 0),
	L(0, 3, 0, 0),
	L(1, 3, 0, 0),
	L(0, 1, 3, 0),
	L(2, 3, 0, 0),
	L(0, 2, 3, 0),
	L(1, 2, 3, 0),
	L(0, 1, 2, 3),
};
#undef L

// The decoded top entries of the addresses whose top indices are src[i..i+3] >> shift, stored
// in out[i..i+3]; *mask: bit k set if entry i + k is a node.
static inline __m128i molt_top4_vals(const uint32_t *top, __m128i key, const uint32_t *src,
				     unsigned shift, unsigned i, uint32_t *out, unsigned *mask)
{
	__m128i t = _mm_srli_epi32(_mm_loadu_si128((const __m128i *)(src + i)), (int)shift);
	__m128i v = _mm_set_epi32((int)top[(uint32_t)_mm_extract_epi32(t, 3)],
				  (int)top[(uint32_t)_mm_extract_epi32(t, 2)],
				  (int)top[(uint32_t)_mm_extract_epi32(t, 1)],
				  (int)top[(uint32_t)_mm_cvtsi128_si32(t)]);
	v = _mm_xor_si128(v, key);
	_mm_storeu_si128((__m128i *)(out + i), v);
	// Nodes: below -1 as signed numbers (molt_top_is_node).
	*mask = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(_mm_set1_epi32(-1), v)));
	return v;
}

// Four top entries at once (molt_top4_vals), the nodes among them appended to the live list
// (4 entries stored past its end, which the next ones overwrite: n <= i keeps them in the
// arrays). Returns the new length of the list.
static inline unsigned molt_top4(const uint32_t *top, __m128i key, const uint32_t *src,
				 unsigned shift, unsigned i, uint32_t *out, struct molt_batch *b,
				 unsigned n)
{
	unsigned mask;
	__m128i v = molt_top4_vals(top, key, src, shift, i, out, &mask);
	__m128i idx = _mm_andnot_si128(_mm_set1_epi32((int)MOLT_NODE), v);
	__m128i ctl = _mm_load_si128((const __m128i *)molt_pack32[mask]);
	_mm_storeu_si128((__m128i *)(b->cur + n), _mm_shuffle_epi8(idx, ctl));
	// Lane numbers below 64: adding i to each byte never carries.
	uint32_t lanes = molt_pack_lanes[mask] + i * 0x01010101u;
	memcpy(b->lane + n, &lanes, sizeof(lanes));
	return n + (unsigned)__builtin_popcount(mask);
}
#endif

// Prefetches the top entries of the m addresses whose top indices are src[i] >> shift.
static inline void molt_top_prefetch(const uint32_t *top, const uint32_t *src, unsigned shift,
				     unsigned m)
{
	const uint32_t *end = src + m;

	for (; src + 4 <= end; src += 4) {
		__builtin_prefetch(&top[src[0] >> shift]);
		__builtin_prefetch(&top[src[1] >> shift]);
		__builtin_prefetch(&top[src[2] >> shift]);
		__builtin_prefetch(&top[src[3] >> shift]);
	}
	for (; src < end; src++)
		__builtin_prefetch(&top[*src >> shift]);
}

// The top level, for the m addresses whose top indices are src[i] >> shift: answers out[i]
// where the top entry is a value (and writes an unused value where it is a node), and starts
// the others at their node, prefetched.
static inline void molt_top_pass(const struct molt_fib *f, const uint32_t *src, unsigned shift,
				 unsigned m, uint32_t *out, struct molt_batch *b)
{
	const uint32_t *top = f->top;
	const uint32_t key = f->key;
	unsigned n = 0, i = 0;

	molt_top_prefetch(top, src, shift, m);
#ifdef __SSE4_1__
	__m128i vkey = _mm_set1_epi32((int)key);

	for (; i + 4 <= m; i += 4)
		n = molt_top4(top, vkey, src, shift, i, out, b, n);
#endif
	for (; i < m; i++) {
		uint32_t v = top[src[i] >> shift] ^ key;

		out[i] = v;
		b->cur[n] = v & ~MOLT_NODE;
		b->lane[n] = (uint8_t)i;
		n += molt_top_is_node(v);
	}
	// Only the addresses that go on: a prefetch in the loop above, masked for the others,
	// cost more than this loop.
	for (unsigned j = 0; j < n; j++)
		__builtin_prefetch(&f->nodes[b->cur[j]]);
	b->n_live = n;
	b->n_leaf = 0;
}

// Address i takes step st of a pass, as the k-th address of the next pass if it goes on to a
// node. A step that ends with a value answers out[i] with it; any other writes out[i] too (a
// value unused), and is answered later: by its node, or by its leaf in the last pass. Returns
// the next pass's count.
static inline unsigned molt_advance(struct molt_batch *b, unsigned i, unsigned k,
				    struct molt_step st, const struct molt_node *nodes,
				    const uint32_t *leaves, uint32_t *out)
{
	out[i] = molt_value_out(st.val);
	b->leaf[b->n_leaf] = st.leaf;
	b->leaf_lane[b->n_leaf] = (uint8_t)i;
	b->n_leaf += st.is_leaf;
	b->cur[k] = st.next;
	b->lane[k] = (uint8_t)i;
	molt_prefetch_next(nodes, leaves, st);
	return k + st.is_node;
}

// The last pass: the addresses that ended in a leaf read it (most end before: at the top
// level, or in a node that holds its values).
static inline void molt_end_pass(const struct molt_fib *f, const struct molt_batch *b,
				 uint32_t *out)
{
	for (unsigned j = 0; j < b->n_leaf; j++)
		out[b->leaf_lane[j]] = f->leaves[b->leaf[j]] ^ f->key;
}
