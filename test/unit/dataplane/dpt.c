// SPDX-License-Identifier: BSD-3-Clause
// Test harness for the worker fast path (see dpt.h).
#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"
#include "test/unit/dataplane/dpt.h"
#include "test/unit/eal_tidy.h"

struct rte_mempool *dpt_pool;
struct slot dpt_slot;
struct dp_worker dpt_worker;
struct rte_ring *dpt_tx_ring[DPT_PORTS];
struct rte_ring *dpt_rx_ring[DPT_PORTS];

const struct rte_ether_addr dpt_mac_host = { { 0x02, 0x00, 0x00, 0x00, 0xaa, 0x01 } };
const struct rte_ether_addr dpt_mac_gw4 = { { 0x02, 0x00, 0x00, 0x00, 0x04, 0x01 } };
const struct rte_ether_addr dpt_mac_gw6 = { { 0x02, 0x00, 0x00, 0x00, 0x06, 0x01 } };
const struct rte_ether_addr dpt_mac_n4 = { { 0x02, 0x00, 0x00, 0x00, 0x04, 0x05 } };
const struct rte_ether_addr dpt_mac_n6 = { { 0x02, 0x00, 0x00, 0x00, 0x06, 0x05 } };

// The toy FIB: linear longest-prefix match. Plainly correct, nothing shared with drivers/.
struct tfib_rule {
	uint8_t prefix[16];
	uint8_t plen;
	uint32_t nh;
};

struct tfib {
	uint8_t family;
	unsigned n;
	struct tfib_rule r[16];
};

static struct tfib tfib4 = { .family = 4 }, tfib6 = { .family = 6 };
static struct molt_nh nh_table[DPT_NH_COUNT];
static _Atomic uint64_t neigh_l2[8];

static bool prefix_match(const uint8_t *a, const uint8_t *p, uint8_t plen)
{
	for (unsigned b = 0; b < plen; b++) {
		unsigned mask = 0x80u >> (b % 8);

		if ((a[b / 8] & mask) != (p[b / 8] & mask))
			return false;
	}
	return true;
}

static uint32_t tfib_lookup1(const struct tfib *f, const uint8_t *a)
{
	int best = -1;

	for (unsigned i = 0; i < f->n; i++)
		if (prefix_match(a, f->r[i].prefix, f->r[i].plen) &&
		    (best < 0 || f->r[i].plen > f->r[best].plen))
			best = (int)i;
	return best < 0 ? FIB_NH_MISS : f->r[best].nh;
}

static void tfib_lookup4(const struct fib *fib, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct tfib *f = (const struct tfib *)fib;
	const uint32_t *a = addrs;

	for (unsigned i = 0; i < n; i++) {
		uint32_t be = htonl(a[i]); // the contract: host order in

		nh[i] = tfib_lookup1(f, (const uint8_t *)&be);
	}
}

static void tfib_lookup6(const struct fib *fib, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct tfib *f = (const struct tfib *)fib;
	const uint8_t(*a)[16] = addrs;

	for (unsigned i = 0; i < n; i++)
		nh[i] = tfib_lookup1(f, a[i]);
}

static const struct fib_ops tfib_ops4 = { .family = 4, .lookup_bulk = tfib_lookup4 };
static const struct fib_ops tfib_ops6 = { .family = 6, .lookup_bulk = tfib_lookup6 };

uint32_t dpt_ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

void dpt_ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void route(const char *pfx, uint8_t plen, uint32_t nh)
{
	struct tfib *f = strchr(pfx, ':') ? &tfib6 : &tfib4;
	struct tfib_rule *r = &f->r[f->n++];

	memset(r, 0, sizeof(*r));
	if (f->family == 4) {
		uint32_t a = dpt_ip4(pfx);

		memcpy(r->prefix, &a, 4);
	} else {
		dpt_ip6(pfx, r->prefix);
	}
	r->plen = plen;
	r->nh = nh;
}

static void nh_set(unsigned i, enum nh_kind kind, uint16_t port, const struct rte_ether_addr *mac,
		   const char *gw)
{
	struct molt_nh *e = &nh_table[i];

	atomic_store(&e->l2, nh_l2_make(kind, port, mac));
	e->kind = (uint8_t)kind;
	e->port = port;
	if (gw != NULL) {
		e->family = strchr(gw, ':') ? 6 : 4;
		if (e->family == 4) {
			uint32_t a = dpt_ip4(gw);

			memcpy(e->gateway, &a, 4);
		} else {
			dpt_ip6(gw, e->gateway);
		}
	}
}

static struct molt_nh_group grp_table[1];

static void slot_init(void)
{
	struct molt_nh_group *g = &grp_table[0];

	nh_set(DPT_NH_FWD4, NH_FORWARD, 1, &dpt_mac_gw4, "10.1.255.1");
	nh_set(DPT_NH_BLACKHOLE, NH_BLACKHOLE, 0, NULL, NULL);
	nh_set(DPT_NH_LOCAL, NH_LOCAL, 0, NULL, NULL);
	nh_set(DPT_NH_UNRES4, NH_UNRESOLVED, 2, NULL, "10.3.0.1");
	nh_set(DPT_NH_CONN4, NH_CONNECTED, 2, NULL, NULL);
	nh_set(DPT_NH_DROP, NH_DROP, 0, NULL, NULL);
	nh_set(DPT_NH_FWD6, NH_FORWARD, 2, &dpt_mac_gw6, "2001:db8:ffff::1");
	nh_set(DPT_NH_UNRES6, NH_UNRESOLVED, 1, NULL, "fe80::1");
	nh_set(DPT_NH_CONN6, NH_CONNECTED, 1, NULL, NULL);
	nh_set(DPT_NH_SMALL, NH_FORWARD, 3, &dpt_mac_gw4, "10.7.0.1");
	nh_set(DPT_NH_P2, NH_FORWARD, 2, &dpt_mac_gw6, "10.6.255.2");
	nh_set(DPT_NH_GRP, NH_GROUP, 0, NULL, NULL);
	atomic_store(&nh_table[DPT_NH_GRP].l2, nh_l2_make_group(0));
	g->n_paths = 3;
	g->n_buckets = 63;
	g->planned = 0x7;
	g->ctr = 1;
	g->path_nh[0] = DPT_NH_FWD4;
	g->path_nh[1] = DPT_NH_P2;
	g->path_nh[2] = DPT_NH_UNRES4;
	for (unsigned i = 0; i < 3; i++)
		g->weight[i] = 1;
	// Shuffled, as control/slot/nh_group.c does (an unshuffled table would send all of a
	// skipped path's flows to the path after it).
	for (unsigned b = 0; b < g->n_buckets; b++)
		g->buckets[b] = (uint8_t)(b % 3);
	for (unsigned b = g->n_buckets - 1, x = 12345; b > 0; b--) {
		unsigned j;
		uint8_t t;

		x = x * 1103515245u + 12345u;
		j = (x >> 8) % (b + 1);
		t = g->buckets[b];
		g->buckets[b] = g->buckets[j];
		g->buckets[j] = t;
	}

	route("10.1.0.0", 16, DPT_NH_FWD4);
	route("10.9.0.0", 16, DPT_NH_BLACKHOLE);
	route("10.0.0.1", 32, DPT_NH_LOCAL);
	route("10.3.0.0", 16, DPT_NH_UNRES4);
	route("10.2.0.0", 24, DPT_NH_CONN4);
	route("10.5.0.0", 16, DPT_NH_DROP);
	route("10.7.0.0", 16, DPT_NH_SMALL);
	route("10.6.0.0", 16, DPT_NH_GRP);
	route("2001:db8:6::", 48, DPT_NH_GRP);
	route("10.8.0.0", 16, 12345); // a next hop past the table: must not be dereferenced
	route("2001:db8:1::", 48, DPT_NH_FWD6);
	route("2001:db8:3::", 48, DPT_NH_UNRES6);
	route("2001:db8:2::", 64, DPT_NH_CONN6);
	route("2001:db8::1", 128, DPT_NH_LOCAL);
	route("2001:db8:9::", 48, DPT_NH_BLACKHOLE);
	route("fe80::", 10, DPT_NH_DROP);
	route("2001:db8:8::", 48, 12345); // as 10.8.0.0/16

	dpt_slot.fib4 = (struct fib *)&tfib4;
	dpt_slot.fib6 = (struct fib *)&tfib6;
	dpt_slot.ops4 = &tfib_ops4;
	dpt_slot.ops6 = &tfib_ops6;
	dpt_slot.nh = nh_table;
	dpt_slot.nh_count = DPT_NH_COUNT;
	dpt_slot.nh_capacity = DPT_NH_COUNT;
	dpt_slot.grp = grp_table;
	dpt_slot.grp_count = 1;
	dpt_slot.grp_capacity = 1;
	dpt_slot.generation = 42;
	dpt_slot.state = SLOT_ACTIVE;
}

static struct rte_hash *hash_create(const char *name, uint32_t key_len)
{
	struct rte_hash_parameters p = {
		.name = name,
		.entries = 64,
		.key_len = key_len,
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash *h = rte_hash_create(&p);

	assert_non_null(h);
	return h;
}

static void neigh_init(void)
{
	uint32_t a4 = dpt_ip4("10.2.0.5");
	uint8_t a6[16];

	molt_dp.neigh.h4 = hash_create("dpt_n4", 4);
	molt_dp.neigh.h6 = hash_create("dpt_n6", 16);
	molt_dp.neigh.l2 = neigh_l2;
	molt_dp.neigh.capacity = RTE_DIM(neigh_l2);
	// Index 0 is used on purpose: a NULL data pointer is a valid index.
	atomic_store(&neigh_l2[0], nh_l2_make(NH_FORWARD, 2, &dpt_mac_n4));
	assert_int_equal(rte_hash_add_key_data(molt_dp.neigh.h4, &a4, (void *)(uintptr_t)0), 0);
	dpt_ip6("2001:db8:2::5", a6);
	atomic_store(&neigh_l2[1], nh_l2_make(NH_FORWARD, 1, &dpt_mac_n6));
	assert_int_equal(rte_hash_add_key_data(molt_dp.neigh.h6, a6, (void *)(uintptr_t)1), 0);
	// 10.2.0.7 is known but incomplete (the control thread adds entries before resolving).
	a4 = dpt_ip4("10.2.0.7");
	atomic_store(&neigh_l2[2], nh_l2_make(NH_UNRESOLVED, 2, NULL));
	assert_int_equal(rte_hash_add_key_data(molt_dp.neigh.h4, &a4, (void *)(uintptr_t)2), 0);
}

static void ports_init(void)
{
	const unsigned flags = RING_F_SP_ENQ | RING_F_SC_DEQ;
	const int sock = SOCKET_ID_ANY;

	for (uint16_t p = 0; p < DPT_PORTS; p++) {
		struct rte_ether_addr mac = { { 0x02, 0x11, 0x11, 0x11, 0x11, (uint8_t)p } };
		struct rte_eth_conf conf;
		char name[32];
		int port;

		snprintf(name, sizeof(name), "dpt_rx%u", p);
		dpt_rx_ring[p] = rte_ring_create(name, 256, sock, flags);
		snprintf(name, sizeof(name), "dpt_tx%u", p);
		dpt_tx_ring[p] = rte_ring_create(name, p == 3 ? DPT_SMALL_TX_RING : 256, sock,
						 flags);
		assert_non_null(dpt_rx_ring[p]);
		assert_non_null(dpt_tx_ring[p]);
		snprintf(name, sizeof(name), "net_ring_dpt%u", p);
		port = rte_eth_from_rings(name, &dpt_rx_ring[p], 1, &dpt_tx_ring[p], 1, sock);
		// molt_dp.ports is indexed by DPDK port id: the harness relies on ids 0..3.
		assert_int_equal(port, p);
		memset(&conf, 0, sizeof(conf));
		assert_int_equal(rte_eth_dev_configure(p, 1, 1, &conf), 0);
		assert_int_equal(rte_eth_rx_queue_setup(p, 0, 256, sock, NULL, dpt_pool), 0);
		assert_int_equal(rte_eth_tx_queue_setup(p, 0, 256, sock, NULL), 0);
		assert_int_equal(rte_eth_dev_start(p), 0);

		molt_dp.ports[p].port_id = p;
		molt_dp.ports[p].mtu = 1500;
		molt_dp.ports[p].mac = mac;
		snprintf(molt_dp.ports[p].name, sizeof(molt_dp.ports[p].name), "p%u", p);
	}
	molt_dp.nb_ports = DPT_PORTS;
}

int dpt_group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test",          "--no-huge", "-m", "256", "--no-pci",    "--no-shconf",
		"--file-prefix", prefix,      "-l", "0",   "--log-level", "lib.eal:error"
	};

	snprintf(prefix, sizeof(prefix), "molt-dp-test-%d", (int)getpid());
	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return -1;
	eal_tidy_at_exit();
	dpt_pool = rte_pktmbuf_pool_create("dpt_pool", 2047, 0, MOLT_MBUF_PRIV_SIZE,
					   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (dpt_pool == NULL)
		return -1;
	ports_init();
	slot_init();
	neigh_init();
	dpt_worker.worker_id = 0;
	dpt_worker.txq = 0;
	dpt_worker.punt = rte_ring_create("dpt_punt", 256, SOCKET_ID_ANY,
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (dpt_worker.punt == NULL)
		return -1;
	(void)state;
	return 0;
}

int dpt_group_teardown(void **state)
{
	for (uint16_t p = 0; p < DPT_PORTS; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_hash_free(molt_dp.neigh.h4);
	rte_hash_free(molt_dp.neigh.h6);
	rte_eal_cleanup();
	(void)state;
	return 0;
}

int dpt_setup(void **state)
{
	struct rte_mbuf *m[64];
	unsigned n;

	for (uint16_t p = 0; p < DPT_PORTS; p++) {
		molt_port_counters_reset(p);
		while ((n = dpt_sent(p, m, RTE_DIM(m))) > 0)
			dpt_free(m, n);
	}
	while ((n = dpt_punted(m, RTE_DIM(m))) > 0)
		dpt_free(m, n);
	molt_dp.icmp_tokens_per_sec = 1000;
	molt_dp.icmp_burst = 100;
	dp_icmp_reset(0);
	atomic_store(&molt_dp.ports_down, 0);
	memset(molt_ecmp_ctr[dpt_worker.worker_id][1], 0, sizeof(molt_ecmp_ctr[0][1]));
	(void)state;
	return 0;
}

static struct rte_mbuf *mk_frame(uint16_t ethertype, uint16_t l3_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpt_pool);
	struct rte_ether_hdr *eth;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + l3_len);
	assert_non_null(eth);
	memset(eth, 0, sizeof(*eth) + l3_len);
	rte_ether_addr_copy(&molt_dp.ports[0].mac, &eth->dst_addr);
	rte_ether_addr_copy(&dpt_mac_host, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ethertype);
	return m;
}

struct rte_ipv4_hdr *dpt_ip4_hdr(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
}

struct rte_ipv6_hdr *dpt_ip6_hdr(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
}

uint16_t dpt_ip4_cksum_ref(const struct rte_ipv4_hdr *ip)
{
	const uint8_t *p = (const uint8_t *)ip;
	unsigned len = (ip->version_ihl & 0xf) * 4u;
	uint32_t sum = 0;

	// Byte by byte in network order, skipping the checksum field: nothing clever.
	for (unsigned i = 0; i < len; i += 2)
		if (i != offsetof(struct rte_ipv4_hdr, hdr_checksum))
			sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)~sum);
}

void dpt_ip4_fix_cksum(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = dpt_ip4_hdr(m);

	ip->hdr_checksum = dpt_ip4_cksum_ref(ip);
}

struct rte_mbuf *dpt_mk4(const char *src, const char *dst, uint8_t ttl, uint16_t payload_len)
{
	uint16_t len = (uint16_t)(sizeof(struct rte_ipv4_hdr) + payload_len);
	struct rte_mbuf *m = mk_frame(RTE_ETHER_TYPE_IPV4, len);
	struct rte_ipv4_hdr *ip = dpt_ip4_hdr(m);
	uint8_t *pl = (uint8_t *)(ip + 1);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = dpt_ip4(src);
	ip->dst_addr = dpt_ip4(dst);
	for (unsigned i = 0; i < payload_len; i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	dpt_ip4_fix_cksum(m);
	return m;
}

struct rte_mbuf *dpt_mk6(const char *src, const char *dst, uint8_t hops, uint8_t proto,
			 uint8_t first_byte, uint16_t payload_len)
{
	uint16_t len = (uint16_t)(sizeof(struct rte_ipv6_hdr) + payload_len);
	struct rte_mbuf *m = mk_frame(RTE_ETHER_TYPE_IPV6, len);
	struct rte_ipv6_hdr *ip6 = dpt_ip6_hdr(m);
	uint8_t *pl = (uint8_t *)(ip6 + 1);

	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(payload_len);
	ip6->proto = proto;
	ip6->hop_limits = hops;
	dpt_ip6(src, ip6->src_addr);
	dpt_ip6(dst, ip6->dst_addr);
	for (unsigned i = 0; i < payload_len; i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	if (payload_len > 0)
		pl[0] = first_byte;
	return m;
}

void dpt_run(struct rte_mbuf **pkts, uint16_t n)
{
	dp_process_burst(&dpt_worker, &dpt_slot, 0, pkts, n);
}

void dpt_run1(struct rte_mbuf *m)
{
	dpt_run(&m, 1);
}

unsigned dpt_sent(uint16_t port, struct rte_mbuf **out, unsigned max)
{
	return rte_ring_dequeue_burst(dpt_tx_ring[port], (void **)out, max, NULL);
}

unsigned dpt_punted(struct rte_mbuf **out, unsigned max)
{
	return rte_ring_dequeue_burst(dpt_worker.punt, (void **)out, max, NULL);
}

void dpt_free(struct rte_mbuf **m, unsigned n)
{
	rte_pktmbuf_free_bulk(m, n);
}

void dpt_free1(struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
}

struct port_counters dpt_ctr(uint16_t port)
{
	struct port_counters c;

	molt_port_counters_sum(port, &c);
	return c;
}

void dpt_expect_drop(struct rte_mbuf *m, enum molt_drop_reason reason)
{
	struct rte_mbuf *out[4];
	struct port_counters c;
	uint64_t total = 0;

	dpt_run1(m);
	c = dpt_ctr(0);
	assert_int_equal(c.rx, 1);
	assert_int_equal(c.forwarded, 0);
	assert_int_equal(c.punted, 0);
	assert_int_equal(c.drops[reason], 1);
	for (unsigned r = 0; r < MOLT_DROP_MAX; r++)
		total += c.drops[r];
	assert_int_equal(total, 1);
	for (uint16_t p = 0; p < DPT_PORTS; p++)
		assert_int_equal(dpt_sent(p, out, 4), 0);
	assert_int_equal(dpt_punted(out, 4), 0);
}

struct rte_mbuf *dpt_expect_punt(struct rte_mbuf *m, enum punt_reason reason, uint8_t family)
{
	uint64_t punted = dpt_ctr(0).punted;
	struct rte_mbuf *out[4];
	struct molt_mbuf_priv *p;

	dpt_run1(m);
	assert_int_equal(dpt_punted(out, 4), 1);
	assert_ptr_equal(out[0], m);
	p = molt_mbuf_priv(m);
	assert_int_equal(p->punt_reason, reason);
	assert_int_equal(p->in_port, 0);
	assert_int_equal(p->family, family);
	assert_int_equal(dpt_ctr(0).punted, punted + 1);
	for (uint16_t q = 0; q < DPT_PORTS; q++)
		assert_int_equal(dpt_sent(q, out, 4), 0);
	return m;
}
