// SPDX-License-Identifier: BSD-3-Clause
// What the control thread's packet path knows about the router itself: its addresses per DPDK
// port, copied once from the config so that the packet path never walks the config by port name,
// its MACs, and the neighbour and ICMP settings.
#include <errno.h>
#include <string.h>

#include "control/host/router.h"
#include "dataplane/dataplane.h"
#include "dataplane/ip4_hdr.h"

struct router_port {
	bool used;
	uint16_t n_v4, n_v6;
	struct molt_ifaddr v4[MOLT_MAX_ADDRS_PER_PORT];
	struct molt_ifaddr v6[MOLT_MAX_ADDRS_PER_PORT];
	uint8_t ll6[16];
};

static struct router_port rports[MOLT_MAX_PORTS];
static uint32_t neigh_timeout_ms = 30000;
static uint32_t neigh_hold = 3;
static uint32_t icmp_rate = 100;
static uint32_t icmp_burst = 10;

void router_set_config(const struct molt_config *cfg)
{
	memset(rports, 0, sizeof(rports));
	for (uint16_t i = 0; i < cfg->n_ports && i < MOLT_MAX_PORTS; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];
		struct router_port *rp;

		if (pc->port_id >= MOLT_MAX_PORTS)
			continue;
		rp = &rports[pc->port_id];
		rp->used = true;
		rp->n_v4 = RTE_MIN(pc->n_v4, MOLT_MAX_ADDRS_PER_PORT);
		rp->n_v6 = RTE_MIN(pc->n_v6, MOLT_MAX_ADDRS_PER_PORT);
		memcpy(rp->v4, pc->v4, sizeof(rp->v4));
		memcpy(rp->v6, pc->v6, sizeof(rp->v6));
		memcpy(rp->ll6, pc->ll6, 16);
	}
	// Zero means "not set" for a hand-built config (tests): keep the documented defaults.
	if (cfg->neigh_timeout_ms != 0)
		neigh_timeout_ms = cfg->neigh_timeout_ms;
	if (cfg->neigh_hold != 0)
		neigh_hold = cfg->neigh_hold;
	if (cfg->icmp_rate != 0)
		icmp_rate = cfg->icmp_rate;
	if (cfg->icmp_burst != 0)
		icmp_burst = cfg->icmp_burst;
}

const struct rte_ether_addr *router_mac(uint16_t port)
{
	return &molt_dp.ports[port < MOLT_MAX_PORTS ? port : 0].mac;
}

static const struct router_port *rport(uint16_t port)
{
	return port < MOLT_MAX_PORTS && rports[port].used ? &rports[port] : NULL;
}

bool router_is_addr4_port(uint16_t port, const uint8_t ip[4])
{
	const struct router_port *rp = rport(port);

	for (uint16_t i = 0; rp != NULL && i < rp->n_v4; i++)
		if (memcmp(rp->v4[i].addr, ip, 4) == 0)
			return true;
	return false;
}

bool router_is_addr4(const uint8_t ip[4])
{
	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++)
		if (router_is_addr4_port(p, ip))
			return true;
	return false;
}

static bool has_ll6(const struct router_port *rp)
{
	return !ip6_is_unspecified(rp->ll6);
}

static bool is_global6(const struct router_port *rp, const uint8_t ip[16])
{
	for (uint16_t i = 0; i < rp->n_v6; i++)
		if (memcmp(rp->v6[i].addr, ip, 16) == 0)
			return true;
	return false;
}

bool router_is_addr6_port(uint16_t port, const uint8_t ip[16])
{
	const struct router_port *rp = rport(port);

	if (rp == NULL)
		return false;
	if (has_ll6(rp) && memcmp(rp->ll6, ip, 16) == 0)
		return true;
	return is_global6(rp, ip);
}

bool router_is_addr6(uint16_t in_port, const uint8_t ip[16])
{
	if (ip6_is_linklocal(ip))
		return router_is_addr6_port(in_port, ip);
	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++)
		if (rports[p].used && is_global6(&rports[p], ip))
			return true;
	return false;
}

static uint32_t v4_mask(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - RTE_MIN(plen, 32));
}

static uint32_t v4_host(const uint8_t ip[4])
{
	return (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
}

bool router_is_bcast4(const uint8_t ip[4])
{
	uint32_t a = v4_host(ip);

	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++) {
		const struct router_port *rp = &rports[p];

		for (uint16_t i = 0; rp->used && i < rp->n_v4; i++) {
			uint32_t m = v4_mask(rp->v4[i].plen);

			// /31 and /32 have no broadcast address (RFC 3021).
			if (rp->v4[i].plen >= 31)
				continue;
			if ((a & m) == (v4_host(rp->v4[i].addr) & m) && (a | m) == UINT32_MAX)
				return true;
		}
	}
	return false;
}

bool router_ip4_src_unicast(const uint8_t a[4])
{
	if (!ip4_octet_forwardable(a[0]))
		return false;
	return !router_is_bcast4(a);
}

int router_src4(uint16_t port, const uint8_t dst[4], uint8_t src[4])
{
	const struct router_port *rp = rport(port);

	if (rp == NULL || rp->n_v4 == 0)
		return -EADDRNOTAVAIL;
	for (uint16_t i = 0; i < rp->n_v4; i++) {
		uint32_t m = v4_mask(rp->v4[i].plen);

		if ((v4_host(dst) & m) == (v4_host(rp->v4[i].addr) & m)) {
			memcpy(src, rp->v4[i].addr, 4);
			return 0;
		}
	}
	memcpy(src, rp->v4[0].addr, 4);
	return 0;
}

int router_src6(uint16_t port, const uint8_t dst[16], uint8_t src[16])
{
	const struct router_port *rp = rport(port);

	if (rp == NULL)
		return -EADDRNOTAVAIL;
	// Same scope as the destination (RFC 6724 rule 2): a link-local peer gets our link-local.
	if (has_ll6(rp) && (ip6_is_linklocal(dst) || rp->n_v6 == 0)) {
		memcpy(src, rp->ll6, 16);
		return 0;
	}
	if (rp->n_v6 == 0)
		return -EADDRNOTAVAIL;
	memcpy(src, rp->v6[0].addr, 16);
	return 0;
}

uint32_t router_neigh_timeout_ms(void)
{
	return neigh_timeout_ms;
}

uint32_t router_neigh_hold(void)
{
	return neigh_hold;
}

uint32_t router_icmp_rate(void)
{
	return icmp_rate;
}

uint32_t router_icmp_burst(void)
{
	return icmp_burst;
}
