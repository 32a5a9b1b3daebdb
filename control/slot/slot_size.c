// SPDX-License-Identifier: BSD-3-Clause
// The counting rules are in slot_size.h. One pass over the sorted routes with the stack of the
// routes covering the current one answers all four counts: the stack's top is a route's longest
// covering route, and a route's predecessor tells whether it opens a new branch, /24 or block.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "control/slot/slot_size.h"
#include "dataplane/slot.h"

static unsigned prefix_bytes(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

// Leading bits a and b share, at most max.
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned len, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < len && n < max; i++) {
		uint8_t x = a[i] ^ b[i];

		if (x == 0) {
			n += 8;
			continue;
		}
		n += (unsigned)__builtin_clz((unsigned)x) - 24;
		break;
	}
	return n < max ? n : max;
}

// Whether the route a/alen covers (or is) b/blen.
static bool covers(const uint8_t *a, uint8_t alen, const uint8_t *b, uint8_t blen, unsigned len)
{
	return alen <= blen && common_bits(a, b, len, alen) == alen;
}

static unsigned ceil8(unsigned v)
{
	return (v + 7) & ~7u;
}

void fib_need_init(struct fib_need_counter *c, uint8_t family)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
}

// DIR-24-8: the routes of a /24 are contiguous in load order.
static void count_dir24_8(struct fib_need_counter *c, const uint8_t *prefix, uint8_t plen)
{
	uint32_t key = (uint32_t)prefix[0] << 16 | (uint32_t)prefix[1] << 8 | prefix[2];

	if (plen <= 24 || (c->last24_valid && c->last24 == key))
		return;
	c->need.tbl8++;
	c->last24 = key;
	c->last24_valid = true;
}

// rte_lpm6: level k's group is keyed by the first 3 + k bytes; routes sharing them are
// contiguous in load order, so a group is new when those bytes differ from the last counted.
static void count_lpm6(struct fib_need_counter *c, const uint8_t *prefix, uint8_t plen)
{
	for (unsigned k = 0; plen > 24 + 8 * k; k++) {
		if (c->last_valid[k] && memcmp(c->last[k], prefix, 3 + k) == 0)
			continue;
		c->need.tbl8++;
		memcpy(c->last[k], prefix, 3 + k);
		c->last_valid[k] = true;
	}
}

// rte_fib6 TRIE (trie_modify): nothing is reserved when a route already lies strictly inside
// plen's byte-aligned block; in load order that is the previous route, if any is. Otherwise one
// group per byte from the covering route (at least /24) down to plen.
static void count_trie(struct fib_need_counter *c, const uint8_t *prefix, uint8_t plen)
{
	unsigned block = plen & ~7u, parent = 24;

	if (plen <= 24)
		return;
	if (c->has_prev && c->prev.plen > block &&
	    covers(prefix, (uint8_t)block, c->prev.prefix, c->prev.plen, 16))
		return;
	if (c->depth > 0 && c->stack[c->depth - 1].plen > parent)
		parent = c->stack[c->depth - 1].plen;
	c->need.trie_tbl8 += (ceil8(plen) - ceil8(parent)) / 8;
}

void fib_need_add(struct fib_need_counter *c, const uint8_t *prefix, uint8_t plen)
{
	unsigned len = prefix_bytes(c->family);

	if (c->has_prev && c->prev.plen == plen && memcmp(c->prev.prefix, prefix, len) == 0)
		return;
	// The stack keeps only the routes covering this one: its top is the longest of them.
	while (c->depth > 0 && !covers(c->stack[c->depth - 1].prefix, c->stack[c->depth - 1].plen,
				       prefix, plen, len))
		c->depth--;
	// A branch point: where this route and the previous one part, unless a route sits there
	// (it would be the top of the stack: a route covering both, as long as their common part).
	if (c->has_prev && !covers(c->prev.prefix, c->prev.plen, prefix, plen, len)) {
		unsigned at = common_bits(c->prev.prefix, prefix, len, plen);

		if (at < plen && (c->depth == 0 || c->stack[c->depth - 1].plen != at))
			c->need.rib_nodes++;
	}
	if (c->family == 4) {
		count_dir24_8(c, prefix, plen);
	} else {
		count_lpm6(c, prefix, plen);
		count_trie(c, prefix, plen);
	}
	c->need.routes++;
	c->need.rib_nodes++;
	memcpy(c->stack[c->depth].prefix, prefix, len);
	c->stack[c->depth].plen = plen;
	c->depth++;
	memcpy(c->prev.prefix, prefix, len);
	c->prev.plen = plen;
	c->has_prev = true;
}

void fib_need_add_late(struct fib_need_counter *c, const uint8_t *prefix, uint8_t plen)
{
	unsigned groups = plen > 24 ? (plen - 24 + 7) / 8 : 0;

	(void)prefix;
	c->need.routes++;
	c->need.late++;
	c->need.rib_nodes += 2;
	if (c->family == 4) {
		c->need.tbl8 += groups;
	} else {
		c->need.tbl8 += groups;
		c->need.trie_tbl8 += groups;
	}
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)v;
}

static uint64_t with_headroom(uint64_t n, unsigned percent, uint64_t floor)
{
	uint64_t extra = n * percent / 100;

	return n + (extra > floor ? extra : floor);
}

int fib_need_conf(const struct molt_config *cfg, uint8_t family, const struct fib_need *need,
		  struct fib_conf *c, char *err, size_t errlen)
{
	uint32_t cap = family == 4 ? cfg->fib_max_routes_v4 : cfg->fib_max_routes_v6;
	unsigned pct = cfg->fib_headroom_percent;
	uint64_t routes = with_headroom(need->routes, pct, SLOT_HEADROOM_MIN_ROUTES), tbl8;

	memset(c, 0, sizeof(*c));
	c->socket_id = -1; // SOCKET_ID_ANY
	if (cap != 0 && need->routes > cap) {
		snprintf(err, errlen,
			 "the IPv%u table has %" PRIu64 " routes (%" PRIu64
			 " of them connected and local), more than fib.max_routes_v%u (%u)",
			 family, need->routes, need->late, family, cap);
		return -ENOSPC;
	}
	if (cap != 0 && routes > cap)
		routes = cap;
	c->max_routes = clamp32(routes);
	// Each route added later inserts at most itself and one branch point.
	c->rib_nodes = clamp32(need->rib_nodes + 2 * (routes - need->routes));
	if (family == 6) {
		c->tbl8_groups_v6 = clamp32(
			with_headroom(need->tbl8, pct, SLOT_HEADROOM_MIN_TBL8_V6));
		// The TRIE refuses an add unless its reservation stays below the pool: one more.
		c->trie_tbl8_groups = clamp32(
			with_headroom(need->trie_tbl8, pct, SLOT_HEADROOM_MIN_TBL8_V6) + 1);
		return 0;
	}
	tbl8 = with_headroom(need->tbl8, pct, SLOT_HEADROOM_MIN_TBL8_V4);
	if (cfg->fib_tbl8_groups_v4 != 0 && need->tbl8 > cfg->fib_tbl8_groups_v4) {
		snprintf(err, errlen,
			 "the IPv4 table needs %" PRIu64
			 " tbl8 groups (one per /24 holding a longer "
			 "prefix), more than fib.tbl8_groups_v4 (%u)",
			 need->tbl8, cfg->fib_tbl8_groups_v4);
		return -ENOSPC;
	}
	if (cfg->fib_tbl8_groups_v4 != 0 && tbl8 > cfg->fib_tbl8_groups_v4)
		tbl8 = cfg->fib_tbl8_groups_v4;
	c->tbl8_groups = clamp32(tbl8);
	return 0;
}

size_t slot_size_heap_bytes(const struct fib_driver *d, const struct slot_size *sz)
{
	size_t b = sizeof(struct slot) + (size_t)sz->nh_capacity * sizeof(struct molt_nh) +
		   (size_t)sz->grp_capacity * sizeof(struct molt_nh_group);

	if (d->v4->heap_bytes != NULL)
		b += d->v4->heap_bytes(&sz->c4);
	if (d->v6->heap_bytes != NULL)
		b += d->v6->heap_bytes(&sz->c6);
	return b;
}

static void heap_sum(size_t *free_b, size_t *largest, size_t *used, size_t *total)
{
	*free_b = *largest = *used = *total = 0;
	for (unsigned i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;

		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) < 0)
			continue;
		*free_b += st.heap_freesz_bytes;
		*used += st.heap_allocsz_bytes;
		*total += st.heap_totalsz_bytes;
		if (st.greatest_free_size > *largest)
			*largest = st.greatest_free_size;
	}
}

size_t slot_size_heap_free(size_t *largest)
{
	size_t f, l, u, t;

	heap_sum(&f, &l, &u, &t);
	if (largest != NULL)
		*largest = l;
	return f;
}

void slot_size_heap_stats(size_t *used, size_t *total)
{
	size_t f, l;

	heap_sum(&f, &l, used, total);
}
