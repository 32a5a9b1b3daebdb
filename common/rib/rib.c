// SPDX-License-Identifier: BSD-3-Clause
// Route server RIB: dense route array + linear-probing hash index (see rib.h).
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/rib/rib.h"

// Slots stay at most half full: linear probing stays short, and 8 bytes per slot is cheap next
// to the 52-byte routes.
#define MIN_SLOTS 1024u
#define MAX_ROUTES 0xfffffffeu
// Routes hashed and prefetched ahead of insertion by rib_add_bulk.
#define RIB_BULK 16

// Low 32 bits pick the home slot, high 32 bits are the tag stored beside the index.
static uint64_t key_hash(const struct molt_route *r)
{
	uint64_t a, b;

	memcpy(&a, r->prefix, 8);
	memcpy(&b, r->prefix + 8, 8);
	return molt_mix64(a ^ molt_mix64(b ^ ((uint64_t)r->family << 8 | r->plen)));
}

static uint32_t slot_index(uint64_t slot)
{
	return (uint32_t)slot - 1;
}

// Finds the slot holding key, or the empty slot where it would go.
static uint32_t probe(const struct rib *rib, const struct molt_route *key, uint64_t h)
{
	uint32_t tag = (uint32_t)(h >> 32), i = (uint32_t)h & rib->mask;
	uint64_t s;

	while ((s = rib->slots[i]) != 0) {
		if ((uint32_t)(s >> 32) == tag &&
		    molt_route_same_key(&rib->routes[slot_index(s)], key))
			break;
		i = (i + 1) & rib->mask;
	}
	return i;
}

static int rehash(struct rib *rib, uint32_t nslots)
{
	uint64_t *slots = calloc(nslots, sizeof(*slots));
	uint32_t i, j;
	uint64_t h;

	if (slots == NULL)
		return -ENOMEM;
	free(rib->slots);
	rib->slots = slots;
	rib->mask = nslots - 1;
	for (i = 0; i < rib->count; i++) {
		h = key_hash(&rib->routes[i]);
		for (j = (uint32_t)h & rib->mask; slots[j] != 0; j = (j + 1) & rib->mask)
			;
		slots[j] = (h >> 32) << 32 | (i + 1);
	}
	return 0;
}

static uint32_t slots_for(uint64_t routes)
{
	uint64_t n = MIN_SLOTS;

	while (n < routes * 2)
		n <<= 1;
	return n > (1ULL << 31) ? 1u << 31 : (uint32_t)n;
}

int rib_init(struct rib *rib, uint32_t hint)
{
	memset(rib, 0, sizeof(*rib));
	rib->alloc = hint > 16 ? hint : 16;
	rib->routes = malloc((size_t)rib->alloc * sizeof(*rib->routes));
	if (rib->routes == NULL || rehash(rib, slots_for(hint)) < 0) {
		rib_free(rib);
		return -ENOMEM;
	}
	return 0;
}

void rib_free(struct rib *rib)
{
	free(rib->routes);
	free(rib->slots);
	memset(rib, 0, sizeof(*rib));
}

// Makes room for one more route. Returns 1 when the slots were rebuilt (probe again), 0, or
// -errno.
static int grow(struct rib *rib)
{
	struct molt_route *n;
	uint32_t alloc;
	int ret;

	if (rib->count >= MAX_ROUTES)
		return -E2BIG;
	if (rib->count == rib->alloc) {
		alloc = rib->alloc > MAX_ROUTES / 2 ? MAX_ROUTES : rib->alloc * 2;
		n = realloc(rib->routes, (size_t)alloc * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		rib->routes = n;
		rib->alloc = alloc;
	}
	if ((uint64_t)(rib->count + 1) * 2 > (uint64_t)rib->mask + 1 &&
	    rib->mask < (1u << 31) - 1) {
		ret = rehash(rib, (rib->mask + 1) * 2);
		return ret < 0 ? ret : 1;
	}
	return 0;
}

static int add_hashed(struct rib *rib, const struct molt_route *r, uint64_t h)
{
	struct molt_route *old;
	uint32_t i;
	int ret;

	i = probe(rib, r, h);
	if (rib->slots[i] != 0) {
		old = &rib->routes[slot_index(rib->slots[i])];
		rib->digest += molt_route_hash(r) - molt_route_hash(old);
		*old = *r;
		return 1;
	}
	ret = grow(rib);
	if (ret < 0)
		return ret;
	if (ret == 1)
		i = probe(rib, r, h);
	rib->routes[rib->count] = *r;
	rib->slots[i] = (h >> 32) << 32 | (rib->count + 1);
	rib->count++;
	rib->count_v4 += r->family == 4;
	rib->count_groups += r->family == MOLT_FAMILY_GROUP;
	rib->count_group_ids += r->family == MOLT_FAMILY_GROUP && r->plen == 0;
	rib->digest += molt_route_hash(r);
	return 0;
}

int rib_add(struct rib *rib, const struct molt_route *r)
{
	return add_hashed(rib, r, key_hash(r));
}

int rib_add_bulk(struct rib *rib, const struct molt_route *routes, uint32_t n)
{
	uint64_t h[RIB_BULK];
	uint32_t i, done, m;
	int ret, replaced = 0;

	for (done = 0; done < n; done += m) {
		m = n - done < RIB_BULK ? n - done : RIB_BULK;
		for (i = 0; i < m; i++) {
			h[i] = key_hash(&routes[done + i]);
			__builtin_prefetch(&rib->slots[(uint32_t)h[i] & rib->mask]);
		}
		for (i = 0; i < m; i++) {
			ret = add_hashed(rib, &routes[done + i], h[i]);
			if (ret < 0)
				return ret;
			replaced += ret;
		}
	}
	return replaced;
}

const struct molt_route *rib_find(const struct rib *rib, const struct molt_route *key)
{
	uint32_t i = probe(rib, key, key_hash(key));

	return rib->slots[i] != 0 ? &rib->routes[slot_index(rib->slots[i])] : NULL;
}

// Empties slot i and shifts later entries of the same probe run back, so no lookup ever stops
// early at a hole (no tombstones to clean up later).
static void slot_remove(struct rib *rib, uint32_t i)
{
	uint32_t k = i, home;

	for (;;) {
		k = (k + 1) & rib->mask;
		if (rib->slots[k] == 0)
			break;
		home = (uint32_t)key_hash(&rib->routes[slot_index(rib->slots[k])]) & rib->mask;
		// The entry at k may fill the hole only if the hole is not before its home slot.
		if (((k - home) & rib->mask) >= ((k - i) & rib->mask)) {
			rib->slots[i] = rib->slots[k];
			i = k;
		}
	}
	rib->slots[i] = 0;
}

int rib_del(struct rib *rib, const struct molt_route *key)
{
	uint32_t i = probe(rib, key, key_hash(key)), idx, last;
	struct molt_route *r;

	if (rib->slots[i] == 0)
		return -ENOENT;
	idx = slot_index(rib->slots[i]);
	r = &rib->routes[idx];
	rib->digest -= molt_route_hash(r);
	rib->count_v4 -= r->family == 4;
	rib->count_groups -= r->family == MOLT_FAMILY_GROUP;
	rib->count_group_ids -= r->family == MOLT_FAMILY_GROUP && r->plen == 0;
	slot_remove(rib, i);

	// Keep the array dense: the last route moves into the hole and its slot follows it.
	last = rib->count - 1;
	if (idx != last) {
		i = probe(rib, &rib->routes[last], key_hash(&rib->routes[last]));
		rib->slots[i] = (rib->slots[i] & ~0xffffffffULL) | (idx + 1);
		*r = rib->routes[last];
	}
	rib->count--;
	return 0;
}

int rib_group_paths(const struct rib *rib, const struct molt_route *r,
		    struct molt_path paths[MOLT_MAX_PATHS])
{
	unsigned i, n = molt_route_group_size(r);
	const struct molt_route *g;
	struct molt_route key;

	if (r->type != MOLT_RT_MULTIPATH || n > MOLT_MAX_PATHS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		molt_route_group_key(r, i, &key);
		g = rib_find(rib, &key);
		if (g == NULL)
			return -ENOENT;
		molt_route_group_path(g, &paths[i]);
	}
	return (int)n;
}

int rib_route_format(const struct rib *rib, const struct molt_route *r, char *buf, size_t len)
{
	struct molt_path paths[MOLT_MAX_PATHS];
	int n;

	if (r->type != MOLT_RT_MULTIPATH)
		return molt_route_format(r, buf, len);
	n = rib_group_paths(rib, r, paths);
	if (n < 0)
		return molt_route_format(r, buf, len);
	return molt_route_format_paths(r, paths, (unsigned)n, buf, len);
}
