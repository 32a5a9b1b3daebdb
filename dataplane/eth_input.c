// SPDX-License-Identifier: BSD-3-Clause
// First stage: sorts a burst by ethertype. IPv4/IPv6 go on to their input stages, ARP is for
// the control thread, anything else (including VLAN tags, which molt does not speak) is
// dropped and counted. Ports run promiscuous (af_packet on veth needs it), so unicast frames
// for another host's MAC are dropped here: a router acts only on frames sent to it (RFC 1122
// 3.3.6), or a shared segment would see its traffic duplicated.
#include <rte_prefetch.h>

#include "dataplane/dp_priv.h"

void eth_input(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	const struct rte_ether_addr *own = &molt_dp.ports[c->in_port].mac;
	uint64_t bytes = 0;
	uint16_t i;

	// The rx burst left the mbuf headers in cache but not the packet data.
	for (i = 0; i < n && i < DP_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;

		if (i + DP_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_PREFETCH], void *));
		bytes += rte_pktmbuf_pkt_len(m);

		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr))) {
			dp_drop(c, m, MOLT_DROP_ETH_TOO_SHORT);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(rte_is_unicast_ether_addr(&eth->dst_addr) &&
			     !rte_is_same_ether_addr(&eth->dst_addr, own))) {
			dp_drop(c, m, MOLT_DROP_L2_NOT_FOR_US);
			continue;
		}
		switch (eth->ether_type) {
		case RTE_BE16(RTE_ETHER_TYPE_IPV4):
			c->m4[c->n4++] = m;
			break;
		case RTE_BE16(RTE_ETHER_TYPE_IPV6):
			c->m6[c->n6++] = m;
			break;
		case RTE_BE16(RTE_ETHER_TYPE_ARP):
			dp_punt(c, m, PUNT_ARP, 0);
			break;
		default:
			dp_drop(c, m, MOLT_DROP_ETHERTYPE_UNKNOWN);
			break;
		}
	}
	c->ctr->rx += n;
	c->ctr->rx_bytes += bytes;
}
