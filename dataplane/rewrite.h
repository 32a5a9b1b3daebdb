// SPDX-License-Identifier: BSD-3-Clause
// Header rewrites shared by the workers and by the control thread (which applies them to held
// packets when their neighbour resolves). Callers have already checked TTL / hop limit > 1.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/nexthop.h"

// Decrements the TTL and patches the header checksum incrementally (RFC 1624 eqn. 3):
// HC' = ~(~HC + ~m + m'). The TTL is the high byte of the 16-bit word it shares with the
// protocol, so m' = m - 0x0100 and ~m + m' = 0xfeff. Unlike the older HC + 0x0100 form
// (RFC 1141) this never yields 0xffff where a full recomputation gives 0x0000.
static inline void ip4_ttl_decrement(struct rte_ipv4_hdr *ip)
{
	uint32_t sum;

	ip->time_to_live--;
	// One's complement sums commute with byte swapping, so adding the swapped constant to
	// the raw (network order) field is the same as working in network order.
	sum = (uint16_t)~ip->hdr_checksum + (uint32_t)rte_cpu_to_be_16(0xfeff);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = (uint16_t)~sum;
}

static inline void ip6_hop_decrement(struct rte_ipv6_hdr *ip6)
{
	ip6->hop_limits--;
}

// Writes destination and source MAC; the Ethernet header is at the start of the data.
static inline void eth_rewrite(struct rte_mbuf *m, const struct rte_ether_addr *dst,
			       const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
}

// The same with the destination taken from a next-hop l2 word (dataplane/nexthop.h): the
// low 48 bits are the MAC in memory order, so a little-endian CPU writes both addresses, 12
// bytes, with one 8-byte and one 4-byte store.
static inline void eth_rewrite_l2(struct rte_mbuf *m, uint64_t l2, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint16_t s01;
	uint32_t s25;
	uint64_t lo;

	memcpy(&s01, &src->addr_bytes[0], sizeof(s01));
	memcpy(&s25, &src->addr_bytes[2], sizeof(s25));
	lo = (l2 & NH_L2_MAC_MASK) | (uint64_t)s01 << 48;
	// Through a byte pointer: the 8-byte store spans dst_addr and half of src_addr.
	memcpy((uint8_t *)eth, &lo, sizeof(lo));
	memcpy((uint8_t *)eth + 8, &s25, sizeof(s25));
#else
	nh_l2_mac(l2, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
#endif
}
