// SPDX-License-Identifier: BSD-3-Clause
// The builder's scratch form of a trie (molt_build.c makes it, molt_image.c places it): the
// same nodes and leaves as the image, but nodes name their child group and their leaf run by
// number, because where each group and run lands is only decided, by the seed, afterwards.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/molt/molt_priv.h"

#define MOLT_NONE UINT32_MAX

struct molt_tnode {
	uint64_t vec;
	uint64_t leafvec;
	uint32_t group; // sibling group of the node children, MOLT_NONE without any
	uint32_t run; // leaf run, MOLT_NONE when every child is a node
};

// A slice of nodes (a sibling group) or of leaves (one node's run).
struct molt_span {
	uint32_t start;
	uint32_t len;
};

struct molt_scratch {
	unsigned top_bits;
	uint32_t *top; // values; MOLT_NODE | group index for a node (a group of one)
	struct molt_tnode *nodes;
	size_t n_nodes, cap_nodes;
	struct molt_span *groups;
	size_t n_groups, cap_groups;
	uint32_t *leaves; // values
	size_t n_leaves, cap_leaves;
	struct molt_span *runs;
	size_t n_runs, cap_runs;
	int err;
};

// Builds the scratch trie of k[0..n) (sorted, distinct, validated). s starts zeroed. Returns 0,
// -ENOMEM or -E2BIG; s must be freed with molt_scratch_free either way.
int molt_scratch_build(struct molt_scratch *s, const struct molt_key *k, size_t n,
		       unsigned top_bits);
// Zeroes what the scratch arrays hold (routes) and frees them.
void molt_scratch_free(struct molt_scratch *s);

// Places a built scratch trie into a new read-only mapping, in the order the seed draws.
// Returns NULL with errno ENOMEM.
struct molt_fib *molt_image_place(const struct molt_scratch *s, uint8_t family, uint64_t n_rules,
				  uint64_t seed, unsigned flags);
