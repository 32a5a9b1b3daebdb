// SPDX-License-Identifier: BSD-3-Clause
// Per-flow path choice for multipath routes: a flow hash and a lookup in a group's bucket table.
// The table (built by control/slot/nh_group.c) holds each path weight-many times in a shuffled
// order fixed by the paths alone, so the same flow picks the same path in every slot and every
// generation built from the same group. A path that cannot be used (neighbour unresolved, port
// down) is skipped by probing forward from the flow's bucket: flows on the other paths keep
// their path, and the skipped path's flows spread over the rest in proportion to their weights.
// Nothing here allocates, locks or calls into the system: it is meant for the worker.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>

#define ECMP_SEED 0x6d6f6c74u // fixed: a flow hashes the same in every process and generation

// What identifies a flow. ports is false for fragments and protocols without ports: then the
// hash covers the 3-tuple (addresses and protocol) only.
struct ecmp_flow {
	uint8_t family; // 4 or 6
	uint8_t proto;
	bool ports;
	uint16_t sport, dport; // as on the wire
	uint8_t src[16], dst[16]; // network order; IPv4 in the first 4 bytes
};

static inline uint32_t ecmp_flow_hash(const struct ecmp_flow *f)
{
	unsigned alen = f->family == 4 ? 4 : 16;
	uint32_t h = rte_hash_crc(f->src, alen, ECMP_SEED);

	h = rte_hash_crc(f->dst, alen, h);
	h = rte_hash_crc_4byte((uint32_t)f->proto << 8 | f->family, h);
	if (f->ports)
		h = rte_hash_crc_4byte((uint32_t)f->sport << 16 | f->dport, h);
	// CRC bits are linear in the input: a final mix keeps the buckets of nearby flows apart.
	h ^= h >> 16;
	h *= 0x45d9f3bu;
	h ^= h >> 16;
	return h;
}

// The path of a flow with hash h: buckets[0..n) hold path indices; usable is a bit mask of the
// paths that may be used now. Returns the path index, or -1 when none is usable.
static inline int ecmp_pick(const uint8_t *buckets, uint32_t n, uint32_t usable, uint32_t h)
{
	uint32_t b = n > 0 ? h % n : 0;

	if (usable == 0 || n == 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t p = buckets[b];

		if (usable & (1u << p))
			return p;
		if (++b == n)
			b = 0;
	}
	return -1;
}
