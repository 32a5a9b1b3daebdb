// SPDX-License-Identifier: BSD-3-Clause
// The builder's two walks over a sorted rule list (molt_build.c) and the image they fill
// (molt_image.c). The first walk sizes the trie: how many nodes each sibling group has and
// how many leaves each node's run has, in the order the walk meets them. The seed then decides
// where each group and each run goes, the image is mapped at its exact size, and the second
// walk, meeting the same groups and runs in the same order, writes each one in its place.
// Besides the image, a build allocates only those lengths and positions (4 bytes per group
// and per run), the sizing walk's top level and (IPv4) a code per next hop.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/molt/molt_priv.h"

struct molt_plan {
	unsigned top_bits;
	bool skip; // chains become skip nodes (IPv6)
	bool inline_vals; // nodes of few runs hold their values (IPv4)
	bool coded_top; // the top level is 4-bit codes and rank records (IPv4)
	bool emit; // false: sizing walk; true: writing walk
	int err;
	// Sizing walk: lengths in meeting order.
	uint32_t *group_len; // nodes per sibling group
	size_t n_groups, cap_groups;
	uint32_t *run_len; // leaves per run
	size_t n_runs, cap_runs;
	uint64_t n_nodes, n_skips, n_inline, n_leaves;
	uint32_t *top_vals; // sizing walk's top level (values, unencoded)
	// coded_top: the code of each value (0: none), sized FIB_NH_MAX + 1 by the sizing walk, and
	// the value of each code (code_val[0] unused)
	uint8_t *code_of;
	uint32_t code_val[MOLT4_CODES];
	// coded_top: what build_node left at depth top_bits: its children's values and which are
	// nodes (for the sub[] codes)
	uint32_t top_child_vals[64];
	uint64_t top_child_nodes, top_child_starts; // vec and leafvec
	// Writing walk: where the i-th group and run go, and the image's arrays.
	const uint32_t *gpos, *rpos;
	size_t g_next, r_next;
	uint32_t key;
	uint64_t node_key;
	uint32_t *top; // !coded_top
	uint32_t *codes, code_key; // coded_top
	struct molt_rank *rank;
	uint64_t *sub, sub_key;
	struct molt_node *nodes;
	uint32_t *leaves;
};

// Walks k[0..n) (sorted, distinct, validated), sizing (p->emit false: p starts zeroed but for
// top_bits, skip, inline_vals and coded_top) or writing (p->emit true: gpos, rpos, the keys and
// the arrays set). Returns 0, -ENOMEM or -E2BIG.
int molt_plan_walk(struct molt_plan *p, const struct molt_key *k, size_t n);
// Frees what the sizing walk allocated.
void molt_plan_free(struct molt_plan *p);

// Builds the image of k[0..n): both walks and the seeded placement. NULL with errno.
struct molt_fib *molt_image_build(uint8_t family, const struct molt_key *k, size_t n, uint64_t seed,
				  unsigned flags);
