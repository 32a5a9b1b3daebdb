// SPDX-License-Identifier: BSD-3-Clause
// ARP (RFC 826) on the control thread: answer requests for our addresses, learn senders the
// way Linux does (requests to us create entries; anything else only refreshes entries we have
// or asked for), and send requests.
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>

#include "control/host/inject.h"
#include "control/host/router.h"
#include "control/neigh/arp.h"
#include "control/neigh/neigh.h"
#include "control/neigh/neigh_table.h"

#define ETH_MIN_FRAME (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN) // 60: padded up to it

static bool arp_valid(const struct rte_arp_hdr *a)
{
	return a->arp_hardware == rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) &&
	       a->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	       a->arp_hlen == RTE_ETHER_ADDR_LEN && a->arp_plen == 4;
}

// Fills an ARP packet at the start of m's data (Ethernet + ARP, 42 bytes).
static void arp_fill(struct rte_ether_hdr *eh, uint16_t op, uint16_t port,
		     const struct rte_ether_addr *eth_dst, const struct rte_ether_addr *tha,
		     const uint8_t sip[4], const uint8_t tip[4])
{
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);

	rte_ether_addr_copy(eth_dst, &eh->dst_addr);
	rte_ether_addr_copy(router_mac(port), &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(router_mac(port), &a->arp_data.arp_sha);
	memcpy(&a->arp_data.arp_sip, sip, 4);
	rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	memcpy(&a->arp_data.arp_tip, tip, 4);
}

int arp_send_request(uint16_t port, const uint8_t ip[4], const struct rte_ether_addr *dst)
{
	static const struct rte_ether_addr zero;
	struct rte_ether_addr bcast;
	struct rte_mbuf *m = inject_alloc();
	uint8_t sip[4] = { 0 };
	char *p;

	if (m == NULL)
		return -ENOMEM;
	p = rte_pktmbuf_append(m, ETH_MIN_FRAME);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memset(p, 0, ETH_MIN_FRAME);
	memset(&bcast, 0xff, sizeof(bcast));
	// No address on the port: an ARP probe with sender 0.0.0.0 (RFC 5227) still resolves.
	router_src4(port, ip, sip);
	arp_fill((struct rte_ether_hdr *)p, RTE_ARP_OP_REQUEST, port, dst ? dst : &bcast,
		 dst ? dst : &zero, sip, ip);
	inject_tx(port, m);
	return 0;
}

// Learns (sip, sha) on port: create only when asked to (a request for one of our addresses),
// otherwise refresh an entry that exists (including one we are resolving).
static void arp_learn(uint16_t port, const uint8_t sip[4], const struct rte_ether_addr *sha,
		      bool create)
{
	struct neigh_entry *e = create ? neigh_get(4, sip, port) : neigh_find(4, sip, port);

	if (e == NULL || e->state == NEIGH_STATIC)
		return;
	neigh_update(e, sha, NEIGH_REACHABLE);
}

void neigh_input_arp(struct rte_mbuf *m, uint16_t in_port)
{
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *a;
	struct rte_ether_addr sha;
	uint8_t sip[4], tip[4];
	uint16_t op;
	bool for_us;

	if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) < 0)
		goto drop;
	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*a) || in_port >= MOLT_MAX_PORTS)
		goto drop;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	a = (struct rte_arp_hdr *)(eh + 1);
	if (!arp_valid(a))
		goto drop;
	op = rte_be_to_cpu_16(a->arp_opcode);
	rte_ether_addr_copy(&a->arp_data.arp_sha, &sha);
	memcpy(sip, &a->arp_data.arp_sip, 4);
	memcpy(tip, &a->arp_data.arp_tip, 4);
	// A group address or our own as sender is a loop or a lie: never learned or answered.
	if (!rte_is_unicast_ether_addr(&sha) || rte_is_same_ether_addr(&sha, router_mac(in_port)))
		goto drop;
	for_us = router_is_addr4_port(in_port, tip);

	// RFC 5227 probe (sender 0.0.0.0): answer if it asks for ours, learn nothing.
	if (sip[0] != 0 && router_ip4_src_unicast(sip) && !router_is_addr4(sip))
		arp_learn(in_port, sip, &sha, op == RTE_ARP_OP_REQUEST && for_us);
	if (op != RTE_ARP_OP_REQUEST || !for_us)
		goto drop;

	// The request becomes the reply in place: sender and target swap.
	arp_fill(eh, RTE_ARP_OP_REPLY, in_port, &sha, &sha, tip, sip);
	inject_tx(in_port, m);
	return;
drop:
	rte_pktmbuf_free(m);
}
