// SPDX-License-Identifier: BSD-3-Clause
// The memory image of a molt FIB, shared by the builder and the lookups (nothing outside
// drivers/molt/ reads it). One mapping holds, in order and 64-byte aligned:
//
//   struct molt_fib   header: family, seed, keys, counts, where the arrays start (IPv4: and
//                     the value of each code)
//   top level         IPv6: top[2^16], uint32_t, one per value of the address's first 16 bits
//                     IPv4: codes[2^20], 4 bits each, one per /20 (see below), in uint32_t
//                     words, and rank[2^14], struct molt_rank, one per /14
//   nodes[]           struct molt_node, stride-6 multibit nodes, 32 bytes (one line each)
//   sub[]             IPv4: uint64_t, 16 codes, one per /24, for each node at depth 20
//   leaves[]          uint32_t next hops, run-length compressed per node
//
// A top entry, a leaf or an inline value holds a "value" XORed with the per-build key, and a
// node's base indices are XORed with the per-build node_key, so that no page is alike in two
// builds. A value is a next hop (< FIB_NH_MAX) or FIB_NH_MISS (no rule covers the address; in
// the builder and in a skip node's 31-bit fields, MOLT_MISS); a top entry (IPv6) holds a value or
// MOLT_NODE | index of a node (never all ones: indices are < 2^31 - 1), so that the lookup
// returns the entry as it reads it.
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
// with a few /24s) holds the runs' values itself, in words[0..5] (run r in words[r]; runs past
// the last repeat it), so the lookup ends there, without reading a leaf: words[run] where run
// is popcount(leafvec & bits 0..c) - 1. Every other node has MOLT_PLAIN ^ key in words[5]
// (mark), which is no value.
//
// IPv4's top level is a 4-bit code per /20 (512 KiB, so that it stays in a 1 MiB L2 cache): a
// code 1..15 stands for the value of a /20 where no rule is longer than 20 bits (the 15
// values that cover the most /20s: most tables have few next hops), code 0 for a node at depth
// 20 (the /20 has longer rules, or its value has no code: the node is then an inline node of
// one run). So most random destinations end in the L2 after one load. The nodes of the 64 /20s
// of a /14 are a sibling group, which the /14's rank record finds: node_base, and map (bit c:
// /20 c has code 0), the node of /20 c at node_base + popcount(map & bits below c). The code
// words are XORed with code_key and node_base with the node_key's low half.
//
// A node at depth 20 (of a /20 with code 0) has, at the same index in sub[], a code for each of
// its 16 /24s (the /24 n at bit 4n): 1..15 where the whole /24 has that code's value, 0 where
// it does not (a rule longer than 24 bits inside, or a value with no code): only then does the
// lookup read the node. So an address under a /20 with longer rules of at most 24 bits (a BGP
// table's) reads 8 bytes of a 1.6 MiB array (not the node's 32 of 6.4 MiB), and ends there.
// sub[] words are XORed with sub_key. (Nodes deeper than 20 have unused sub[] words.)
// A flat top level of 2^20 uint32_t (4 MiB) missed the L2 on nearly every random destination.
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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "drivers/molt/molt.h"

#define MOLT_STRIDE 6
// Top levels: IPv4's 20 bits put most /24s in the first node and answer more addresses at the
// top than 18 or 16; IPv6 measured the same with 16 and 20.
#define MOLT4_TOP_BITS 20
#define MOLT6_TOP_BITS 16
#define MOLT4_CODES 16 // IPv4 top level: values of the 4-bit codes (code 0: a node)
#define MOLT4_BLOCK_BITS (MOLT4_TOP_BITS - MOLT_STRIDE) // a rank record per /14
#define MOLT4_SUB_BITS (MOLT4_TOP_BITS + 4) // sub[]: a code per /24, 16 in a word
// Codes, when the 15 values with a code cover this share of the /24s (else a flat top level,
// as IPv6's: see choose_codes in molt_build.c)
#define MOLT4_CODED_MIN_PCT 90
#define MOLT_MAGIC 0x6d6f6c74u // "molt"

#define MOLT_NODE 0x80000000u // top entry: a node index follows in the low 31 bits
#define MOLT_MISS FIB_NH_MAX // a value that decodes to FIB_NH_MISS
#define MOLT_INDEX_MAX 0x7fffffffu // node and leaf indices are 31-bit
#define MOLT_SKIP 0x80000000u // node_base of a skip node
#define MOLT_SKIP_LEAF 0x80000000u // leaf_base of a skip node whose path ends in a leaf
#define MOLT_SKIP_MAX 60 // bits a skip node covers at most (10 nodes of a chain)
#define MOLT_INLINE_MAX 6 // values an inline node holds
#define MOLT_PLAIN 0x80000000u // mark of a node that is not inline: no value is

static_assert(FIB_NH_MAX == 1u << 20, "molt_value_out decodes with a shift by 20");

// The nodes of the /20s of a /14 (molt_priv.h's top). Packed: 192 KiB in all.
struct molt_rank {
	uint64_t map; // bit c: /20 c has a node
	uint32_t base; // the sibling group's first node; XORed with (uint32_t)node_key
} __attribute__((packed));

static_assert(sizeof(struct molt_rank) == 12, "a rank record is 12 bytes");

struct molt_node {
	union {
		struct {
			uint64_t vec; // bit c: child c is a node
			// node_base | leaf_base << 32, XORed with node_key
			uint64_t bases;
			uint32_t fill; // unused
			uint32_t mark; // MOLT_PLAIN ^ key (words[5])
			uint64_t leafvec; // bit c: a run of equal leaves starts at leaf child c
		};
		// An inline node: words[0..5] its values ^ key, words[6..7] leafvec. Any node read
		// as words (the lookup reads words[0..7] of every node, and uses what it read only
		// if the node is inline).
		uint32_t words[8];
	};
};

static_assert(sizeof(struct molt_node) == 32, "a node is half a cache line");
static_assert(offsetof(struct molt_node, mark) == 5 * sizeof(uint32_t), "mark is words[5]");
static_assert(offsetof(struct molt_node, leafvec) == 6 * sizeof(uint32_t),
	      "leafvec is words[6..7]");

struct molt_fib {
	uint32_t magic;
	uint8_t family; // 4 or 6
	uint8_t top_bits;
	bool avx2; // IPv4: coded lookups take the AVX2 path (molt4.c)
	uint32_t key; // XORed into every top entry and leaf
	uint64_t node_key; // XORed into every node's bases
	uint32_t code_key; // IPv4: XORed into every word of codes
	uint64_t sub_key; // IPv4: XORed into every word of sub
	uint32_t code_val[MOLT4_CODES]; // IPv4: the value of each code, XORed with key
	uint64_t seed;
	uint64_t n_rules;
	uint64_t n_nodes; // skip nodes included
	uint64_t n_skips;
	uint64_t n_inline;
	uint64_t n_leaves;
	size_t map_len; // bytes mapped, from the header's own address
	const uint32_t *top; // IPv6
	const uint32_t *codes; // IPv4: 8 codes a word, the first in the low bits
	const struct molt_rank *rank; // IPv4
	const uint64_t *sub; // IPv4: n_nodes words
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

// Whether this CPU runs molt4.c's AVX2 path (AVX2, BMI1 and BMI2).
bool molt4_avx2_usable(void);

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
