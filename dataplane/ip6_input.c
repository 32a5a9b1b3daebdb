// SPDX-License-Identifier: BSD-3-Clause
// IPv6 input: fixed-header checks (RFC 8200), neighbour discovery and multicast for the
// control thread, and the burst's remaining destinations collected for one bulk lookup.
#include "dataplane/dp_priv.h"

#define IP6_HDR_LEN sizeof(struct rte_ipv6_hdr)

static inline bool ip6_is_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

// :: (when not 0 over the first 8 bytes the branch costs one compare) or ::1.
static inline bool ip6_is_unspec_or_loopback(const uint8_t *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return hi == 0 && (lo == 0 || lo == rte_cpu_to_be_64(1));
}

static inline bool ip6_is_loopback(const uint8_t *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return hi == 0 && lo == rte_cpu_to_be_64(1);
}

// ICMPv6 right after the fixed header with a type from RS (133) to Redirect (137). ND behind
// extension headers is not recognised: RFC 4861 messages are sent without them in practice.
static inline bool ip6_is_nd(const struct rte_ipv6_hdr *ip6, uint32_t avail)
{
	uint8_t type;

	if (ip6->proto != IPPROTO_ICMPV6 || avail < IP6_HDR_LEN + 1)
		return false;
	type = ((const uint8_t *)ip6)[IP6_HDR_LEN];
	return type >= 133 && type <= 137;
}

void ip6_input(struct dp_ctx *c)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < c->n6; i++) {
		struct rte_mbuf *m = c->m6[i];
		const struct rte_ipv6_hdr *ip6 = dp_ip6(m);
		uint32_t avail = rte_pktmbuf_data_len(m) - sizeof(struct rte_ether_hdr);
		uint32_t frame = rte_pktmbuf_pkt_len(m) - sizeof(struct rte_ether_hdr);

		if (unlikely(avail < IP6_HDR_LEN)) {
			dp_drop(c, m, MOLT_DROP_IP6_TOO_SHORT);
			continue;
		}
		if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)) {
			dp_drop(c, m, MOLT_DROP_IP6_BAD_VERSION);
			continue;
		}
		// A jumbogram (payload length 0 + hop-by-hop option) cannot occur on Ethernet.
		if (unlikely(rte_be_to_cpu_16(ip6->payload_len) + IP6_HDR_LEN > frame)) {
			dp_drop(c, m, MOLT_DROP_IP6_BAD_PAYLOAD_LENGTH);
			continue;
		}
		// RFC 4291 2.7 / 2.5.3: a multicast or loopback source is never valid on the wire.
		// The unspecified source is: duplicate address detection uses it.
		if (unlikely(ip6_is_multicast(ip6->src_addr) || ip6_is_loopback(ip6->src_addr))) {
			dp_drop(c, m, MOLT_DROP_IP6_BAD_SOURCE);
			continue;
		}
		if (unlikely(ip6_is_nd(ip6, avail))) {
			dp_punt(c, m, PUNT_ND, 6);
			continue;
		}
		if (unlikely(ip6_is_multicast(ip6->dst_addr))) {
			// No multicast routing: the control thread keeps what it listens to (MLD,
			// all-nodes echo) and drops the rest.
			dp_punt(c, m, PUNT_LOCAL, 6);
			continue;
		}
		if (unlikely(ip6_is_unspec_or_loopback(ip6->dst_addr))) {
			dp_drop(c, m, MOLT_DROP_NOT_FORWARDABLE);
			continue;
		}
		c->m6[k] = m;
		memcpy(c->dst6[k], ip6->dst_addr, 16);
		k++;
	}
	c->n6 = k;
}
