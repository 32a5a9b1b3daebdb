// SPDX-License-Identifier: BSD-3-Clause
// Ports come from the config at run time (rte_dev_probe), not from --vdev: the config is the
// one place that says which devices moltd forwards between.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "control/config/mac.h"
#include "control/port/ports.h"
#include "dataplane/dataplane.h"

#define NB_DESC 1024
#define POOL_CACHE 256

struct port_state {
	bool probed; // created by moltd's rte_dev_probe: moltd closes it
	bool adopted; // existed before: moltd stops it, its creator closes it
	bool started;
	uint16_t nb_rxq, nb_txq;
	uint16_t nb_rxd, nb_txd;
};

static struct port_state state[RTE_MAX_ETHPORTS];
static struct rte_mempool *pool;

// Modified EUI-64 (RFC 4291 appendix A): the address ND and link-local next hops rely on.
static void eui64_ll6(const struct rte_ether_addr *m, uint8_t ll6[16])
{
	memset(ll6, 0, 16);
	ll6[0] = 0xfe;
	ll6[1] = 0x80;
	ll6[8] = m->addr_bytes[0] ^ 0x02;
	ll6[9] = m->addr_bytes[1];
	ll6[10] = m->addr_bytes[2];
	ll6[11] = 0xff;
	ll6[12] = 0xfe;
	ll6[13] = m->addr_bytes[3];
	ll6[14] = m->addr_bytes[4];
	ll6[15] = m->addr_bytes[5];
}

// A device that exists before moltd probes it (made by a harness with rte_eth_from_rings, or
// by --vdev) is used as it is. Its creator owns it: moltd stops it but leaves it open.
static int adopt(struct molt_port_conf *pc, const char *dev, uint16_t id, char *err, size_t errlen)
{
	if (strcmp(dev, pc->devargs) != 0) {
		snprintf(err, errlen,
			 "port %s: device \"%s\" already exists, so the arguments in "
			 "\"%s\" cannot be applied (name only the device, or let moltd create it)",
			 pc->name, dev, pc->devargs);
		return -EEXIST;
	}
	if (state[id].probed || state[id].adopted) {
		snprintf(err, errlen, "port %s: device \"%s\" is already used by another port",
			 pc->name, dev);
		return -EEXIST;
	}
	LOG_INFO("ports", "port %s: using existing device %s (port id %u)", pc->name, dev, id);
	state[id].adopted = true;
	return 0;
}

static int probe(struct molt_port_conf *pc, char *err, size_t errlen)
{
	char dev[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(pc->devargs, ",");
	uint16_t id;
	int ret;

	snprintf(dev, sizeof(dev), "%.*s", (int)n, pc->devargs);
	if (rte_eth_dev_get_port_by_name(dev, &id) == 0) {
		if ((ret = adopt(pc, dev, id, err, errlen)) < 0)
			return ret;
	} else {
		ret = rte_dev_probe(pc->devargs);
		if (ret < 0) {
			// Most PMDs fail probe with a bare -1, which reads as EPERM: say what it
			// means.
			snprintf(err, errlen,
				 "port %s: cannot create device \"%s\": %s (the EAL "
				 "log above usually says which argument the driver refused)",
				 pc->name, pc->devargs,
				 ret == -EPERM ? "the driver refused it" : strerror(-ret));
			return ret;
		}
		ret = rte_eth_dev_get_port_by_name(dev, &id);
		if (ret < 0) {
			snprintf(err, errlen,
				 "port %s: device \"%s\" was created but is not an "
				 "ethernet port",
				 pc->name, dev);
			return -ENODEV;
		}
		state[id].probed = true;
	}
	if (id >= MOLT_MAX_PORTS) {
		snprintf(err, errlen,
			 "port %s: DPDK port id %u is beyond moltd's limit of %d "
			 "ports",
			 pc->name, id, MOLT_MAX_PORTS);
		return -ERANGE;
	}
	pc->port_id = id;
	return 0;
}

// How many rx queues to poll. net_af_packet fans traffic out over every queue pair it was
// created with (PACKET_FANOUT), whatever we configure: an unpolled queue would lose its
// share, so all of them are configured and spread over the workers.
static uint16_t rxq_count(const struct rte_eth_dev_info *info, uint16_t nb_workers)
{
	uint16_t n = nb_workers;

	if (strcmp(info->driver_name, "net_af_packet") == 0)
		n = info->max_rx_queues;
	if (n > info->max_rx_queues)
		n = info->max_rx_queues;
	return n ? n : 1;
}

// Queue counts: every queue the device spreads traffic over is polled, and there is one tx
// queue per worker; the control thread's packets go out through a worker (its inject ring),
// so a device with a single queue pair works with one worker.
static int size_queues(struct molt_port_conf *pc, const struct rte_eth_dev_info *info,
		       uint16_t nb_workers, char *err, size_t errlen)
{
	struct port_state *ps = &state[pc->port_id];

	ps->nb_rxq = rxq_count(info, nb_workers);
	ps->nb_txq = nb_workers;
	if (ps->nb_txq > info->max_tx_queues) {
		snprintf(err, errlen,
			 "port %s: %s offers %u tx queue%s, moltd needs %u (one per "
			 "worker); raise the device's queue count in devargs (qpairs=N for "
			 "net_af_packet, one tx_pcap=FILE per queue for net_pcap, queue_count=N "
			 "for net_af_xdp) or use fewer worker lcores",
			 pc->name, info->driver_name, info->max_tx_queues,
			 info->max_tx_queues == 1 ? "" : "s", ps->nb_txq);
		return -EINVAL;
	}
	return 0;
}

// rte_eth_dev_configure with RSS over IP when there are several rx queues, then the
// descriptor ring sizes the device accepts.
static int configure_device(struct molt_port_conf *pc, const struct rte_eth_dev_info *info,
			    char *err, size_t errlen)
{
	struct port_state *ps = &state[pc->port_id];
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	if (ps->nb_rxq > 1 && (info->flow_type_rss_offloads & RTE_ETH_RSS_IP) != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads & RTE_ETH_RSS_IP;
	}
	ret = rte_eth_dev_configure(pc->port_id, ps->nb_rxq, ps->nb_txq, &conf);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: cannot configure %u rx / %u tx queues: %s",
			 pc->name, ps->nb_rxq, ps->nb_txq, strerror(-ret));
		return ret;
	}
	ps->nb_rxd = NB_DESC;
	ps->nb_txd = NB_DESC;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(pc->port_id, &ps->nb_rxd, &ps->nb_txd);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: cannot size descriptor rings: %s", pc->name,
			 strerror(-ret));
		return ret;
	}
	return 0;
}

// The configured MAC, or the device's own when none is configured; then the link-local
// address derived from it. Must run after promiscuous mode is set (software devices).
static int set_mac(struct molt_port_conf *pc, const struct rte_eth_dev_info *info, char *err,
		   size_t errlen)
{
	char want[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_ether_addr cur;
	uint16_t id = pc->port_id;
	int ret;

	if (!pc->has_mac) {
		ret = rte_eth_macaddr_get(id, &pc->mac);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: cannot read its MAC address: %s", pc->name,
				 strerror(-ret));
			return ret;
		}
		eui64_ll6(&pc->mac, pc->ll6);
		return 0;
	}
	mac_format(&pc->mac, want, sizeof(want));
	ret = rte_eth_dev_default_mac_addr_set(id, &pc->mac);
	if (ret == -ENOTSUP && rte_eth_promiscuous_get(id) == 1) {
		// Software devices (pcap, ring, null) have no MAC filter: in promiscuous mode
		// frames for the configured address arrive all the same, and the address only
		// matters in what moltd itself writes.
		LOG_INFO("ports", "port %s: %s keeps its own MAC; %s is used in software", pc->name,
			 info->driver_name, want);
		ret = 0;
	}
	if (ret < 0 &&
	    (rte_eth_macaddr_get(id, &cur) < 0 || !rte_is_same_ether_addr(&cur, &pc->mac))) {
		snprintf(err, errlen,
			 "port %s: %s cannot set MAC address %s: %s (remove \"mac\" "
			 "to use the device's own)",
			 pc->name, info->driver_name, want, strerror(-ret));
		return ret;
	}
	eui64_ll6(&pc->mac, pc->ll6);
	return 0;
}

static int configure(struct molt_port_conf *pc, uint16_t nb_workers, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	int ret;

	ret = rte_eth_dev_info_get(pc->port_id, &info);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: cannot query device: %s", pc->name, strerror(-ret));
		return ret;
	}
	if ((ret = size_queues(pc, &info, nb_workers, err, errlen)) < 0 ||
	    (ret = configure_device(pc, &info, err, errlen)) < 0)
		return ret;
	// Frames for our MAC must reach us; with af_packet on a veth that takes promiscuous mode.
	ret = rte_eth_promiscuous_enable(pc->port_id);
	if (ret < 0 && ret != -ENOTSUP)
		LOG_WARN("ports", "port %s: cannot enable promiscuous mode: %s", pc->name,
			 strerror(-ret));
	return set_mac(pc, &info, err, errlen);
}

static int setup_queues(const struct molt_port_conf *pc, char *err, size_t errlen)
{
	const struct port_state *ps = &state[pc->port_id];
	int socket = rte_eth_dev_socket_id(pc->port_id);
	int ret = 0;

	if (socket < 0)
		socket = (int)rte_socket_id();
	for (uint16_t q = 0; q < ps->nb_rxq && ret == 0; q++)
		ret = rte_eth_rx_queue_setup(pc->port_id, q, ps->nb_rxd, (unsigned)socket, NULL,
					     pool);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: cannot set up rx queues: %s", pc->name,
			 strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < ps->nb_txq && ret == 0; q++)
		ret = rte_eth_tx_queue_setup(pc->port_id, q, ps->nb_txd, (unsigned)socket, NULL);
	if (ret < 0)
		snprintf(err, errlen, "port %s: cannot set up tx queues: %s", pc->name,
			 strerror(-ret));
	return ret;
}

// Enough mbufs for every ring to be full at once, plus the punt rings, the per-lcore caches
// and the neighbour hold queues.
static unsigned pool_size(const struct molt_config *cfg, uint16_t nb_workers)
{
	unsigned n = 0;

	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		const struct port_state *ps = &state[cfg->ports[i].port_id];

		n += ps->nb_rxq * ps->nb_rxd + ps->nb_txq * ps->nb_txd;
	}
	n += nb_workers * (1024 + 2 * MOLT_BURST);
	n += rte_lcore_count() * POOL_CACHE * 2;
	n += 4096;
	// Mempools are most memory-efficient at 2^k - 1 elements.
	return rte_align32pow2(n) - 1;
}

int ports_init(struct molt_config *cfg, uint16_t nb_workers, struct rte_mempool **mp, char *err,
	       size_t errlen)
{
	uint16_t max_id = 0;
	unsigned n;
	int ret;

	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		if ((ret = probe(&cfg->ports[i], err, errlen)) < 0)
			return ret;
		if ((ret = configure(&cfg->ports[i], nb_workers, err, errlen)) < 0)
			return ret;
		if (cfg->ports[i].port_id + 1 > max_id)
			max_id = (uint16_t)(cfg->ports[i].port_id + 1);
	}

	n = pool_size(cfg, nb_workers);
	pool = rte_pktmbuf_pool_create("molt_pkts", n, POOL_CACHE, MOLT_MBUF_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		snprintf(err, errlen,
			 "cannot create a pool of %u packet buffers (%u MiB): %s "
			 "(give the EAL more memory with -m, or use fewer ports/workers)",
			 n, (unsigned)((uint64_t)n * (RTE_MBUF_DEFAULT_BUF_SIZE + 256) >> 20),
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	*mp = pool;

	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];
		struct dp_port *dp = &molt_dp.ports[pc->port_id];

		if ((ret = setup_queues(pc, err, errlen)) < 0)
			return ret;
		memset(dp, 0, sizeof(*dp));
		dp->port_id = pc->port_id;
		dp->mac = pc->mac;
		if (rte_eth_dev_get_mtu(pc->port_id, &dp->mtu) < 0)
			dp->mtu = RTE_ETHER_MTU;
		snprintf(dp->name, sizeof(dp->name), "%s", pc->name);
	}
	// Indexed by port id: workers and counters iterate 0..nb_ports-1.
	molt_dp.nb_ports = max_id;
	return 0;
}

uint16_t ports_nb_rxq(uint16_t port_id)
{
	return port_id < RTE_MAX_ETHPORTS && (state[port_id].probed || state[port_id].adopted)
		       ? state[port_id].nb_rxq
		       : 0;
}

static void log_port(const struct molt_port_conf *pc)
{
	char line[512], a[64], mac[24];
	struct rte_eth_link link;
	size_t used = 0;

	mac_format(&pc->mac, mac, sizeof(mac));
	line[0] = '\0';
	for (uint16_t i = 0; i < pc->n_v4 + pc->n_v6 + 1; i++) {
		const struct molt_ifaddr *ia = i < pc->n_v4 ? &pc->v4[i] : &pc->v6[i - pc->n_v4];
		uint8_t fam = i < pc->n_v4 ? 4 : 6;
		int w;

		if (i == pc->n_v4 + pc->n_v6)
			w = snprintf(line + used, sizeof(line) - used, " %s/64",
				     molt_addr_format(6, pc->ll6, a, sizeof(a)));
		else
			w = snprintf(line + used, sizeof(line) - used, " %s/%u",
				     molt_addr_format(fam, ia->addr, a, sizeof(a)), ia->plen);
		if (w < 0 || (size_t)w >= sizeof(line) - used)
			break;
		used += (size_t)w;
	}
	if (rte_eth_link_get_nowait(pc->port_id, &link) < 0)
		memset(&link, 0, sizeof(link));
	LOG_NOTICE("ports", "port %s up: id %u, %s, rxq %u txq %u, link %s %u Mb/s, addresses%s",
		   pc->name, pc->port_id, mac, state[pc->port_id].nb_rxq, state[pc->port_id].nb_txq,
		   link.link_status ? "up" : "down", link.link_speed, line);
}

int ports_start(const struct molt_config *cfg, char *err, size_t errlen)
{
	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];
		int ret = rte_eth_dev_start(pc->port_id);

		if (ret < 0) {
			snprintf(err, errlen, "port %s: cannot start: %s", pc->name,
				 strerror(-ret));
			return ret;
		}
		state[pc->port_id].started = true;
		log_port(pc);
	}
	return 0;
}

void ports_fini(void)
{
	for (uint16_t id = 0; id < RTE_MAX_ETHPORTS; id++) {
		struct port_state *ps = &state[id];
		int ret;

		if (ps->started && (ret = rte_eth_dev_stop(id)) < 0)
			LOG_WARN("ports", "port id %u: stop failed: %s", id, strerror(-ret));
		if (ps->probed && (ret = rte_eth_dev_close(id)) < 0)
			LOG_WARN("ports", "port id %u: close failed: %s", id, strerror(-ret));
		memset(ps, 0, sizeof(*ps));
	}
	rte_mempool_free(pool);
	pool = NULL;
}
