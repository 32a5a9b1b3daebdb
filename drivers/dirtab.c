// SPDX-License-Identifier: BSD-3-Clause
// Walks of the DIR-24-8 family of tables (dirtab.h).
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>

#include "drivers/dirtab.h"

int dirtab_regions(const struct dirtab *t, struct fib_region *r, unsigned max)
{
	if (max < 2)
		return -ENOSPC;
	r[0] = (struct fib_region){ t->tbl24, DIRTAB_TBL24_ENTRIES * 4, "tbl24" };
	r[1] = (struct fib_region){ t->tbl8, t->groups * DIRTAB_GROUP_ENTRIES * 4, "tbl8" };
	return 2;
}

static const uint32_t *group(const struct dirtab *t, uint32_t g)
{
	return &t->tbl8[(size_t)g * DIRTAB_GROUP_ENTRIES];
}

// Every entry of group g and of the groups below it. level: g's. A table has at most 16 - 3
// tbl8 levels, so a corrupted entry pointing back up cannot loop.
static int subtree(const struct dirtab *t, uint32_t g, unsigned level, fib_span_cb cb, void *arg)
{
	const uint32_t *e;
	uint32_t next;
	int ret;

	if (g >= t->groups || level > 13)
		return -EBADMSG;
	e = group(t, g);
	cb(e, DIRTAB_GROUP_ENTRIES * 4, arg);
	for (unsigned i = 0; i < DIRTAB_GROUP_ENTRIES; i++)
		if (t->ext(e[i], level, &next) && (ret = subtree(t, next, level + 1, cb, arg)) < 0)
			return ret;
	return 0;
}

// The entries [first, first + n) of table e at level, and everything below them.
static int span(const struct dirtab *t, const uint32_t *e, size_t first, size_t n, unsigned level,
		fib_span_cb cb, void *arg)
{
	uint32_t g;
	int ret;

	cb(&e[first], n * 4, arg);
	for (size_t i = first; i < first + n; i++)
		if (t->ext(e[i], level, &g) && (ret = subtree(t, g, level + 1, cb, arg)) < 0)
			return ret;
	return 0;
}

int dirtab_touched(const struct dirtab *t, const uint8_t *key, unsigned key_len, uint8_t plen,
		   fib_span_cb cb, void *arg)
{
	uint32_t top = (uint32_t)key[0] << 16 | (uint32_t)key[1] << 8 | key[2], g;
	const uint32_t *e = t->tbl24;
	unsigned level = 0, b = 3, bits = 24;

	if (plen > key_len * 8)
		return -EINVAL;
	if (plen <= 24) {
		size_t n = (size_t)1 << (24 - plen);

		return span(t, e, top & ~(uint32_t)(n - 1), n, 0, cb, arg);
	}
	// Longer: the tbl24 entry, then every group on the path (whole: an engine frees or
	// recycles a group it empties, and writes all of it, or its first entry, when it does),
	// and below the range plen ends in.
	cb(&e[top], 4, arg);
	for (;;) {
		if (!t->ext(e[top], level, &g))
			return 0;
		if (g >= t->groups)
			return -EBADMSG;
		e = group(t, g);
		level++;
		if (b >= key_len)
			return -EBADMSG;
		cb(e, DIRTAB_GROUP_ENTRIES * 4, arg);
		if (plen <= bits + 8) {
			size_t n = (size_t)1 << (bits + 8 - plen);

			return span(t, e, key[b] & ~(n - 1), n, level, cb, arg);
		}
		top = key[b++];
		bits += 8;
	}
}

int dirtab_reachable(const struct dirtab *t, fib_span_cb cb, void *arg)
{
	return span(t, t->tbl24, 0, DIRTAB_TBL24_ENTRIES, 0, cb, arg);
}

int dirtab_redirect(const struct dirtab *t, const uint8_t *addr, unsigned key_len, uint32_t nh,
		    char *what, size_t len)
{
	uint32_t *e = &t->tbl24[(uint32_t)addr[0] << 16 | (uint32_t)addr[1] << 8 | addr[2]];
	unsigned level = 0, b = 3;
	uint32_t g, old;

	if (nh >= FIB_NH_MAX)
		return -EINVAL;
	while (t->ext(*e, level, &g)) {
		if (g >= t->groups || b >= key_len)
			return -EBADMSG;
		e = &t->tbl8[(size_t)g * DIRTAB_GROUP_ENTRIES + addr[b++]];
		level++;
	}
	old = *e;
	// One aligned 4-byte store, as a stray write would be: a worker reads old or new.
	atomic_store_explicit((_Atomic uint32_t *)e, t->with_nh(old, level, nh),
			      memory_order_relaxed);
	if (level == 0)
		snprintf(what, len, "tbl24 offset %zu (entry %zu): 0x%08x -> 0x%08x",
			 (size_t)((const uint8_t *)e - (const uint8_t *)t->tbl24),
			 (size_t)(e - t->tbl24), old, *e);
	else
		snprintf(what, len, "tbl8 offset %zu (group %u, level %u): 0x%08x -> 0x%08x",
			 (size_t)((const uint8_t *)e - (const uint8_t *)t->tbl8), g, level, old,
			 *e);
	return 0;
}
