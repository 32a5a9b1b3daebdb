// SPDX-License-Identifier: BSD-3-Clause
// The memory image of a molt FIB, shared by the builder and the lookups (nothing outside
// drivers/molt/ reads it). One mapping holds, in order and 64-byte aligned:
//
//   struct molt_fib   header: family, seed, key, counts, where the arrays start
//   top[2^top_bits]   uint32_t, one per value of the address's first top_bits bits
//   nodes[]           struct molt_node, stride-6 multibit nodes
//   leaves[]          uint32_t next hops, run-length compressed per node
//
// A top entry or a leaf holds a "value" XORed with the per-build key, and a node's base indices
// are XORed with the per-build node_key, so that no page is alike in two builds. A value is a
// next hop (< FIB_NH_MAX) or MOLT_MISS (no rule covers the address); a top entry holds a next
// hop, FIB_NH_MISS itself or MOLT_NODE | index of a node (never all ones: indices are < 2^31 - 1),
// so that the lookup returns the entry as it reads it.
//
// A node covers the 6 address bits after its depth: child c (0..63) is either a node (bit c of
// vec) or a leaf. The node children of one node are contiguous (a sibling group), the one of
// child c at node_base + popcount(vec & bits 0..c) - 1. Among the leaf children, a run of equal
// next hops is stored once: bit c of leafvec marks the leaf child where a new run starts, and
// the leaf of child c is at leaf_base + popcount(leafvec & bits 0..c) - 1. Bits past the end
// of the address (IPv4's last node, IPv6's last node) read as zero, so those children repeat
// their neighbour's value and compress away.
//
// IPv4 only: a node with no node child and at most 6 runs of leaves (nearly all of them: a /20
// with a few /24s) holds the runs' values itself, 21 bits each, first run lowest: runs 0-2 in
// vec, runs 3-5 in the low 63 bits of bases, whose top bit (MOLT_INLINE_NODE) marks the node;
// both words XORed with node_key. A miss is MOLT_INLINE_MISS, all ones, so that the value
// sign-extends to FIB_NH_MISS. The lookup ends there, without reading a leaf.
//
// IPv6 only: a skip node (MOLT_SKIP in node_base) stands for a chain of nodes that each have
// one node child and one run of leaves, all of one value, possibly ending in a node whose
// leaves are all of one value but for an aligned block of another: an IPv6 table is mostly
// such chains, between an allocation and a lone more-specific. vec holds the address bits of
// the chain's path (left-aligned from the node's depth), leafvec a mask of as many bits (up
// to MOLT_SKIP_MAX). An address with those bits continues at node node_base & ~MOLT_SKIP, as
// deep as the mask is long, or, with MOLT_SKIP_LEAF in leaf_base, has the value
// node_base & ~MOLT_SKIP; any other address has the value leaf_base & ~MOLT_SKIP_LEAF. (A
// skip node holds values, not leaf indices: they are plain, its bases being XORed anyway.)
#pragma once

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "drivers/molt/molt.h"

#define MOLT_STRIDE 6
// Top levels: IPv4's 20 bits (4 MiB) put most /24s in the first node and answer more
// addresses at the top than 18 (measured faster with gen-routes' 600k table, for 4.5 MB more);
// IPv6 measured the same with 16 and 20.
#define MOLT4_TOP_BITS 20
#define MOLT6_TOP_BITS 16
#define MOLT_MAGIC 0x6d6f6c74u // "molt"

#define MOLT_NODE 0x80000000u // top entry: a node index follows in the low 31 bits
#define MOLT_MISS FIB_NH_MAX // a value that decodes to FIB_NH_MISS
#define MOLT_INDEX_MAX 0x7fffffffu // node and leaf indices are 31-bit
#define MOLT_SKIP 0x80000000u // node_base of a skip node
#define MOLT_SKIP_LEAF 0x80000000u // leaf_base of a skip node whose path ends in a leaf
#define MOLT_SKIP_MAX 60 // bits a skip node covers at most (10 nodes of a chain)
#define MOLT_INLINE_NODE (UINT64_C(1) << 63) // bases of an IPv4 node that holds its values
#define MOLT_INLINE_BITS 21 // bits of one inline value (a next hop or MOLT_INLINE_MISS)
#define MOLT_INLINE_PER_WORD 3 // inline values in vec, and in bases
#define MOLT_INLINE_MAX 6 // values an inline node holds
#define MOLT_INLINE_MISS ((1u << MOLT_INLINE_BITS) - 1)

static_assert(FIB_NH_MAX == 1u << 20, "molt_value_out decodes with a shift by 20");

struct molt_node {
	uint64_t vec; // bit c: child c is a node
	uint64_t leafvec; // bit c: a run of equal leaves starts at leaf child c
	// node_base | leaf_base << 32, XORed with node_key
	uint64_t bases;
};

struct molt_fib {
	uint32_t magic;
	uint8_t family; // 4 or 6
	uint8_t top_bits;
	uint32_t key; // XORed into every top entry and leaf
	uint64_t node_key; // XORed into every node's bases
	uint64_t seed;
	uint64_t n_rules;
	uint64_t n_nodes; // skip nodes included
	uint64_t n_skips;
	uint64_t n_inline;
	uint64_t n_leaves;
	size_t map_len; // bytes mapped, from the header's own address
	const uint32_t *top;
	const struct molt_node *nodes;
	const uint32_t *leaves;
};

// A value (MOLT_MISS or a next hop) as the lookup API returns it: MOLT_MISS is the only value
// with bit 20 set, and turns into all ones (FIB_NH_MISS) without a branch.
static inline uint32_t molt_value_out(uint32_t v)
{
	return v | (0u - (v >> 20));
}

// Bits 0..c of a 64-bit map (c = 63 wraps to all ones).
static inline uint64_t molt_upto(unsigned c)
{
	return (UINT64_C(2) << c) - 1;
}

// The builder's common entry point: rules already converted, validated and sorted.
struct molt_key {
	uint64_t hi; // first 64 address bits (IPv4: the address in the upper 32)
	uint64_t lo;
	uint32_t nh;
	uint8_t plen;
};

struct molt_fib *molt_build_keys(uint8_t family, const struct molt_key *k, size_t n, uint64_t seed,
				 unsigned flags);

// Sorts k[0..n) by (hi, lo, plen) (an LSD radix sort; tmp has room for n keys). Returns the
// sorted array, which is k or tmp.
struct molt_key *molt_sort_keys(struct molt_key *k, struct molt_key *tmp, size_t n);
