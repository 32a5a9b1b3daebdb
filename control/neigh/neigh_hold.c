// SPDX-License-Identifier: BSD-3-Clause
// Packets held while their neighbour resolves: a ring per entry, sent on with the forwarding
// the worker skipped (TTL, Ethernet rewrite) once the entry resolves, or dropped when it fails.
#include <string.h>

#include "control/host/icmp.h"
#include "control/host/inject.h"
#include "control/host/router.h"
#include "control/neigh/neigh_hold.h"
#include "dataplane/dataplane.h"
#include "dataplane/rewrite.h"

// Host unreachable about held packets is the one ICMP error the workers have not rate-limited.
struct bucket {
	uint64_t tokens; // scaled by 1e9 so that one nanosecond earns rate tokens
	uint64_t last_ns;
};
static struct bucket unreach_bucket[MOLT_MAX_PORTS];

static bool unreach_allow(uint16_t port, uint64_t now)
{
	const uint64_t unit = NEIGH_RETRANS_NS;
	struct bucket *b = &unreach_bucket[port % MOLT_MAX_PORTS];
	uint64_t cap = (uint64_t)router_icmp_burst() * unit;

	if (b->last_ns == 0)
		b->tokens = cap;
	else if (now > b->last_ns)
		b->tokens = RTE_MIN(cap, b->tokens + (now - b->last_ns) * router_icmp_rate());
	b->last_ns = now;
	if (b->tokens < unit)
		return false;
	b->tokens -= unit;
	return true;
}

void neigh_hold_reset(void)
{
	memset(unreach_bucket, 0, sizeof(unreach_bucket));
}

static struct rte_mbuf *hold_pop(struct neigh_entry *e)
{
	struct rte_mbuf *m;

	if (e->n_held == 0)
		return NULL;
	m = e->held[e->head];
	e->head = (uint16_t)((e->head + 1) % NEIGH_HOLD_MAX);
	e->n_held--;
	return m;
}

void neigh_hold_push(struct neigh_entry *e, struct rte_mbuf *m)
{
	uint32_t limit = RTE_MIN(RTE_MAX(router_neigh_hold(), 1u), (uint32_t)NEIGH_HOLD_MAX);

	// Like Linux's unres_qlen: the newest packets are worth more than the oldest.
	while (e->n_held >= limit) {
		struct rte_mbuf *old = hold_pop(e);

		ctl_count_drop(molt_mbuf_priv(old)->in_port, MOLT_DROP_NEIGH_UNRESOLVED);
		rte_pktmbuf_free(old);
	}
	e->held[(e->head + e->n_held) % NEIGH_HOLD_MAX] = m;
	e->n_held++;
}

// The worker punts before its TTL check, so the forwarding decrement happens here.
static void send_held(const struct neigh_entry *e, struct rte_mbuf *m)
{
	uint16_t in_port = molt_mbuf_priv(m)->in_port;
	uint32_t l3_len = e->family == 4 ? sizeof(struct rte_ipv4_hdr)
					 : sizeof(struct rte_ipv6_hdr);
	struct rte_ether_hdr *eh;
	void *l3;
	uint8_t hops;

	if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) < 0)
		goto drop;
	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + l3_len)
		goto drop;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	l3 = eh + 1;
	hops = e->family == 4 ? ((struct rte_ipv4_hdr *)l3)->time_to_live
			      : ((struct rte_ipv6_hdr *)l3)->hop_limits;
	if (hops <= 1) {
		ctl_count_drop(in_port, MOLT_DROP_TTL_EXCEEDED);
		icmp_error_send(m, in_port, ICMP_ERR_TTL_EXCEEDED);
		return;
	}
	if (e->family == 4)
		ip4_ttl_decrement(l3);
	else
		ip6_hop_decrement(l3);
	eth_rewrite(m, &e->mac, router_mac(e->port));
	ctl_count_forwarded(in_port);
	inject_tx(e->port, m);
	return;
drop:
	ctl_count_drop(in_port, MOLT_DROP_NEIGH_UNRESOLVED);
	rte_pktmbuf_free(m);
}

void neigh_hold_flush(struct neigh_entry *e)
{
	struct rte_mbuf *m;

	if (!neigh_resolved(e))
		return;
	while ((m = hold_pop(e)) != NULL)
		send_held(e, m);
}

void neigh_hold_drop(struct neigh_entry *e, bool host_unreach, uint64_t now_ns)
{
	struct rte_mbuf *m;

	while ((m = hold_pop(e)) != NULL) {
		uint16_t in_port = molt_mbuf_priv(m)->in_port;

		ctl_count_drop(in_port, MOLT_DROP_NEIGH_UNRESOLVED);
		if (host_unreach && unreach_allow(in_port, now_ns))
			icmp_error_send(m, in_port, ICMP_ERR_HOST_UNREACH);
		else
			rte_pktmbuf_free(m);
	}
}
