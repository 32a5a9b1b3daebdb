// SPDX-License-Identifier: BSD-3-Clause
// Build-time next-hop list with a small open-addressing index over gateway entries.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "control/slot/nh_set.h"
#include "drivers/driver.h"

#define EMPTY UINT32_MAX

int nh_set_init(struct nh_set *set)
{
	memset(set, 0, sizeof(*set));
	set->capacity = 256;
	set->nh = calloc(set->capacity, sizeof(*set->nh));
	set->index_size = 1024;
	set->index = malloc(set->index_size * sizeof(*set->index));
	if (set->nh == NULL || set->index == NULL) {
		nh_set_fini(set);
		return -ENOMEM;
	}
	memset(set->index, 0xff, set->index_size * sizeof(*set->index));
	return 0;
}

void nh_set_fini(struct nh_set *set)
{
	free(set->nh);
	free(set->index);
	memset(set, 0, sizeof(*set));
}

// Over the family's address bytes only (the rest is zero): one CRC step for IPv4.
static uint32_t gw_hash(uint8_t family, const uint8_t gw[16], uint16_t port)
{
	uint64_t w[2]; // the gateway, aligned for the CRC's loads

	memcpy(w, gw, sizeof(w));
	return rte_hash_crc(w, family == 4 ? 4 : 16, (uint32_t)port << 8 | family);
}

static int64_t append(struct nh_set *set)
{
	if (set->count >= FIB_NH_MAX)
		return -ENOSPC;
	if (set->count == set->capacity) {
		uint32_t cap = set->capacity * 2;
		struct molt_nh *n = realloc(set->nh, (size_t)cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		memset(n + set->capacity, 0, (size_t)(cap - set->capacity) * sizeof(*n));
		set->nh = n;
		set->capacity = cap;
	}
	return set->count++;
}

int64_t nh_set_add(struct nh_set *set, enum nh_kind kind, uint16_t port)
{
	int64_t i = append(set);

	if (i < 0)
		return i;
	set->nh[i].kind = (uint8_t)kind;
	set->nh[i].port = port;
	atomic_store_explicit(&set->nh[i].l2, nh_l2_make(kind, port, NULL), memory_order_relaxed);
	return i;
}

static int grow_index(struct nh_set *set)
{
	uint32_t size = set->index_size * 2, mask = size - 1;
	uint32_t *idx = malloc(size * sizeof(*idx));

	if (idx == NULL)
		return -ENOMEM;
	memset(idx, 0xff, size * sizeof(*idx));
	for (uint32_t i = 0; i < set->index_size; i++) {
		uint32_t v = set->index[i], h;
		const struct molt_nh *n;

		if (v == EMPTY)
			continue;
		n = &set->nh[v];
		h = gw_hash(n->family, n->gateway, n->port) & mask;
		while (idx[h] != EMPTY)
			h = (h + 1) & mask;
		idx[h] = v;
	}
	free(set->index);
	set->index = idx;
	set->index_size = size;
	return 0;
}

int64_t nh_set_gateway(struct nh_set *set, uint8_t family, const uint8_t gw[16], uint16_t port)
{
	uint32_t mask = set->index_size - 1;
	uint32_t h = gw_hash(family, gw, port) & mask;
	int64_t i;

	for (; set->index[h] != EMPTY; h = (h + 1) & mask) {
		const struct molt_nh *n = &set->nh[set->index[h]];

		if (n->family == family && n->port == port && memcmp(n->gateway, gw, 16) == 0)
			return set->index[h];
	}
	i = nh_set_add(set, NH_UNRESOLVED, port);
	if (i < 0)
		return i;
	set->nh[i].family = family;
	memcpy(set->nh[i].gateway, gw, 16);
	set->index[h] = (uint32_t)i;
	// Keep the load under one half so probes stay short.
	if (++set->gateways * 2 > set->index_size && grow_index(set) < 0)
		return -ENOMEM;
	return i;
}
