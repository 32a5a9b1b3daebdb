// SPDX-License-Identifier: BSD-3-Clause
// IPv6 bulk lookup: the IPv4 scheme (molt4.c) over a 128-bit key, with skip nodes (path
// compression, molt_priv.h). A skip node moves an address down as many bits as its path, so
// addresses of one pass are at different depths: each keeps its own.

#include <endian.h>
#include <string.h>

#include "drivers/molt/molt_lookup.h"

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

// The 64 address bits from bit off on (off < 128; bits past the address read as zero).
static inline uint64_t bits_from(uint64_t hi, uint64_t lo, unsigned off)
{
	unsigned __int128 a = (unsigned __int128)hi << 64 | lo;

	return (uint64_t)((a << off) >> 64);
}

struct step6 {
	struct molt_step st;
	unsigned depth; // bits the step moves down
};

// One step through node d for an address whose bits from the node's depth on are x: a normal
// node's child, or where a skip node's path leads. Both are computed and one is picked by the
// node's kind, without a branch. A lookup that ends at a skip node ends with its value
// (st.val; st.leaf is 0, a leaf prefetched for nothing).
static inline struct step6 step6(const struct molt_node *d, uint64_t x, uint64_t node_key)
{
	uint64_t bases = d->bases ^ node_key, vec = d->vec, lv = d->leafvec;
	uint32_t nb = (uint32_t)bases, lb = (uint32_t)(bases >> 32);
	unsigned c = (unsigned)(x >> (64 - MOLT_STRIDE)), skip = nb >> 31, to_leaf = lb >> 31;
	unsigned on_path = ((x ^ vec) & lv) == 0;
	uint32_t val = on_path ? nb & ~MOLT_SKIP : lb & ~MOLT_SKIP_LEAF;
	struct molt_step n = molt_step(d, c, node_key);
	struct step6 s;

	s.st.is_node = skip ? on_path & !to_leaf : n.is_node;
	s.st.is_leaf = n.is_leaf & (skip ^ 1);
	s.st.next = skip ? nb & ~MOLT_SKIP : n.next;
	s.st.leaf = skip ? 0 : n.leaf;
	s.st.val = val;
	s.depth = skip ? (unsigned)__builtin_popcountll(lv) : MOLT_STRIDE;
	return s;
}

static void lookup6_batch(const struct molt_fib *f, const uint8_t (*a)[16], uint32_t *out,
			  unsigned m)
{
	const struct molt_node *nodes = f->nodes;
	const uint64_t node_key = f->node_key;
	uint64_t hi[MOLT_BATCH], lo[MOLT_BATCH];
	uint32_t tidx[MOLT_BATCH];
	uint8_t off[MOLT_BATCH];
	struct molt_batch b;

	for (unsigned i = 0; i < m; i++) {
		hi[i] = load_be64(a[i]);
		lo[i] = load_be64(a[i] + 8);
		tidx[i] = (uint32_t)(hi[i] >> (64 - MOLT6_TOP_BITS));
		off[i] = MOLT6_TOP_BITS;
	}
	molt_top_pass(f, tidx, 0, m, out, &b);
	for (unsigned live = b.n_live; live > 0;) {
		unsigned k = 0;

		for (unsigned j = 0; j < live; j++) {
			unsigned i = b.lane[j];
			struct step6 s = step6(&nodes[b.cur[j]], bits_from(hi[i], lo[i], off[i]),
					       node_key);

			off[i] = (uint8_t)(off[i] + s.depth);
			k = molt_advance(&b, i, k, s.st, nodes, f->leaves, out);
		}
		live = k;
	}
	molt_end_pass(f, &b, out);
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
