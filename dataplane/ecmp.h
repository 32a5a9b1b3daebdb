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

#include "common/route.h"
#include "dataplane/counters.h"

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

		if (p < 32 && (usable >> p) & 1)
			return p;
		if (++b == n)
			b = 0;
	}
	return -1;
}

// Whether a protocol carries 16-bit source and destination ports first in its header: TCP,
// UDP, DCCP, SCTP, UDP-Lite. Flows of other protocols hash on the 3-tuple.
static inline bool ecmp_proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

// The most buckets a group's table can have: 16 paths of weight 256.
#define ECMP_MAX_BUCKETS (MOLT_MAX_PATHS * MOLT_WEIGHT_MAX)

// One next-hop group of a slot (control: wo while building or before the group is first
// referenced; workers: ro). Paths are in the group's canonical order (gateway order), so the
// bucket table and therefore a flow's path are the same in every slot built from the group.
struct molt_nh_group {
	uint64_t id; // the group's content id (common/route.h)
	uint32_t n_buckets; // 1..ECMP_MAX_BUCKETS
	uint8_t n_paths; // 1..MOLT_MAX_PATHS
	uint8_t pad;
	uint16_t ctr; // counter row (ecmp_ctr_acquire); 0: not counted apart
	// Paths the slot could place (their dev is a port, their gateway on-link): a path outside
	// it has no next hop (path_nh UINT32_MAX) and is never picked.
	uint32_t planned;
	uint32_t pad2;
	uint32_t path_nh[MOLT_MAX_PATHS]; // next-hop index of each path in the slot
	uint16_t weight[MOLT_MAX_PATHS];
	uint8_t buckets[ECMP_MAX_BUCKETS]; // path indices
};

// Per-path counters, per worker, summed when read. A group's counters live in a row named by
// its content id rather than in the slot, so they carry on across generations and between the
// slots that hold the group.
#define ECMP_CTR_ROWS 256 // row 0 counts the groups beyond the others, and is never reported

struct ecmp_path_ctr {
	uint64_t packets;
	uint64_t bytes;
};

// [worker][row][path] (workers: each writes its own [worker]; control: reads, zeroes free rows)
extern struct ecmp_path_ctr molt_ecmp_ctr[MOLT_MAX_WORKERS][ECMP_CTR_ROWS][MOLT_MAX_PATHS];

// The counter row of group id (n_paths paths), shared with every other slot that holds it (one
// more reference), or 0 when every row is taken. Control and build threads (a mutex: never a
// worker).
uint16_t ecmp_ctr_acquire(uint64_t id, unsigned n_paths);
// Drops a reference taken by ecmp_ctr_acquire; the row's counters start from zero once no slot
// holds it. Only once no worker can reach a slot using it (slot_free_scrub).
void ecmp_ctr_release(uint16_t row);
// Sums row's first n paths over the workers into out[0..n).
void ecmp_ctr_sum(uint16_t row, unsigned n, struct ecmp_path_ctr *out);

// The rows in use: up to max of them into rows[] (row, group id, paths). Any thread.
struct ecmp_ctr_row {
	uint16_t row;
	uint8_t n_paths;
	uint64_t id;
};
unsigned ecmp_ctr_rows(struct ecmp_ctr_row *rows, unsigned max);
