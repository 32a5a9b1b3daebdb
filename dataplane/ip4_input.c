// SPDX-License-Identifier: BSD-3-Clause
// IPv4 input: the RFC 1812 section 5.2.2 header checks, then the destination classes a router
// never looks up (5.3.7), collecting the rest of the burst's destinations for one bulk lookup.
// Nothing is trimmed: Ethernet padding may make the frame longer than total length.
#include "dataplane/dp_priv.h"
#include "dataplane/ip4_hdr.h"

#define IP4_HDR_MIN sizeof(struct rte_ipv4_hdr)
#define IP4_PROTO_OSPF 89
#define IP4_ALL_SPF_ROUTERS UINT32_C(0xe0000005) // 224.0.0.5 (RTE_IPV4 shifts an int into its sign)
#define IP4_ALL_D_ROUTERS UINT32_C(0xe0000006) // 224.0.0.6

// RFC 1812 5.3.7 / 4.2.2.11: 0/8, 127/8, multicast and class E (with limited broadcast) are
// not valid sources.
static inline bool ip4_bad_source(uint32_t src)
{
	return !ip4_octet_forwardable((uint8_t)(src >> 24));
}

// OSPFv2 to AllSPFRouters or AllDRouters (RFC 2328 A.1): link-local groups, sent with TTL 1.
// Anything else to a group, or OSPF to them from farther away, is not for the router.
static inline bool ip4_ospf_group(const struct rte_ipv4_hdr *ip, uint32_t dst)
{
	return (dst == IP4_ALL_SPF_ROUTERS || dst == IP4_ALL_D_ROUTERS) &&
	       ip->next_proto_id == IP4_PROTO_OSPF && ip->time_to_live == 1;
}

// The common packet in one pass with few branches: a 20-byte header, lengths that fit, a
// correct checksum, and addresses outside the odd classes. Anything else goes through the
// ordered checks below, which decide the drop reason; so this changes speed, not behaviour.
static inline bool ip4_plain(const struct rte_ipv4_hdr *ip, uint32_t avail, uint32_t frame)
{
	uint32_t tlen;

	if (unlikely(avail < IP4_HDR_MIN))
		return false;
	tlen = rte_be_to_cpu_16(ip->total_length);
	// Bitwise & on 0/1 values on purpose: one branch instead of five.
	return ((unsigned)(ip->version_ihl == 0x45) & (unsigned)(tlen >= IP4_HDR_MIN) &
		(unsigned)(tlen <= frame) &
		(unsigned)ip4_fwd_octet[((const uint8_t *)&ip->src_addr)[0]] &
		(unsigned)ip4_fwd_octet[((const uint8_t *)&ip->dst_addr)[0]] &
		(unsigned)ip4_cksum_ok(ip, IP4_HDR_MIN / 4)) != 0;
}

void ip4_input(struct dp_ctx *c, uint16_t from)
{
	uint16_t k = from;

	for (uint16_t i = from; i < c->n4; i++) {
		struct rte_mbuf *m = c->m4[i];
		const struct rte_ipv4_hdr *ip = dp_ip4(m);
		uint32_t avail = rte_pktmbuf_data_len(m) - sizeof(struct rte_ether_hdr);
		uint32_t frame = rte_pktmbuf_pkt_len(m) - sizeof(struct rte_ether_hdr);
		uint32_t hlen, tlen, dst;
		uint8_t top;

		if (likely(ip4_plain(ip, avail, frame))) {
			c->m4[k] = m;
			c->dst4[k] = rte_be_to_cpu_32(ip->dst_addr);
			k++;
			continue;
		}
		// 1. The link layer delivered enough bytes for the smallest header.
		if (unlikely(avail < IP4_HDR_MIN)) {
			dp_drop(c, m, MOLT_DROP_IP4_TOO_SHORT);
			continue;
		}
		// 3. Version 4.
		if (unlikely((ip->version_ihl >> 4) != 4)) {
			dp_drop(c, m, MOLT_DROP_IP4_BAD_VERSION);
			continue;
		}
		// 4. IHL at least 5 words and within what was received (options are kept as is).
		hlen = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
		if (unlikely(hlen < IP4_HDR_MIN || hlen > avail)) {
			dp_drop(c, m, MOLT_DROP_IP4_BAD_IHL);
			continue;
		}
		// 5. Total length covers the header and fits in the frame.
		tlen = rte_be_to_cpu_16(ip->total_length);
		if (unlikely(tlen < hlen || tlen > frame)) {
			dp_drop(c, m, MOLT_DROP_IP4_BAD_TOTAL_LENGTH);
			continue;
		}
		// 2. Header checksum (after the length checks, so it reads only received bytes).
		if (unlikely(!ip4_cksum_ok(ip, hlen / 4))) {
			dp_drop(c, m, MOLT_DROP_IP4_BAD_CHECKSUM);
			continue;
		}
		if (unlikely(ip4_bad_source(rte_be_to_cpu_32(ip->src_addr)))) {
			dp_drop(c, m, MOLT_DROP_IP4_BAD_SOURCE);
			continue;
		}
		dst = rte_be_to_cpu_32(ip->dst_addr);
		top = (uint8_t)(dst >> 24);
		if (unlikely(!ip4_octet_forwardable(top))) {
			// Limited broadcast is for us (e.g. DHCP), and so are OSPF's hellos and
			// updates to its groups (for the control plane); other multicast is not
			// (no multicast routing), and 0/8, 127/8 and class E are never forwarded.
			if (dst == UINT32_MAX || ip4_ospf_group(ip, dst))
				dp_punt(c, m, PUNT_LOCAL, 4);
			else
				dp_drop(c, m, MOLT_DROP_NOT_FORWARDABLE);
			continue;
		}
		c->m4[k] = m;
		c->dst4[k] = dst;
		k++;
	}
	c->n4 = k;
}
