// SPDX-License-Identifier: BSD-3-Clause
// How big a slot's FIBs must be, counted from the routes they are about to hold. The DPDK
// engines allocate fixed pools when they are created (rules, RIB nodes, tbl8 groups) and refuse
// adds once a pool is used up, so a slot sized for a fixed maximum costs the maximum whatever
// it holds (1.4 GiB for 10k routes), and one sized below its table cannot be built. Counting
// what a table uses, exactly as each engine consumes it, lets a slot cost what it holds plus a
// headroom for the live updates it takes before the next metabolism replaces it.
//
// Counting rules (DPDK 22.11, lib/fib/dir24_8.c, lib/fib/trie.c, lib/lpm/rte_lpm6.c):
// * rte_rib / rte_rib6 (rte_fib, rte_fib6): a node per route and one per branch point of the
//   binary trie the prefixes form where no route sits (inserting a route adds at most two).
// * DIR-24-8 (rte_lpm, rte_fib): one tbl8 group per /24 that holds a prefix longer than /24
//   (exact for rte_lpm; rte_fib reserves a few fewer).
// * rte_lpm6: one group per byte-aligned prefix of 24 + 8k bits (k >= 0) that a longer route
//   passes through, shared by every route below it (exact).
// * rte_fib6 TRIE: its admission check reserves, for a route longer than /24 with no other
//   route already inside its byte-aligned block (plen rounded down to 8), one group per byte
//   between its covering route (at least /24) and itself, without sharing: the sum depends on
//   the order of the adds, so it is counted in the order the slot builder adds them (an upper
//   bound within a few per mille).
// test/unit/control/test_slot_size.c checks these against the engines on random tables.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/config/config.h"
#include "drivers/driver.h"

// What one family's routes use.
struct fib_need {
	uint64_t routes;
	uint64_t late; // of those, added by fib_need_add_late (connected and local routes)
	uint64_t rib_nodes; // routes + branch points
	uint64_t tbl8; // IPv4: DIR-24-8 groups; IPv6: rte_lpm6 groups
	uint64_t trie_tbl8; // IPv6: rte_fib6 TRIE reservation in the order counted
};

// Counts one family's routes fed in load order: by address, then prefix length (shorter
// first), as control/slot/load_order.h sorts them. The state is a few KiB: keep it off small
// stacks if need be.
struct fib_need_counter {
	uint8_t family;
	uint8_t depth; // entries on the stack
	bool has_prev;
	struct fib_need need;
	struct {
		uint8_t prefix[16];
		uint8_t plen;
	} prev, stack[129]; // the previous route; the routes covering it, shortest first
	uint8_t last[13][16]; // rte_lpm6: the last group counted at each level (3 + k bytes)
	bool last_valid[13];
	uint32_t last24; // DIR-24-8: the last /24 counted
	bool last24_valid;
};

void fib_need_init(struct fib_need_counter *c, uint8_t family);
// prefix: 4 or 16 bytes, network order, host bits zero. A repeat of the previous route is not
// counted again.
void fib_need_add(struct fib_need_counter *c, const uint8_t *prefix, uint8_t plen);
// A route added after the ordered ones (connected and local routes): counted for the worst
// case, since its place among them is unknown.
void fib_need_add_late(struct fib_need_counter *c, const uint8_t *prefix, uint8_t plen);

// Headroom added to a table's counts for the updates a slot takes while it lives.
#define SLOT_HEADROOM_MIN_ROUTES 1024
#define SLOT_HEADROOM_MIN_TBL8_V4 64 // one group per new /24 with a longer prefix
#define SLOT_HEADROOM_MIN_TBL8_V6 320 // 64 new /64s with no covering route below /24

// Fills c from need with cfg->fib_headroom_percent of headroom (at least the floors above),
// within the caps cfg->fib_max_routes_v4/_v6 and fib_tbl8_groups_v4 (0: none). -ENOSPC with a
// message naming the cap when the table alone exceeds it.
int fib_need_conf(const struct molt_config *cfg, uint8_t family, const struct fib_need *need,
		  struct fib_conf *c, char *err, size_t errlen);

// A slot's FIBs, next-hop and group tables, as slot_build would create them for a table.
struct slot_size {
	struct fib_conf c4, c6;
	struct fib_need need4, need6;
	uint32_t nh_capacity;
	uint32_t grp_capacity; // next-hop groups, with headroom for live updates
};

// Bytes of DPDK heap a slot of driver d sized by sz takes: FIBs (the driver's heap_bytes, 0
// for an engine that maps its own memory), next-hop and group tables and the slot itself.
size_t slot_size_heap_bytes(const struct fib_driver *d, const struct slot_size *sz);

// Free bytes in DPDK's heap, all sockets together; *largest (if not NULL): the largest free
// block. In a process whose memory can grow (hugepages without --legacy-mem), what the heap
// can still take from the system is not included.
size_t slot_size_heap_free(size_t *largest);
// Bytes of DPDK's heap in use and its total size, all sockets together.
void slot_size_heap_stats(size_t *used, size_t *total);
