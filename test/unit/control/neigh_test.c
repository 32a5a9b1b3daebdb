// SPDX-License-Identifier: BSD-3-Clause
// Neighbours: ARP and ND on the wire (formats, checksums), learning into the on-link table and
// into live slots' next hops, the hold queue, retries, failure and ageing.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_arp.h>
#include <rte_hash.h>

#include "control/neigh/neigh.h"
#include "control/punt/punt.h"
#include "dataplane/nexthop.h"
#include "dataplane/slot.h"
#include "test/unit/control/punt_harness.h"

#define SEC UINT64_C(1000000000)
#define T0 (1000 * SEC)

static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct rte_ether_addr gw_mac = { { 0x02, 0xbb, 0, 0, 0, 0x20 } };
static const struct rte_ether_addr gw_mac2 = { { 0x02, 0xbb, 0, 0, 0, 0x21 } };

static struct slot fake;
static struct molt_nh fake_nh[4];

static uint8_t *l3(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
}

static struct port_counters *ctl(int pi)
{
	return &molt_port_ctr[h_port[pi]][MOLT_MAX_WORKERS];
}

static void gw(int i, uint8_t family, const char *ip, int pi)
{
	memset(&fake_nh[i], 0, sizeof(fake_nh[i]));
	fake_nh[i].family = family;
	fake_nh[i].kind = NH_UNRESOLVED;
	fake_nh[i].port = h_port[pi];
	h_addr(ip, fake_nh[i].gateway);
}

static int setup(void **state)
{
	h_setup();
	return 0;
}

static int each_setup(void **state)
{
	assert_int_equal(punt_init(&h_cfg, h_pool), 0);
	assert_int_equal(neigh_init(&h_cfg, 64), 0);
	neigh_poll(T0);
	memset(&fake, 0, sizeof(fake));
	fake.nh = fake_nh;
	fake.nh_count = fake.nh_capacity = 4;
	gw(0, 4, "192.0.2.20", H_P0);
	gw(1, 6, "fe80::1", H_P1);
	gw(2, 6, "2001:db8:2::20", H_P1);
	gw(3, 4, "198.51.100.20", H_P1);
	neigh_slot_attach(&fake);
	memset(molt_port_ctr, 0, sizeof(molt_port_ctr));
	return 0;
}

static int each_teardown(void **state)
{
	neigh_slot_detach(&fake);
	neigh_fini();
	h_drain();
	return 0;
}

static uint64_t nh_l2(int i)
{
	return atomic_load(&fake_nh[i].l2);
}

// What a worker would find for an on-link destination: 0 (UNRESOLVED) when absent.
static uint64_t fast_l2(uint8_t family, const char *ip)
{
	uint8_t key[16];
	void *data;

	h_addr(ip, key);
	if (rte_hash_lookup_data(family == 4 ? molt_dp.neigh.h4 : molt_dp.neigh.h6, key, &data) < 0)
		return 0;
	return atomic_load(&molt_dp.neigh.l2[(uintptr_t)data]);
}

struct find {
	uint8_t ip[16];
	struct neigh_info out;
	bool found;
};

static void find_cb(const struct neigh_info *n, void *arg)
{
	struct find *f = arg;

	if (memcmp(n->ip, f->ip, n->family == 4 ? 4 : 16) == 0) {
		f->out = *n;
		f->found = true;
	}
}

static const char *state_of(const char *ip)
{
	struct find f = { 0 };

	h_addr(ip, f.ip);
	neigh_walk(find_cb, &f);
	return f.found ? f.out.state : "none";
}

static void check_arp(struct rte_mbuf *m, int pi, uint16_t op, const struct rte_ether_addr *dst,
		      const struct rte_ether_addr *tha, const char *sip, const char *tip)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	uint8_t ip[4];

	assert_memory_equal(&eh->dst_addr, dst, 6);
	assert_memory_equal(&eh->src_addr, &h_port_mac[pi], 6);
	assert_int_equal(rte_be_to_cpu_16(eh->ether_type), RTE_ETHER_TYPE_ARP);
	assert_true(rte_pktmbuf_pkt_len(m) >= 42);
	assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), 1);
	assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), 0x0800);
	assert_int_equal(a->arp_hlen, 6);
	assert_int_equal(a->arp_plen, 4);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), op);
	assert_memory_equal(&a->arp_data.arp_sha, &h_port_mac[pi], 6);
	h_addr(sip, ip);
	assert_memory_equal(&a->arp_data.arp_sip, ip, 4);
	assert_memory_equal(&a->arp_data.arp_tha, tha, 6);
	h_addr(tip, ip);
	assert_memory_equal(&a->arp_data.arp_tip, ip, 4);
}

static struct rte_mbuf *udp4_to(const char *dst, uint8_t ttl)
{
	uint8_t l4[28] = { 0x30, 0x39, 0x00, 0x35, 0, 28 };

	return h_ip4(H_P0, &h_port_mac[0], "192.0.2.10", dst, ttl, 17, l4, sizeof(l4));
}

static void test_arp_reply(void **state)
{
	struct rte_mbuf *m;
	uint64_t l2;

	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REQUEST, &bcast, &h_host_mac, "192.0.2.10", "192.0.2.1"),
		h_port[0]);
	m = h_sent(H_P0);
	assert_non_null(m);
	check_arp(m, H_P0, RTE_ARP_OP_REPLY, &h_host_mac, &h_host_mac, "192.0.2.1", "192.0.2.10");
	rte_pktmbuf_free(m);
	// The requester was learned and is usable by workers at once.
	assert_string_equal(state_of("192.0.2.10"), "reachable");
	l2 = fast_l2(4, "192.0.2.10");
	assert_int_equal(nh_l2_kind(l2), NH_FORWARD);
	assert_int_equal(nh_l2_port(l2), h_port[0]);
	assert_int_equal(l2 & NH_L2_MAC_MASK, nh_l2_make(NH_UNRESOLVED, 0, &h_host_mac));

	// Our address of the other port is not answered on this link; nor are strangers.
	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REQUEST, &bcast, &gw_mac, "192.0.2.11", "198.51.100.1"),
		h_port[0]);
	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REQUEST, &bcast, &gw_mac, "192.0.2.11", "192.0.2.99"),
		h_port[0]);
	assert_int_equal(h_sent_count(H_P0), 0);
	assert_string_equal(state_of("192.0.2.11"), "none");
}

static void test_arp_resolve_and_flush(void **state)
{
	struct rte_mbuf *m, *p = udp4_to("203.0.113.9", 10);
	uint8_t gw4[16];
	uint64_t l2;
	uint8_t *ip;

	h_addr("192.0.2.20", gw4);
	neigh_resolve_and_hold(p, 4, gw4, h_port[0]);
	m = h_sent(H_P0);
	assert_non_null(m);
	check_arp(m, H_P0, RTE_ARP_OP_REQUEST, &bcast, &(struct rte_ether_addr){ { 0 } },
		  "192.0.2.1", "192.0.2.20");
	assert_int_equal(rte_pktmbuf_pkt_len(m), 60);
	rte_pktmbuf_free(m);
	assert_null(h_sent(H_P0));
	assert_string_equal(state_of("192.0.2.20"), "incomplete");
	assert_int_equal(nh_l2_kind(nh_l2(0)), NH_UNRESOLVED);

	// The reply resolves it: slot next hop and on-link entry, then the held packet leaves.
	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REPLY, &h_port_mac[0], &gw_mac, "192.0.2.20", "192.0.2.1"),
		h_port[0]);
	assert_string_equal(state_of("192.0.2.20"), "reachable");
	l2 = nh_l2(0);
	assert_int_equal(l2, nh_l2_make(NH_FORWARD, h_port[0], &gw_mac));
	assert_int_equal(fast_l2(4, "192.0.2.20"), l2);
	assert_int_equal(nh_l2(3), nh_l2_make(NH_UNRESOLVED, h_port[1], NULL));
	m = h_sent(H_P0);
	assert_non_null(m);
	assert_memory_equal(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, &gw_mac, 6);
	assert_memory_equal(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr, &h_port_mac[0],
			    6);
	ip = l3(m);
	assert_int_equal(ip[8], 9);
	assert_true(h_ip4_ok(ip));
	rte_pktmbuf_free(m);
	assert_int_equal(ctl(H_P0)->forwarded, 1);

	// Gratuitous ARP: a new MAC for an entry we have.
	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REQUEST, &bcast, &gw_mac2, "192.0.2.20", "192.0.2.20"),
		h_port[0]);
	assert_int_equal(nh_l2(0), nh_l2_make(NH_FORWARD, h_port[0], &gw_mac2));
	// ... but none for one we do not have.
	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REQUEST, &bcast, &gw_mac2, "192.0.2.21", "192.0.2.21"),
		h_port[0]);
	assert_string_equal(state_of("192.0.2.21"), "none");
	assert_int_equal(h_sent_count(H_P0), 0);

	// A next hop that missed the news (added to a live slot later) punts its first packet:
	// that packet leaves at once and repairs the next hop.
	atomic_store(&fake_nh[0].l2, nh_l2_make(NH_UNRESOLVED, h_port[0], NULL));
	neigh_resolve_and_hold(udp4_to("203.0.113.9", 10), 4, gw4, h_port[0]);
	assert_int_equal(nh_l2(0), nh_l2_make(NH_FORWARD, h_port[0], &gw_mac2));
	m = h_sent(H_P0);
	assert_non_null(m);
	assert_memory_equal(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, &gw_mac2, 6);
	rte_pktmbuf_free(m);
}

static void test_hold_limit_and_ttl(void **state)
{
	uint8_t dst[16];
	struct rte_mbuf *m;
	int n = 0, te = 0;

	h_addr("192.0.2.30", dst);
	neigh_resolve_and_hold(udp4_to("203.0.113.9", 1), 4, dst, h_port[0]); // dropped later
	for (int i = 0; i < 4; i++)
		neigh_resolve_and_hold(udp4_to("203.0.113.9", 5), 4, dst, h_port[0]);
	assert_int_equal(h_sent_count(H_P0), 1); // one request for all five
	rte_pktmbuf_free(h_sent(H_P0));
	// Three held: the two oldest (the TTL 1 one among them) were dropped.
	assert_int_equal(ctl(H_P0)->drops[MOLT_DROP_NEIGH_UNRESOLVED], 2);
	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REPLY, &h_port_mac[0], &gw_mac, "192.0.2.30", "192.0.2.1"),
		h_port[0]);
	while ((m = h_sent(H_P0)) != NULL) {
		n++;
		assert_int_equal(l3(m)[8], 4);
		rte_pktmbuf_free(m);
	}
	assert_int_equal(n, 3);

	// A held packet whose TTL runs out here gets a time exceeded, not forwarded.
	h_addr("192.0.2.31", dst);
	neigh_resolve_and_hold(udp4_to("203.0.113.9", 1), 4, dst, h_port[0]);
	rte_pktmbuf_free(h_sent(H_P0));
	neigh_input_arp(
		h_arp(H_P0, RTE_ARP_OP_REPLY, &h_port_mac[0], &gw_mac, "192.0.2.31", "192.0.2.1"),
		h_port[0]);
	while ((m = h_sent(H_P0)) != NULL) {
		uint8_t *ip = l3(m);

		if (ip[9] == 1 && ip[20] == 11)
			te++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(te, 1);
}

static void test_arp_failure(void **state)
{
	uint8_t dst[16];
	struct rte_mbuf *m;
	int unreach = 0;

	h_addr("192.0.2.20", dst);
	neigh_resolve_and_hold(udp4_to("203.0.113.9", 10), 4, dst, h_port[0]);
	neigh_resolve_and_hold(udp4_to("203.0.113.9", 10), 4, dst, h_port[0]);
	// One request now, one a second later, a third after two: then it has failed.
	neigh_poll(T0 + SEC / 2);
	assert_int_equal(h_sent_count(H_P0), 1);
	neigh_poll(T0 + SEC + SEC / 10);
	neigh_poll(T0 + 2 * SEC + SEC / 5);
	assert_int_equal(h_sent_count(H_P0), 3);
	assert_string_equal(state_of("192.0.2.20"), "incomplete");
	h_drain();
	neigh_poll(T0 + 3 * SEC + SEC / 2);
	assert_string_equal(state_of("192.0.2.20"), "failed");
	assert_int_equal(ctl(H_P0)->drops[MOLT_DROP_NEIGH_UNRESOLVED], 2);
	assert_int_equal(nh_l2_kind(nh_l2(0)), NH_UNRESOLVED);
	// Each dropped packet's source hears host unreachable (Linux does the same).
	while ((m = h_sent(H_P0)) != NULL) {
		uint8_t *ip = l3(m);

		assert_true(h_ip4_ok(ip));
		if (ip[9] == 1 && ip[20] == 3 && ip[21] == 1)
			unreach++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(unreach, 2);
	// A new packet starts over.
	neigh_resolve_and_hold(udp4_to("203.0.113.9", 10), 4, dst, h_port[0]);
	assert_string_equal(state_of("192.0.2.20"), "incomplete");
	assert_int_equal(h_sent_count(H_P0), 1);
}

static void test_ageing(void **state)
{
	struct rte_mbuf *m;

	neigh_input_arp(
		h_arp(H_P1, RTE_ARP_OP_REQUEST, &bcast, &gw_mac, "198.51.100.20", "198.51.100.1"),
		h_port[1]);
	rte_pktmbuf_free(h_sent(H_P1));
	assert_int_equal(nh_l2(3), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac));
	neigh_poll(T0 + 29 * SEC);
	assert_string_equal(state_of("198.51.100.20"), "reachable");
	// Past the timeout: probed by unicast, still used meanwhile.
	neigh_poll(T0 + 31 * SEC);
	assert_string_equal(state_of("198.51.100.20"), "stale");
	m = h_sent(H_P1);
	assert_non_null(m);
	check_arp(m, H_P1, RTE_ARP_OP_REQUEST, &gw_mac, &gw_mac, "198.51.100.1", "198.51.100.20");
	rte_pktmbuf_free(m);
	assert_int_equal(nh_l2_kind(nh_l2(3)), NH_FORWARD);
	// An answer confirms it.
	neigh_input_arp(h_arp(H_P1, RTE_ARP_OP_REPLY, &h_port_mac[1], &gw_mac, "198.51.100.20",
			      "198.51.100.1"),
			h_port[1]);
	assert_string_equal(state_of("198.51.100.20"), "reachable");
	// Silence after the next probe: gone, and workers are told.
	neigh_poll(T0 + 62 * SEC);
	for (int i = 1; i <= 3; i++)
		neigh_poll(T0 + 62 * SEC + (uint64_t)i * SEC + SEC / 10);
	assert_string_equal(state_of("198.51.100.20"), "none");
	assert_int_equal(nh_l2_kind(nh_l2(3)), NH_UNRESOLVED);
	assert_int_equal(fast_l2(4, "198.51.100.20"), 0);
	assert_int_equal(h_sent_count(H_P1), 3);
}

static void test_static(void **state)
{
	struct molt_config cfg = h_cfg;

	neigh_slot_detach(&fake);
	neigh_fini();
	cfg.n_neigh = 1;
	cfg.neigh[0].family = 4;
	h_addr("198.51.100.20", cfg.neigh[0].ip);
	cfg.neigh[0].mac = gw_mac;
	strcpy(cfg.neigh[0].port, "p1");
	assert_int_equal(neigh_init(&cfg, 64), 0);
	neigh_poll(T0);
	neigh_slot_attach(&fake);
	assert_int_equal(nh_l2(3), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac));
	assert_string_equal(state_of("198.51.100.20"), "static");
	// Never aged, never overwritten by ARP.
	neigh_input_arp(h_arp(H_P1, RTE_ARP_OP_REPLY, &h_port_mac[1], &gw_mac2, "198.51.100.20",
			      "198.51.100.1"),
			h_port[1]);
	neigh_poll(T0 + 3600 * SEC);
	assert_int_equal(nh_l2(3), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac));
	assert_int_equal(h_sent_count(H_P1), 0);
	assert_int_equal(neigh_del_static(4, cfg.neigh[0].ip, h_port[1]), 0);
	assert_int_equal(nh_l2_kind(nh_l2(3)), NH_UNRESOLVED);

	strcpy(cfg.neigh[0].port, "nope");
	neigh_slot_detach(&fake);
	neigh_fini();
	assert_int_equal(neigh_init(&cfg, 64), -EINVAL);
	assert_int_equal(neigh_init(&h_cfg, 64), 0);
	neigh_slot_attach(&fake);
}

// ND ---------------------------------------------------------------------------------------

static struct rte_mbuf *ns(const char *src, const char *dst, const char *target,
			   const struct rte_ether_addr *slla, uint8_t hlim)
{
	uint8_t msg[32] = { 135 };
	uint16_t len = 24;

	h_addr(target, msg + 8);
	if (slla != NULL) {
		msg[24] = 1;
		msg[25] = 1;
		memcpy(msg + 26, slla, 6);
		len = 32;
	}
	return h_icmp6(H_P0, &bcast, src, dst, hlim, msg, len);
}

static struct rte_mbuf *na(int pi, const char *src, const char *target, uint8_t flags,
			   const struct rte_ether_addr *tlla)
{
	uint8_t msg[32] = { 136, 0, 0, 0, flags };
	struct rte_mbuf *m;

	h_addr(target, msg + 8);
	msg[24] = 2;
	msg[25] = 1;
	memcpy(msg + 26, tlla, 6);
	m = h_icmp6(pi, &h_port_mac[pi], src, "fe80::ff:fe00:101", 255, msg, 32);
	return m;
}

// Takes the next frame sent on port index pi and checks that it is the NS/NA we expect:
// addresses, hop limit, checksum, target and link-layer option.
static void expect_nd(int pi, uint8_t type, uint8_t flags, const struct rte_ether_addr *eth_dst,
		      const char *src, const char *dst, const char *target)
{
	struct rte_mbuf *m = h_sent(pi);
	struct rte_ether_hdr *eh;
	uint8_t *ip, a[16];

	assert_non_null(m);
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = l3(m);
	assert_memory_equal(&eh->dst_addr, eth_dst, 6);
	assert_memory_equal(&eh->src_addr, &h_port_mac[pi], 6);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 40 + 32);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal((ip[4] << 8) | ip[5], 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	h_addr(src, a);
	assert_memory_equal(ip + 8, a, 16);
	h_addr(dst, a);
	assert_memory_equal(ip + 24, a, 16);
	assert_true(h_icmp6_ok(ip));
	assert_int_equal(ip[40], type);
	assert_int_equal(ip[41], 0);
	assert_int_equal(ip[44], flags);
	h_addr(target, a);
	assert_memory_equal(ip + 48, a, 16);
	assert_int_equal(ip[64], type == 135 ? 1 : 2);
	assert_int_equal(ip[65], 1);
	assert_memory_equal(ip + 66, &h_port_mac[pi], 6);
	rte_pktmbuf_free(m);
}

static void test_ns_answered(void **state)
{
	static const struct rte_ether_addr all_nodes = { { 0x33, 0x33, 0, 0, 0, 1 } };
	struct rte_mbuf *m;

	neigh_input_nd(ns("2001:db8:1::10", "ff02::1:ff00:1", "2001:db8:1::1", &gw_mac, 255),
		       h_port[0]);
	expect_nd(H_P0, 136, 0xe0, &gw_mac, "2001:db8:1::1", "2001:db8:1::10", "2001:db8:1::1");
	assert_string_equal(state_of("2001:db8:1::10"), "reachable");
	assert_int_equal(fast_l2(6, "2001:db8:1::10"), nh_l2_make(NH_FORWARD, h_port[0], &gw_mac));

	// Our link-local address, without a source link-layer option: back to the frame source.
	neigh_input_nd(ns("fe80::10", "fe80::ff:fe00:100", "fe80::ff:fe00:100", NULL, 255),
		       h_port[0]);
	expect_nd(H_P0, 136, 0xe0, &h_host_mac, "fe80::ff:fe00:100", "fe80::10",
		  "fe80::ff:fe00:100");

	// DAD: to all nodes, not "solicited".
	neigh_input_nd(ns("::", "ff02::1:ff00:1", "2001:db8:1::1", NULL, 255), h_port[0]);
	expect_nd(H_P0, 136, 0xa0, &all_nodes, "2001:db8:1::1", "ff02::1", "2001:db8:1::1");

	// Not ours (p1's address on p0), forged hop limit, bad checksum: silence.
	neigh_input_nd(ns("2001:db8:1::10", "ff02::1:ff00:1", "2001:db8:2::1", &gw_mac, 255),
		       h_port[0]);
	neigh_input_nd(ns("2001:db8:1::11", "ff02::1:ff00:1", "2001:db8:1::1", &gw_mac, 64),
		       h_port[0]);
	m = ns("2001:db8:1::12", "ff02::1:ff00:1", "2001:db8:1::1", &gw_mac, 255);
	l3(m)[60] ^= 0x40;
	neigh_input_nd(m, h_port[0]);
	assert_int_equal(h_sent_count(H_P0), 0);
	assert_string_equal(state_of("2001:db8:1::11"), "none");
	assert_string_equal(state_of("2001:db8:1::12"), "none");
}

static void test_nd_resolve_linklocal(void **state)
{
	static const struct rte_ether_addr sn = { { 0x33, 0x33, 0xff, 0, 0, 1 } };
	uint8_t l4[16] = { 0 }, dst[16];
	struct rte_mbuf *m, *p;

	p = h_ip6(H_P0, &h_port_mac[0], "2001:db8:1::10", "2001:db8:77::1", 9, 17, l4, 16);
	h_addr("fe80::1", dst);
	neigh_resolve_and_hold(p, 6, dst, h_port[1]);
	// To the solicited-node group, from our link-local address.
	expect_nd(H_P1, 135, 0, &sn, "fe80::ff:fe00:101", "ff02::1:ff00:1", "fe80::1");

	neigh_input_nd(na(H_P1, "fe80::1", "fe80::1", 0x60, &gw_mac), h_port[1]);
	assert_string_equal(state_of("fe80::1"), "reachable");
	assert_int_equal(nh_l2(1), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac));
	// Link-local neighbours are gateways only: not in the on-link table.
	assert_int_equal(fast_l2(6, "fe80::1"), 0);
	m = h_sent(H_P1);
	assert_non_null(m);
	assert_memory_equal(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, &gw_mac, 6);
	assert_int_equal(l3(m)[7], 8);
	rte_pktmbuf_free(m);

	// The same address on the other port is another neighbour.
	assert_int_equal(nh_l2_kind(nh_l2(2)), NH_UNRESOLVED);
	neigh_input_nd(na(H_P0, "fe80::1", "fe80::1", 0x60, &gw_mac2), h_port[0]);
	assert_int_equal(nh_l2(1), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac));
}

static void test_na_updates(void **state)
{
	uint8_t l4[16] = { 0 }, dst[16];
	struct rte_mbuf *p;

	p = h_ip6(H_P0, &h_port_mac[0], "2001:db8:1::10", "2001:db8:77::1", 9, 17, l4, 16);
	h_addr("2001:db8:2::20", dst);
	neigh_resolve_and_hold(p, 6, dst, h_port[1]);
	h_drain();
	// An NA for an entry we never asked about is ignored.
	neigh_input_nd(na(H_P1, "2001:db8:2::99", "2001:db8:2::99", 0x60, &gw_mac), h_port[1]);
	assert_string_equal(state_of("2001:db8:2::99"), "none");
	neigh_input_nd(na(H_P1, "2001:db8:2::20", "2001:db8:2::20", 0x60, &gw_mac), h_port[1]);
	assert_int_equal(nh_l2(2), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac));
	assert_int_equal(fast_l2(6, "2001:db8:2::20"), nh_l2(2));
	assert_int_equal(h_sent_count(H_P1), 1); // the held packet
	// Without override a different address does not replace the one we have; with it, it does.
	neigh_input_nd(na(H_P1, "2001:db8:2::20", "2001:db8:2::20", 0x40, &gw_mac2), h_port[1]);
	assert_int_equal(nh_l2(2), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac));
	neigh_input_nd(na(H_P1, "2001:db8:2::20", "2001:db8:2::20", 0x20, &gw_mac2), h_port[1]);
	assert_int_equal(nh_l2(2), nh_l2_make(NH_FORWARD, h_port[1], &gw_mac2));
	assert_int_equal(fast_l2(6, "2001:db8:2::20"), nh_l2(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_reply, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_arp_resolve_and_flush, each_setup,
						each_teardown),
		cmocka_unit_test_setup_teardown(test_hold_limit_and_ttl, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_arp_failure, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_ageing, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_static, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_ns_answered, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_nd_resolve_linklocal, each_setup,
						each_teardown),
		cmocka_unit_test_setup_teardown(test_na_updates, each_setup, each_teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
