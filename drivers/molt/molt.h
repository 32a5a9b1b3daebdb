// SPDX-License-Identifier: BSD-3-Clause
// molt: molt's own longest-prefix-match engine, for a metabolic router. A table is built from
// a sorted route list (one walk to size it, one to write it) into one page-aligned mapping,
// which is then made read-only (mprotect PROT_READ) for the whole life of the structure: it
// has no insert or delete, every change is a new build (a new generation), so nothing in it
// is ever written while workers read it.
//
// Layout (see molt_priv.h): a direct-indexed top level on the first 20 (IPv4) or 16 (IPv6)
// bits of the address, whose entries are a next hop or a reference to a multibit node (IPv4,
// when 15 next hops cover most of the table: 4-bit codes of those next hops per /20 and, for
// the /20s with longer rules, per /24, which read a node only under rules longer than /24); nodes
// of stride 6 hold two 64-bit bitmaps (which of the 64 children are nodes, and where a new run
// of equal leaves starts) and two base indices, so a child or a leaf is found by a popcount.
// Leaves are run-length compressed per node. IPv4 nodes of at most 6 runs hold the values
// themselves; IPv6 has skip nodes, which stand for a chain of single-child nodes (path
// compression).
//
// A per-build seed shuffles where chunks of sibling groups and of leaf runs are placed, and
// keys an XOR encoding of every top entry, node and leaf: two builds of one table with
// different seeds share no identical 4 KiB page.
//
// Thread safety: build and free from one thread; any number of threads may look up a built
// structure at once (it is immutable).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"

// IPv4 rule: prefix in host byte order, host bits zero.
struct molt_rule4 {
	uint32_t prefix;
	uint32_t nh; // < FIB_NH_MAX
	uint8_t plen; // 0..32
};

// IPv6 rule: prefix in network byte order, host bits zero.
struct molt_rule6 {
	uint8_t prefix[16];
	uint32_t nh; // < FIB_NH_MAX
	uint8_t plen; // 0..128
};

struct molt_fib; // opaque; read-only once built

// Build flags.
#define MOLT_BUILD_NO_THP 0x1u // do not ask for transparent huge pages (to measure without)
// IPv4 lookups without AVX2 even where the CPU has it (to test and measure that path)
#define MOLT_BUILD_NO_AVX2 0x2u

// Builds an immutable FIB from n rules (n may be 0: every lookup misses). Rules sorted by
// prefix, then plen, are taken as they are; any other order is sorted into a private copy
// first. seed: per generation; it changes the memory image, never the answers.
// Returns NULL with errno: EINVAL (rules NULL with n > 0, plen out of range, host bits set,
// nh >= FIB_NH_MAX, the same prefix/plen twice, unknown flags), ENOMEM, E2BIG (more nodes or
// leaves than the 31-bit indices address: far beyond any routing table).
struct molt_fib *molt4_build(const struct molt_rule4 *rules, size_t n, uint64_t seed,
			     unsigned flags);
struct molt_fib *molt6_build(const struct molt_rule6 *rules, size_t n, uint64_t seed,
			     unsigned flags);

// Bulk lookups: nh[i] is the next hop of addrs[i]'s longest matching rule, or FIB_NH_MISS.
// IPv4: addrs is uint32_t[n] in host byte order. IPv6: uint8_t[n][16] in network byte order.
// f must be of the function's family. n may be 0.
void molt4_lookup_bulk(const struct molt_fib *f, const uint32_t *addrs, uint32_t *nh, unsigned n);
void molt6_lookup_bulk(const struct molt_fib *f, const uint8_t (*addrs)[16], uint32_t *nh,
		       unsigned n);

// Makes the mapping writable, zeroes it and unmaps it. NULL-safe.
void molt_free(struct molt_fib *f);

struct molt_stats {
	uint8_t family; // 4 or 6
	uint8_t top_bits; // direct-indexed bits
	bool coded; // IPv4: the top level is 4-bit codes of 15 values, not entries (molt_priv.h)
	bool avx2; // IPv4: coded lookups take the AVX2 path (the CPU has it, no MOLT_BUILD_NO_AVX2)
	uint64_t rules; // rules built from
	uint64_t nodes; // multibit nodes, skip nodes included
	uint64_t skips; // IPv6 nodes that stand for a chain of nodes
	uint64_t inline_nodes; // IPv4 nodes that hold their leaves' values
	uint64_t leaves; // compressed leaves
	size_t bytes; // the whole mapping (header, top level, nodes, leaves)
	uint64_t seed;
};

void molt_get_stats(const struct molt_fib *f, struct molt_stats *st);

// The mapping that holds f (for tests and measurements: its pages are read-only).
void molt_image(const struct molt_fib *f, const void **base, size_t *len);
