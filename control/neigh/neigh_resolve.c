// SPDX-License-Identifier: BSD-3-Clause
// Resolution in time: starting it for a punted packet, requests and their retries, failure,
// and the ageing of reachable entries (RFC 1122 2.3.2.2, RFC 4861 7.3 in Linux's way), and
// for ECMP the ports' link state and requests for the paths' gateways. Also
// neigh_init / neigh_fini, which set up the table, the hold queue and these timers together.
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>

#include "common/log.h"
#include "control/host/inject.h"
#include "control/host/router.h"
#include "control/neigh/arp.h"
#include "control/neigh/nd.h"
#include "control/neigh/neigh.h"
#include "control/neigh/neigh_hold.h"
#include "control/neigh/neigh_table.h"

#define SCAN_PERIOD_NS (NEIGH_RETRANS_NS / 10) // timers are in seconds: no need to scan more

static uint64_t last_scan_ns;

int neigh_init(const struct molt_config *cfg, uint32_t cap)
{
	int ret;

	if (cap == 0)
		return -EINVAL;
	router_set_config(cfg);
	ret = neigh_table_init(cap);
	if (ret < 0)
		return ret;
	neigh_hold_reset();
	last_scan_ns = 0;

	for (uint16_t i = 0; i < cfg->n_neigh; i++) {
		const struct molt_neigh_conf *nc = &cfg->neigh[i];
		uint16_t p;

		for (p = 0; p < cfg->n_ports; p++)
			if (strcmp(cfg->ports[p].name, nc->port) == 0)
				break;
		if (p == cfg->n_ports) {
			neigh_fini();
			return errno_log(EINVAL, "neigh", "neighbors[%u]: unknown port %s", i,
					 nc->port);
		}
		ret = neigh_add_static(nc->family, nc->ip, &nc->mac, cfg->ports[p].port_id);
		if (ret < 0) {
			neigh_fini();
			return ret;
		}
	}
	return 0;
}

void neigh_fini(void)
{
	neigh_table_fini();
}

// Sends a request for e: broadcast / solicited-node multicast, or unicast to e->mac when
// probing a STALE entry. Counts it in e->probes.
static void solicit(struct neigh_entry *e, bool unicast)
{
	const struct rte_ether_addr *dst = unicast ? &e->mac : NULL;

	e->probes++;
	e->probe_ns = neigh_clock();
	if (e->family == 4)
		arp_send_request(e->port, e->ip, dst);
	else
		nd_send_ns(e->port, e->ip, dst);
}

void neigh_resolve_and_hold(struct rte_mbuf *m, uint8_t family, const uint8_t ip[16], uint16_t port)
{
	struct neigh_entry *e = NULL;

	if ((family == 4 || family == 6) && port < MOLT_MAX_PORTS)
		e = neigh_get(family, ip, port);
	if (e == NULL) {
		ctl_count_drop(molt_mbuf_priv(m)->in_port, MOLT_DROP_NEIGH_UNRESOLVED);
		rte_pktmbuf_free(m);
		return;
	}
	neigh_hold_push(e, m);
	// A packet for a failed neighbour starts a new round of requests, as in Linux.
	if (e->state == NEIGH_FAILED) {
		e->state = NEIGH_INCOMPLETE;
		e->state_ns = neigh_clock();
		e->probes = 0;
	}
	if (e->state == NEIGH_INCOMPLETE && e->probes == 0)
		solicit(e, false);
	// Resolved already: the worker raced with the update, or its next hop was added to a live
	// slot after the entry resolved. Publishing again repairs such next hops.
	if (neigh_resolved(e))
		neigh_publish(e);
	neigh_hold_flush(e);
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
			solicit(e, false);
			break;
		}
		e->state = NEIGH_FAILED;
		e->state_ns = now;
		neigh_hold_drop(e, true, now);
		break;
	case NEIGH_REACHABLE:
		if (now - e->state_ns < reachable_ns)
			break;
		// Still used while stale; unicast probes either confirm it or it goes away.
		e->state = NEIGH_STALE;
		e->state_ns = now;
		e->probes = 0;
		solicit(e, true);
		break;
	case NEIGH_STALE:
		if (now - e->probe_ns < NEIGH_RETRANS_NS)
			break;
		if (e->probes < NEIGH_PROBES)
			solicit(e, true);
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

// The links of the ports, for ECMP to skip paths out of a port that is down. A port whose
// state cannot be read counts as up.
static void poll_links(void)
{
	uint32_t down = 0;

	for (uint16_t i = 0; i < MOLT_MAX_PORTS; i++) {
		struct rte_eth_link link;

		if (!rte_eth_dev_is_valid_port(i) || rte_eth_link_get_nowait(i, &link) != 0)
			continue;
		if (link.link_status == RTE_ETH_LINK_DOWN)
			down |= UINT32_C(1) << i;
	}
	if (atomic_load_explicit(&molt_dp.ports_down, memory_order_relaxed) != down)
		atomic_store_explicit(&molt_dp.ports_down, down, memory_order_relaxed);
}

// Workers skip a multipath route's paths whose neighbour is unresolved, so no packet would ever
// start their resolution: every unresolved gateway of the active slot's groups gets a request
// here. A neighbour that failed is left to its timers; once it is dropped it is asked again.
static void resolve_paths(void)
{
	const struct slot *s = atomic_load_explicit(&molt_dp.active, memory_order_relaxed);

	for (uint32_t k = 0; s != NULL && k < s->grp_count; k++) {
		const struct molt_nh_group *g = &s->grp[k];

		for (unsigned i = 0; i < g->n_paths && i < MOLT_MAX_PATHS; i++) {
			const struct molt_nh *nh;
			struct neigh_entry *e;

			if (g->path_nh[i] >= s->nh_count)
				continue;
			nh = &s->nh[g->path_nh[i]];
			if (nh_l2_kind(atomic_load_explicit(&nh->l2, memory_order_relaxed)) !=
				    NH_UNRESOLVED ||
			    nh->port >= MOLT_MAX_PORTS ||
			    neigh_find(nh->family, nh->gateway, nh->port) != NULL)
				continue;
			e = neigh_get(nh->family, nh->gateway, nh->port);
			if (e != NULL && e->state == NEIGH_INCOMPLETE && e->probes == 0)
				solicit(e, false);
		}
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
	poll_links();
	resolve_paths();
}
