// SPDX-License-Identifier: BSD-3-Clause
// Next-hop entries. A FIB lookup yields an index into the slot's next-hop table; the entry's
// one 64-bit word `l2` is all a worker reads to forward: it is written with a single atomic
// store by the control thread (neighbour resolved, changed, aged out), so a worker never sees
// a torn MAC/port pair.
//
//   l2 bits  0..47  destination MAC (byte i of the MAC in bits 8i..8i+7, i.e. memory order on
//                   a little-endian CPU)
//   l2 bits 48..59  egress DPDK port id
//   l2 bits 60..63  enum nh_kind
// except for NH_GROUP, whose bits 0..31 are the index of a group in the slot (dataplane/ecmp.h)
// and never change while the slot lives.
#pragma once

#include <rte_ether.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum nh_kind {
	NH_UNRESOLVED = 0, // gateway next hop whose MAC is unknown: punt (resolve + hold)
	NH_FORWARD = 1, // resolved: rewrite and send
	NH_BLACKHOLE = 2, // drop silently, counted
	NH_LOCAL = 3, // one of the router's own addresses (or a punted destination): punt
	NH_CONNECTED = 4, // on-link subnet: the destination itself is the neighbour
	NH_DROP = 5, // not forwardable (e.g. IPv6 link-local destination not ours): counted
	NH_GROUP =
		6, // multipath: bits 0..31 index the slot's group table, a path is picked per flow
};

#define NH_L2_PORT_SHIFT 48
#define NH_L2_KIND_SHIFT 60
#define NH_L2_MAC_MASK ((UINT64_C(1) << 48) - 1)

static inline uint64_t nh_l2_make(enum nh_kind kind, uint16_t port,
				  const struct rte_ether_addr *mac)
{
	uint64_t m = 0;
	if (mac != NULL)
		for (int i = 0; i < 6; i++)
			m |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return m | ((uint64_t)(port & 0xfff) << NH_L2_PORT_SHIFT) |
	       ((uint64_t)kind << NH_L2_KIND_SHIFT);
}

static inline uint64_t nh_l2_make_group(uint32_t group)
{
	return group | ((uint64_t)NH_GROUP << NH_L2_KIND_SHIFT);
}

static inline uint32_t nh_l2_group(uint64_t l2)
{
	return (uint32_t)l2;
}

static inline enum nh_kind nh_l2_kind(uint64_t l2)
{
	return (enum nh_kind)(l2 >> NH_L2_KIND_SHIFT);
}

static inline uint16_t nh_l2_port(uint64_t l2)
{
	return (uint16_t)((l2 >> NH_L2_PORT_SHIFT) & 0xfff);
}

// The top bits (l2 >> NH_L2_PORT_SHIFT: kind and port) of a resolved next hop on port 0; on
// port p they are NH_L2_FORWARD_TOP + p.
#define NH_L2_FORWARD_TOP ((uint32_t)NH_FORWARD << (NH_L2_KIND_SHIFT - NH_L2_PORT_SHIFT))

static inline void nh_l2_mac(uint64_t l2, struct rte_ether_addr *mac)
{
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)(l2 >> (8 * i));
}

// One entry of a slot's next-hop table (control: rw; workers: ro, l2 only).
struct molt_nh {
	_Atomic uint64_t l2; // the word workers read (see above)
	uint8_t family; // 4 or 6 (of the gateway; 0 for kinds without one)
	uint8_t kind; // kind this entry was created as (UNRESOLVED for any gateway)
	uint16_t port; // egress port for gateway/connected kinds
	uint32_t refs; // routes pointing at it (control only)
	uint8_t gateway[16]; // network order; IPv4 in the first 4 bytes; NH_GROUP: the group id
};
