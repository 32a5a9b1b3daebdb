// SPDX-License-Identifier: BSD-3-Clause
// The control thread's packet path: drain each worker's punt ring and hand every packet to the
// code for its punt reason.
#include <errno.h>

#include <rte_ip.h>
#include <rte_ring.h>

#include "control/cpif/cpif.h"
#include "control/host/icmp.h"
#include "control/host/icmp_echo.h"
#include "control/host/inject.h"
#include "control/host/router.h"
#include "control/neigh/neigh.h"
#include "control/punt/punt.h"
#include "dataplane/dataplane.h"

#define PUNT_BURSTS_PER_RING 4 // bounds one poll so that timers and RPCs are not starved

int punt_init(const struct molt_config *cfg, struct rte_mempool *mp)
{
	if (cfg == NULL || mp == NULL)
		return -EINVAL;
	router_set_config(cfg);
	inject_set_pool(mp);
	return 0;
}

static bool ip6_dst_multicast(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(eh + 1);

	return eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) &&
	       rte_pktmbuf_data_len(m) >= sizeof(*eh) + sizeof(*ip) &&
	       ip6_is_multicast(ip->dst_addr);
}

// Packets to the router: routing protocols go up to the control plane (control/cpif), echo is
// answered, the rest has no listener here. Multicast the router merely receives as a member of a
// group (all-nodes, MLD, ...) is not an error to count.
static void punt_local(struct rte_mbuf *m, uint16_t in_port)
{
	if (cpif_punt_local(m, in_port))
		return;
	if (icmp_echo_reply(m, in_port) == 0) {
		inject_tx(in_port, m);
		return;
	}
	if (!ip6_dst_multicast(m))
		ctl_count_drop(in_port, MOLT_DROP_LOCAL_DROPPED);
	rte_pktmbuf_free(m);
}

static void punt_one(struct rte_mbuf *m)
{
	const struct molt_mbuf_priv *p = molt_mbuf_priv(m);
	uint16_t in_port = p->in_port;

	switch (p->punt_reason) {
	case PUNT_ARP:
		cpif_neigh_copy(m, in_port);
		neigh_input_arp(m, in_port);
		break;
	case PUNT_ND:
		cpif_neigh_copy(m, in_port);
		neigh_input_nd(m, in_port);
		break;
	case PUNT_LOCAL:
		punt_local(m, in_port);
		break;
	case PUNT_RESOLVE:
		neigh_resolve_and_hold(m, p->family, p->resolve_ip, p->out_port);
		break;
	case PUNT_TTL_EXCEEDED:
		icmp_error_send(m, in_port, ICMP_ERR_TTL_EXCEEDED);
		break;
	case PUNT_UNREACHABLE:
		icmp_error_send(m, in_port, ICMP_ERR_NET_UNREACH);
		break;
	default:
		rte_pktmbuf_free(m);
		break;
	}
}

unsigned punt_poll(void)
{
	struct rte_mbuf *ms[MOLT_BURST];
	unsigned total = 0;

	for (uint16_t w = 0; w < molt_dp.nb_workers; w++) {
		struct rte_ring *r = molt_dp.workers[w].punt;

		for (int b = 0; r != NULL && b < PUNT_BURSTS_PER_RING; b++) {
			unsigned n = rte_ring_sc_dequeue_burst(r, (void **)ms, MOLT_BURST, NULL);

			for (unsigned i = 0; i < n; i++)
				punt_one(ms[i]);
			total += n;
			if (n < MOLT_BURST)
				break;
		}
	}
	return total + cpif_poll();
}
