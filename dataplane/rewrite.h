// SPDX-License-Identifier: BSD-3-Clause
// Header rewrites shared by the workers and by the control thread (which applies them to held
// packets when their neighbour resolves). Callers have already checked TTL / hop limit > 1.
#pragma once

#include <assert.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/nexthop.h"

// Decrements the TTL and patches the header checksum incrementally (RFC 1624 eqn. 3):
// HC' = ~(~HC + ~m + m'). The TTL is the high byte of the 16-bit word it shares with the
// protocol, so m' = m - 0x0100 and ~m + m' = 0xfeff. Unlike the older HC + 0x0100 form
// (RFC 1141) this never yields 0xffff where a full recomputation gives 0x0000.
static inline void ip4_ttl_decrement(struct rte_ipv4_hdr *ip)
{
	uint8_t *p = (uint8_t *)&ip->time_to_live;
	uint32_t w;

	// TTL, protocol and checksum are 4 adjacent bytes: one load and one store for all three.
	static_assert(offsetof(struct rte_ipv4_hdr, hdr_checksum) ==
			      offsetof(struct rte_ipv4_hdr, time_to_live) + 2,
		      "ttl, proto, cksum");
	memcpy(&w, p, sizeof(w));
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	// w = TTL | protocol << 8 | HC << 16, HC read raw (network order). Adding the swapped
	// constant 0xfffe to ~HC and folding the carry works out to HC + 1, plus 1 more when HC
	// is 0xfffe or 0xffff (the end-around carry that keeps 0xffff out), modulo 2^16. So the
	// whole update is w - 1 + 0x10000 (+ 0x10000 in that case), overflow dropped: the TTL
	// is at least 1 here, so the decrement never borrows from the protocol byte.
	// test_rewrite.c compares it with a full recomputation for every checksum value.
	w = w + 0xffffu + ((uint32_t)(w >= UINT32_C(0xfffe0000)) << 16);
	memcpy(p, &w, sizeof(w));
#else
	uint32_t sum;

	(void)w;
	ip->time_to_live--;
	sum = (uint16_t)~ip->hdr_checksum + (uint32_t)rte_cpu_to_be_16(0xfeff);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = (uint16_t)~sum;
#endif
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

// The same with the destination taken from a next-hop l2 word (dataplane/nexthop.h), on the
// frame at `frame` (so a caller that has the data pointer need not reload it from the mbuf
// after its own stores): the low 48 bits are the MAC in memory order, so a little-endian CPU
// writes both addresses, 12 bytes, with one 8-byte and one 4-byte store.
static inline void eth_rewrite_l2_at(void *frame, uint64_t l2, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = frame;
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

// The same on an mbuf whose data starts with the Ethernet header.
static inline void eth_rewrite_l2(struct rte_mbuf *m, uint64_t l2, const struct rte_ether_addr *src)
{
	eth_rewrite_l2_at(rte_pktmbuf_mtod(m, void *), l2, src);
}
