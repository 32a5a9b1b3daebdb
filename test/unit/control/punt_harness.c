// SPDX-License-Identifier: BSD-3-Clause
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include "dataplane/dataplane.h"
#include "test/unit/control/punt_harness.h"
#include "test/unit/eal_tidy.h"

uint16_t h_port[2];
struct rte_mempool *h_pool;
struct molt_config h_cfg;
const struct rte_ether_addr h_host_mac = { { 0x02, 0xaa, 0, 0, 0, 0x10 } };
const struct rte_ether_addr h_port_mac[2] = { { { 0x02, 0, 0, 0, 1, 0 } },
					      { { 0x02, 0, 0, 0, 1, 1 } } };

static struct rte_ring *tx_ring[2];
static bool up;

static void die(const char *what)
{
	fprintf(stderr, "harness: %s\n", what);
	exit(1);
}

static uint16_t ring_port(int i)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_ring *rx;
	char name[32];
	int port;

	snprintf(name, sizeof(name), "nd_rx%d", i);
	rx = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "nd_tx%d", i);
	tx_ring[i] = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rx == NULL || tx_ring[i] == NULL)
		die("rings");
	snprintf(name, sizeof(name), "net_ring_nd%d", i);
	port = rte_eth_from_rings(name, &rx, 1, &tx_ring[i], 1, SOCKET_ID_ANY);
	if (port < 0)
		die("rte_eth_from_rings");
	if (rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(port, 0, 64, SOCKET_ID_ANY, NULL, h_pool) < 0 ||
	    rte_eth_tx_queue_setup(port, 0, 64, SOCKET_ID_ANY, NULL) < 0 ||
	    rte_eth_dev_start(port) < 0)
		die("port start");
	return (uint16_t)port;
}

static void port_conf(int i, const char *v4, const char *v6, const char *ll6)
{
	struct molt_port_conf *pc = &h_cfg.ports[i];

	snprintf(pc->name, sizeof(pc->name), "p%d", i);
	pc->port_id = h_port[i];
	pc->n_v4 = 1;
	h_addr(v4, pc->v4[0].addr);
	pc->v4[0].plen = 24;
	pc->n_v6 = 1;
	h_addr(v6, pc->v6[0].addr);
	pc->v6[0].plen = 64;
	h_addr(ll6, pc->ll6);
	pc->has_mac = true;
	pc->mac = h_port_mac[i];
	molt_dp.ports[h_port[i]].port_id = h_port[i];
	molt_dp.ports[h_port[i]].mac = h_port_mac[i];
}

void h_setup(void)
{
	char prefix[64];
	char *argv[] = {
		"test",          "--no-huge", "-m", "256", "--no-pci",    "--no-shconf",
		"--file-prefix", prefix,      "-l", "0",   "--log-level", "lib.eal:error"
	};

	if (up)
		return;
	snprintf(prefix, sizeof(prefix), "molt-nd-test-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		die("rte_eal_init");
	eal_tidy_at_exit();
	h_pool = rte_pktmbuf_pool_create("nd_pool", 4095, 0, MOLT_MBUF_PRIV_SIZE,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (h_pool == NULL)
		die("pool");
	h_port[0] = ring_port(0);
	h_port[1] = ring_port(1);
	memset(&h_cfg, 0, sizeof(h_cfg));
	h_cfg.n_ports = 2;
	port_conf(0, "192.0.2.1", "2001:db8:1::1", "fe80::ff:fe00:100");
	port_conf(1, "198.51.100.1", "2001:db8:2::1", "fe80::ff:fe00:101");
	h_cfg.neigh_timeout_ms = 30000;
	h_cfg.neigh_hold = 3;
	h_cfg.icmp_rate = 100;
	h_cfg.icmp_burst = 10;
	molt_dp.nb_workers = 0;
	up = true;
}

// Plays the worker's part for packets the control thread handed over (inject ring).
static void h_inject_to_ports(void)
{
	struct rte_ring *r = molt_dp.workers[0].inject;
	struct rte_mbuf *m;

	while (r != NULL && rte_ring_dequeue(r, (void **)&m) == 0)
		if (rte_eth_tx_burst(m->port, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
}

struct rte_mbuf *h_sent(int pi)
{
	void *m;

	h_inject_to_ports();
	return rte_ring_dequeue(tx_ring[pi], &m) == 0 ? m : NULL;
}

unsigned h_sent_count(int pi)
{
	h_inject_to_ports();
	return rte_ring_count(tx_ring[pi]);
}

void h_drain(void)
{
	struct rte_mbuf *m;

	for (int i = 0; i < 2; i++)
		while ((m = h_sent(i)) != NULL)
			rte_pktmbuf_free(m);
}

void h_addr(const char *s, uint8_t *out)
{
	if (inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, out) != 1)
		die(s);
}

uint16_t h_sum(const void *p, size_t len, uint32_t init)
{
	const uint8_t *b = p;
	uint32_t s = init;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

bool h_ip4_ok(const uint8_t *ip)
{
	return h_sum(ip, (ip[0] & 0xf) * 4u, 0) == 0xffff;
}

bool h_icmp4_ok(const uint8_t *icmp, size_t len)
{
	return h_sum(icmp, len, 0) == 0xffff;
}

bool h_icmp6_ok(const uint8_t *ip6)
{
	uint32_t len = (uint32_t)ip6[4] << 8 | ip6[5];
	uint32_t s = h_sum(ip6 + 8, 32, 0);

	s += len + 58; // pseudo-header: upper-layer length, next header
	return h_sum(ip6 + 40, len, s) == 0xffff;
}

static struct rte_mbuf *frame(int in, const struct rte_ether_addr *dst, uint16_t type, uint16_t len,
			      uint8_t **l3)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h_pool);
	struct rte_ether_hdr *eh;
	struct molt_mbuf_priv *p;

	if (m == NULL)
		die("alloc");
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + len));
	if (eh == NULL)
		die("append");
	memset(eh, 0, sizeof(*eh) + len);
	eh->dst_addr = *dst;
	eh->src_addr = h_host_mac;
	eh->ether_type = rte_cpu_to_be_16(type);
	p = molt_mbuf_priv(m);
	memset(p, 0, sizeof(*p));
	p->in_port = h_port[in];
	*l3 = (uint8_t *)(eh + 1);
	return m;
}

struct rte_mbuf *h_ip4(int in, const struct rte_ether_addr *dst_mac, const char *src,
		       const char *dst, uint8_t ttl, uint8_t proto, const void *l4, uint16_t l4len)
{
	uint8_t *ip;
	struct rte_mbuf *m = frame(in, dst_mac, RTE_ETHER_TYPE_IPV4, (uint16_t)(20 + l4len), &ip);
	uint16_t s;

	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4len) >> 8);
	ip[3] = (uint8_t)(20 + l4len);
	ip[4] = 0x12; // identification
	ip[8] = ttl;
	ip[9] = proto;
	h_addr(src, ip + 12);
	h_addr(dst, ip + 16);
	s = (uint16_t)~h_sum(ip, 20, 0);
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
	memcpy(ip + 20, l4, l4len);
	molt_mbuf_priv(m)->family = 4;
	return m;
}

struct rte_mbuf *h_ip6(int in, const struct rte_ether_addr *dst_mac, const char *src,
		       const char *dst, uint8_t hlim, uint8_t proto, const void *l4, uint16_t l4len)
{
	uint8_t *ip;
	struct rte_mbuf *m = frame(in, dst_mac, RTE_ETHER_TYPE_IPV6, (uint16_t)(40 + l4len), &ip);

	ip[0] = 0x60;
	ip[4] = (uint8_t)(l4len >> 8);
	ip[5] = (uint8_t)l4len;
	ip[6] = proto;
	ip[7] = hlim;
	h_addr(src, ip + 8);
	h_addr(dst, ip + 24);
	memcpy(ip + 40, l4, l4len);
	molt_mbuf_priv(m)->family = 6;
	return m;
}

struct rte_mbuf *h_icmp6(int in, const struct rte_ether_addr *dst_mac, const char *src,
			 const char *dst, uint8_t hlim, void *msg, uint16_t len)
{
	struct rte_mbuf *m = h_ip6(in, dst_mac, src, dst, hlim, 58, msg, len);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
	uint32_t s;
	uint16_t c;

	ip[42] = ip[43] = 0;
	s = h_sum(ip + 8, 32, 0) + len + 58u;
	c = (uint16_t)~h_sum(ip + 40, len, s);
	ip[42] = (uint8_t)(c >> 8);
	ip[43] = (uint8_t)c;
	return m;
}

struct rte_mbuf *h_arp(int in, uint16_t op, const struct rte_ether_addr *eth_dst,
		       const struct rte_ether_addr *sha, const char *sip, const char *tip)
{
	uint8_t *p;
	struct rte_mbuf *m = frame(in, eth_dst, RTE_ETHER_TYPE_ARP, 46, &p); // padded to 60
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)p;

	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr = *sha;
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = *sha;
	h_addr(sip, (uint8_t *)&a->arp_data.arp_sip);
	h_addr(tip, (uint8_t *)&a->arp_data.arp_tip);
	return m;
}
