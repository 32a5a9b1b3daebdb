// SPDX-License-Identifier: BSD-3-Clause
// The lookup memory of the DPDK engines, as the integrity audit and fault injection see it.
// rte_lpm, rte_lpm6, rte_fib DIR24_8 and the rte_fib6 TRIE all read a 2^24-entry table indexed
// by the first 3 bytes of the address, whose entries are a next hop or the index of a group of
// 256 entries indexed by the next byte (IPv4: one such level; IPv6: up to 13). With 4-byte
// entries they differ only in how an entry says "group" and holds a next hop, which each
// engine describes here. Control thread only; nothing here is on a lookup path.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"

#define DIRTAB_TBL24_ENTRIES ((size_t)1 << 24)
#define DIRTAB_GROUP_ENTRIES 256u

struct dirtab {
	uint32_t *tbl24;
	uint32_t *tbl8; // groups * DIRTAB_GROUP_ENTRIES entries
	uint64_t groups;
	// Whether entry e, read at level (0: tbl24, 1: the first tbl8 level, ...), leads to a
	// group, and which.
	bool (*ext)(uint32_t e, unsigned level, uint32_t *group);
	// Entry e of that level rewritten to hold next hop nh.
	uint32_t (*with_nh)(uint32_t e, unsigned level, uint32_t nh);
};

// An IPv4 address or prefix in host order as the key bytes the walks take (network order).
static inline void dirtab_v4_key(uint32_t a, uint8_t key[4])
{
	key[0] = (uint8_t)(a >> 24);
	key[1] = (uint8_t)(a >> 16);
	key[2] = (uint8_t)(a >> 8);
	key[3] = (uint8_t)a;
}

// The two regions: "tbl24" and "tbl8". Returns 2, or -ENOSPC when max < 2.
int dirtab_regions(const struct dirtab *t, struct fib_region *r, unsigned max);

// fib_ops.touched for a table keyed by key[0..15] (IPv4: 4 bytes, network order) / plen.
int dirtab_touched(const struct dirtab *t, const uint8_t *key, unsigned key_len, uint8_t plen,
		   fib_span_cb cb, void *arg);

// fib_ops.reachable: the whole tbl24 and every group it leads to.
int dirtab_reachable(const struct dirtab *t, fib_span_cb cb, void *arg);

// fib_ops.debug_redirect: the entry that resolves addr (key_len bytes, network order) now
// holds nh.
int dirtab_redirect(const struct dirtab *t, const uint8_t *addr, unsigned key_len, uint32_t nh,
		    char *what, size_t len);
