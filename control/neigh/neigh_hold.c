// SPDX-License-Identifier: BSD-3-Clause
// Resolution in time: packets held while a neighbour resolves, requests and their retries,
// failure, and the ageing of reachable entries (RFC 1122 2.3.2.2, RFC 4861 7.3 in Linux's way).
#include <string.h>

#include "control/host/icmp.h"
#include "control/host/inject.h"
#include "control/host/router.h"
#include "control/neigh/neigh.h"
#include "control/neigh/neigh_priv.h"
#include "dataplane/rewrite.h"

#define SCAN_PERIOD_NS (NEIGH_RETRANS_NS / 10)	// timers are in seconds: no need to scan more

// Host unreachable about held packets is the one ICMP error the workers have not rate-limited.
struct bucket {
	uint64_t tokens;	// scaled by 1e9 so that one nanosecond earns rate tokens
	uint64_t last_ns;
};
static struct bucket unreach_bucket[MOLT_MAX_PORTS];
static uint64_t last_scan_ns;

static bool unreach_allow(uint16_t port)
{
	const uint64_t unit = NEIGH_RETRANS_NS;
	struct bucket *b = &unreach_bucket[port % MOLT_MAX_PORTS];
	uint64_t now = neigh_clock(), cap = (uint64_t)router_icmp_burst() * unit;

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
	last_scan_ns = 0;
}

static bool resolved(const struct neigh_entry *e)
{
	return e->state == NEIGH_STATIC || e->state == NEIGH_REACHABLE || e->state == NEIGH_STALE;
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

static void hold_push(struct neigh_entry *e, struct rte_mbuf *m)
{
	uint32_t limit = RTE_MIN(RTE_MAX(router_neigh_hold(), 1u), (uint32_t)NEIGH_HOLD_MAX);

	// Like Linux's unres_qlen: the newest packets are worth more than the oldest.
	while (e->n_held >= limit) {
		struct rte_mbuf *old = hold_pop(e);

		neigh_count_drop(molt_mbuf_priv(old)->in_port, MOLT_DROP_NEIGH_UNRESOLVED);
		rte_pktmbuf_free(old);
	}
	e->held[(e->head + e->n_held) % NEIGH_HOLD_MAX] = m;
	e->n_held++;
}

// The worker punts before its TTL check, so the forwarding decrement happens here.
static void send_held(const struct neigh_entry *e, struct rte_mbuf *m)
{
	uint16_t in_port = molt_mbuf_priv(m)->in_port;
	struct rte_ether_hdr *eh;

	if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) < 0)
		goto drop;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (e->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

		if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ip))
			goto drop;
		if (ip->time_to_live <= 1) {
			neigh_count_drop(in_port, MOLT_DROP_TTL_EXCEEDED);
			icmp_error_send(m, in_port, ICMP_ERR_TTL_EXCEEDED);
			return;
		}
		ip4_ttl_decrement(ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);

		if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ip))
			goto drop;
		if (ip->hop_limits <= 1) {
			neigh_count_drop(in_port, MOLT_DROP_TTL_EXCEEDED);
			icmp_error_send(m, in_port, ICMP_ERR_TTL_EXCEEDED);
			return;
		}
		ip6_hop_decrement(ip);
	}
	eth_rewrite(m, &e->mac, router_mac(e->port));
	if (in_port < MOLT_MAX_PORTS)
		molt_port_ctr[in_port][MOLT_MAX_WORKERS].forwarded++;
	inject_tx(e->port, m);
	return;
drop:
	neigh_count_drop(in_port, MOLT_DROP_NEIGH_UNRESOLVED);
	rte_pktmbuf_free(m);
}

void neigh_flush(struct neigh_entry *e)
{
	struct rte_mbuf *m;

	if (!resolved(e))
		return;
	while ((m = hold_pop(e)) != NULL)
		send_held(e, m);
}

void neigh_drop_held(struct neigh_entry *e, bool host_unreach)
{
	struct rte_mbuf *m;

	while ((m = hold_pop(e)) != NULL) {
		uint16_t in_port = molt_mbuf_priv(m)->in_port;

		neigh_count_drop(in_port, MOLT_DROP_NEIGH_UNRESOLVED);
		if (host_unreach && unreach_allow(in_port))
			icmp_error_send(m, in_port, ICMP_ERR_HOST_UNREACH);
		else
			rte_pktmbuf_free(m);
	}
}

void neigh_solicit(struct neigh_entry *e, bool unicast)
{
	const struct rte_ether_addr *dst = unicast ? &e->mac : NULL;

	e->probes++;
	e->probe_ns = neigh_clock();
	if (e->family == 4)
		arp_send_request(e->port, e->ip, dst);
	else
		nd_send_ns(e->port, e->ip, dst);
}

void neigh_resolve_and_hold(struct rte_mbuf *m, uint8_t family, const uint8_t ip[16],
			    uint16_t port)
{
	struct neigh_entry *e = NULL;

	if ((family == 4 || family == 6) && port < MOLT_MAX_PORTS) {
		e = neigh_find(family, ip, port);
		if (e == NULL)
			e = neigh_create(family, ip, port);
	}
	if (e == NULL) {
		neigh_count_drop(molt_mbuf_priv(m)->in_port, MOLT_DROP_NEIGH_UNRESOLVED);
		rte_pktmbuf_free(m);
		return;
	}
	hold_push(e, m);
	// A packet for a failed neighbour starts a new round of requests, as in Linux.
	if (e->state == NEIGH_FAILED) {
		e->state = NEIGH_INCOMPLETE;
		e->state_ns = neigh_clock();
		e->probes = 0;
	}
	if (e->state == NEIGH_INCOMPLETE && e->probes == 0)
		neigh_solicit(e, false);
	// Resolved already: the worker raced with the update, or its next hop was added to a live
	// slot after the entry resolved. Publishing again repairs such next hops.
	if (resolved(e))
		neigh_publish(e);
	neigh_flush(e);
}

static void timers(struct neigh_entry *e, void *arg)
{
	uint64_t now = *(const uint64_t *)arg;
	uint64_t reachable_ns = (uint64_t)router_neigh_timeout_ms() * 1000000;

	switch (e->state) {
	case NEIGH_INCOMPLETE:
		if (now - e->probe_ns < NEIGH_RETRANS_NS)
			break;
		if (e->probes < NEIGH_PROBES) {
			neigh_solicit(e, false);
			break;
		}
		e->state = NEIGH_FAILED;
		e->state_ns = now;
		neigh_drop_held(e, true);
		break;
	case NEIGH_REACHABLE:
		if (now - e->state_ns < reachable_ns)
			break;
		// Still used while stale; unicast probes either confirm it or it goes away.
		e->state = NEIGH_STALE;
		e->state_ns = now;
		e->probes = 0;
		neigh_solicit(e, true);
		break;
	case NEIGH_STALE:
		if (now - e->probe_ns < NEIGH_RETRANS_NS)
			break;
		if (e->probes < NEIGH_PROBES)
			neigh_solicit(e, true);
		else
			neigh_delete(e);
		break;
	case NEIGH_FAILED:
		if (now - e->state_ns >= NEIGH_FAILED_KEEP_NS)
			neigh_delete(e);
		break;
	default:
		break;
	}
}

void neigh_poll(uint64_t now_ns)
{
	neigh_clock_set(now_ns);
	now_ns = neigh_clock();
	neigh_reclaim();
	if (now_ns - last_scan_ns < SCAN_PERIOD_NS && last_scan_ns != 0)
		return;
	last_scan_ns = now_ns;
	neigh_foreach(timers, &now_ns);
}
