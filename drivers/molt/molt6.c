// SPDX-License-Identifier: BSD-3-Clause
// IPv6 bulk lookup: the IPv4 scheme (molt4.c) over a 128-bit key held as two 64-bit words.
// With a 16-bit top level and 6-bit strides, no node's 6 bits straddle the two words, and all
// addresses of a pass are at the same depth, so the word a pass reads is chosen once per pass.

#include <endian.h>
#include <string.h>

#include "drivers/molt/molt_lookup.h"

static_assert((64 - MOLT6_TOP_BITS) % MOLT_STRIDE == 0, "a node's bits straddle two words");

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static void lookup6_batch(const struct molt_fib *f, const uint8_t (*a)[16], uint32_t *out,
			  unsigned m)
{
	const uint32_t *top = f->top, *leaves = f->leaves;
	const struct molt_node *nodes = f->nodes;
	const uint32_t key = f->key;
	const uint64_t node_key = f->node_key;
	uint64_t hi[MOLT_BATCH], lo[MOLT_BATCH];
	uint32_t cur[MOLT_BATCH], leaf[MOLT_BATCH];
	uint8_t lane[MOLT_BATCH], deep[MOLT_BATCH];
	unsigned n_deep = 0, live;

	for (unsigned i = 0; i < m; i++) {
		hi[i] = load_be64(a[i]);
		lo[i] = load_be64(a[i] + 8);
		__builtin_prefetch(&top[hi[i] >> (64 - MOLT6_TOP_BITS)]);
	}
	for (unsigned i = 0; i < m; i++) {
		uint32_t v = top[hi[i] >> (64 - MOLT6_TOP_BITS)] ^ key;

		out[i] = molt_value_out(v);
		cur[n_deep] = v & ~MOLT_NODE;
		deep[n_deep] = (uint8_t)i;
		n_deep += v >> 31;
	}
	for (unsigned j = 0; j < n_deep; j++) {
		__builtin_prefetch(&nodes[cur[j]]);
		lane[j] = deep[j];
	}
	live = n_deep;
	for (unsigned off = MOLT6_TOP_BITS; live > 0; off += MOLT_STRIDE) {
		const uint64_t *w = off < 64 ? hi : lo;
		unsigned sh = off & 63, k = 0;

		for (unsigned j = 0; j < live; j++) {
			unsigned i = lane[j];
			unsigned c = (unsigned)((w[i] << sh) >> (64 - MOLT_STRIDE));
			struct molt_step st = molt_step(&nodes[cur[j]], c, node_key);

			leaf[i] = st.leaf;
			cur[k] = st.next;
			lane[k] = (uint8_t)i;
			k += st.is_node;
			molt_prefetch_next(nodes, leaves, st);
		}
		live = k;
	}
	for (unsigned j = 0; j < n_deep; j++) {
		unsigned i = deep[j];

		out[i] = molt_value_out(leaves[leaf[i]] ^ key);
	}
}

void molt6_lookup_bulk(const struct molt_fib *f, const uint8_t (*addrs)[16], uint32_t *nh,
		       unsigned n)
{
	while (n > 0) {
		unsigned m = n < MOLT_BATCH ? n : MOLT_BATCH;

		lookup6_batch(f, addrs, nh, m);
		addrs += m;
		nh += m;
		n -= m;
	}
}
