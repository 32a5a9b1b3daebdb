// SPDX-License-Identifier: BSD-3-Clause
// The router's own addresses per DPDK port, copied once from the config so that the packet
// path never walks the config by port name.
#include <errno.h>
#include <string.h>

#include "control/host/local.h"
#include "dataplane/dataplane.h"

struct local_port {
	bool used;
	uint16_t n_v4, n_v6;
	struct molt_ifaddr v4[MOLT_MAX_ADDRS_PER_PORT];
	struct molt_ifaddr v6[MOLT_MAX_ADDRS_PER_PORT];
	uint8_t ll6[16];
};

static struct local_port lports[MOLT_MAX_PORTS];
static struct rte_mempool *pool;
static uint32_t neigh_timeout_ms = 30000;
static uint32_t neigh_hold = 3;
static uint32_t icmp_rate = 100;
static uint32_t icmp_burst = 10;

void local_set_config(const struct molt_config *cfg)
{
	memset(lports, 0, sizeof(lports));
	for (uint16_t i = 0; i < cfg->n_ports && i < MOLT_MAX_PORTS; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];
		struct local_port *lp;

		if (pc->port_id >= MOLT_MAX_PORTS)
			continue;
		lp = &lports[pc->port_id];
		lp->used = true;
		lp->n_v4 = RTE_MIN(pc->n_v4, MOLT_MAX_ADDRS_PER_PORT);
		lp->n_v6 = RTE_MIN(pc->n_v6, MOLT_MAX_ADDRS_PER_PORT);
		memcpy(lp->v4, pc->v4, sizeof(lp->v4));
		memcpy(lp->v6, pc->v6, sizeof(lp->v6));
		memcpy(lp->ll6, pc->ll6, 16);
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

void local_set_pool(struct rte_mempool *mp)
{
	pool = mp;
}

struct rte_mbuf *local_alloc(void)
{
	return pool != NULL ? rte_pktmbuf_alloc(pool) : NULL;
}

const struct rte_ether_addr *local_mac(uint16_t port)
{
	return &molt_dp.ports[port < MOLT_MAX_PORTS ? port : 0].mac;
}

static const struct local_port *lport(uint16_t port)
{
	return port < MOLT_MAX_PORTS && lports[port].used ? &lports[port] : NULL;
}

bool local_is_addr4_port(uint16_t port, const uint8_t ip[4])
{
	const struct local_port *lp = lport(port);

	for (uint16_t i = 0; lp != NULL && i < lp->n_v4; i++)
		if (memcmp(lp->v4[i].addr, ip, 4) == 0)
			return true;
	return false;
}

bool local_is_addr4(const uint8_t ip[4])
{
	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++)
		if (local_is_addr4_port(p, ip))
			return true;
	return false;
}

static bool has_ll6(const struct local_port *lp)
{
	return !ip6_is_unspecified(lp->ll6);
}

static bool is_global6(const struct local_port *lp, const uint8_t ip[16])
{
	for (uint16_t i = 0; i < lp->n_v6; i++)
		if (memcmp(lp->v6[i].addr, ip, 16) == 0)
			return true;
	return false;
}

bool local_is_addr6_port(uint16_t port, const uint8_t ip[16])
{
	const struct local_port *lp = lport(port);

	if (lp == NULL)
		return false;
	if (has_ll6(lp) && memcmp(lp->ll6, ip, 16) == 0)
		return true;
	return is_global6(lp, ip);
}

bool local_is_addr6(uint16_t in_port, const uint8_t ip[16])
{
	if (ip6_is_linklocal(ip))
		return local_is_addr6_port(in_port, ip);
	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++)
		if (lports[p].used && is_global6(&lports[p], ip))
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

bool local_is_bcast4(const uint8_t ip[4])
{
	uint32_t a = v4_host(ip);

	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++) {
		const struct local_port *lp = &lports[p];

		for (uint16_t i = 0; lp->used && i < lp->n_v4; i++) {
			uint32_t m = v4_mask(lp->v4[i].plen);

			// /31 and /32 have no broadcast address (RFC 3021).
			if (lp->v4[i].plen >= 31)
				continue;
			if ((a & m) == (v4_host(lp->v4[i].addr) & m) && (a | m) == UINT32_MAX)
				return true;
		}
	}
	return false;
}

bool local_ip4_src_unicast(const uint8_t a[4])
{
	if (a[0] == 0 || a[0] == 127 || a[0] >= 224)
		return false;
	return !local_is_bcast4(a);
}

int local_src4(uint16_t port, const uint8_t dst[4], uint8_t src[4])
{
	const struct local_port *lp = lport(port);

	if (lp == NULL || lp->n_v4 == 0)
		return -EADDRNOTAVAIL;
	for (uint16_t i = 0; i < lp->n_v4; i++) {
		uint32_t m = v4_mask(lp->v4[i].plen);

		if ((v4_host(dst) & m) == (v4_host(lp->v4[i].addr) & m)) {
			memcpy(src, lp->v4[i].addr, 4);
			return 0;
		}
	}
	memcpy(src, lp->v4[0].addr, 4);
	return 0;
}

int local_src6(uint16_t port, const uint8_t dst[16], uint8_t src[16])
{
	const struct local_port *lp = lport(port);

	if (lp == NULL)
		return -EADDRNOTAVAIL;
	// Same scope as the destination (RFC 6724 rule 2): a link-local peer gets our link-local.
	if (has_ll6(lp) && (ip6_is_linklocal(dst) || lp->n_v6 == 0)) {
		memcpy(src, lp->ll6, 16);
		return 0;
	}
	if (lp->n_v6 == 0)
		return -EADDRNOTAVAIL;
	memcpy(src, lp->v6[0].addr, 16);
	return 0;
}

uint32_t local_neigh_timeout_ms(void)
{
	return neigh_timeout_ms;
}

uint32_t local_neigh_hold(void)
{
	return neigh_hold;
}

uint32_t local_icmp_rate(void)
{
	return icmp_rate;
}

uint32_t local_icmp_burst(void)
{
	return icmp_burst;
}
