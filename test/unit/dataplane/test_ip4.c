// SPDX-License-Identifier: BSD-3-Clause
// IPv4 through the worker fast path: RFC 1812 5.2.2 header checks (one test per check), the
// destination and source classes, and every next-hop kind.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"
#include "test/unit/dataplane/dpt.h"

// A packet from 192.0.2.1 to dst must be punted with reason r; frees it.
static void punt4(const char *dst, uint8_t ttl, enum punt_reason r)
{
	dpt_free1(dpt_expect_punt(dpt_mk4("192.0.2.1", dst, ttl, 8), r, 4));
}

static void test_forward(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 100), *out[4];
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	uint8_t before[256];

	assert_true(rte_pktmbuf_data_len(m) <= sizeof(before));
	memcpy(before, rte_pktmbuf_mtod(m, void *), rte_pktmbuf_data_len(m));
	dpt_run1(m);
	assert_int_equal(dpt_sent(1, out, 4), 1);
	assert_ptr_equal(out[0], m);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	assert_memory_equal(&eth->dst_addr, &dpt_mac_gw4, 6);
	assert_memory_equal(&eth->src_addr, &molt_dp.ports[1].mac, 6);
	ip = dpt_ip4_hdr(m);
	assert_int_equal(ip->time_to_live, 63);
	assert_int_equal(ip->hdr_checksum, dpt_ip4_cksum_ref(ip));
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	// Everything but MACs, TTL and checksum is untouched.
	assert_memory_equal((uint8_t *)ip, before + 14, 8);
	assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
	assert_memory_equal((uint8_t *)ip + 12, before + 14 + 12, 134 - 14 - 12);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 20 + 100);
	assert_int_equal(dpt_ctr(0).rx, 1);
	assert_int_equal(dpt_ctr(0).forwarded, 1);
	assert_int_equal(dpt_ctr(1).tx, 1);
	assert_int_equal(dpt_ctr(1).tx_bytes, 134);
	dpt_free(out, 1);
}

// Ethernet pads short frames: the frame may be longer than total length, which is fine.
static void test_padding_ok(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0), *out[4];

	assert_non_null(rte_pktmbuf_append(m, 26));
	dpt_run1(m);
	assert_int_equal(dpt_sent(1, out, 4), 1);
	dpt_free(out, 1);
}

static void test_eth_too_short(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0);

	assert_int_equal(rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - 13), 0);
	dpt_expect_drop(m, MOLT_DROP_ETH_TOO_SHORT);
}

static void test_ethertype_unknown(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0);

	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	dpt_expect_drop(m, MOLT_DROP_ETHERTYPE_UNKNOWN);
}

// 5.2.2 (1): fewer bytes than a minimal header.
static void test_ip4_too_short(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0);

	assert_int_equal(rte_pktmbuf_trim(m, 1), 0);
	dpt_expect_drop(m, MOLT_DROP_IP4_TOO_SHORT);
}

// 5.2.2 (2): checksum, including a header that is off by one bit.
static void test_ip4_bad_checksum(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0);

	dpt_ip4_hdr(m)->hdr_checksum ^= RTE_BE16(0x0001);
	dpt_expect_drop(m, MOLT_DROP_IP4_BAD_CHECKSUM);
	dpt_setup(state);
	m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0);
	dpt_ip4_hdr(m)->packet_id ^= RTE_BE16(0x8000);
	dpt_expect_drop(m, MOLT_DROP_IP4_BAD_CHECKSUM);
}

// 5.2.2 (3): version.
static void test_ip4_bad_version(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0);

	dpt_ip4_hdr(m)->version_ihl = 0x65;
	dpt_ip4_fix_cksum(m);
	dpt_expect_drop(m, MOLT_DROP_IP4_BAD_VERSION);
}

// 5.2.2 (4): IHL below 5, and IHL beyond the received bytes.
static void test_ip4_bad_ihl(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 0);

	dpt_ip4_hdr(m)->version_ihl = 0x44;
	dpt_ip4_fix_cksum(m);
	dpt_expect_drop(m, MOLT_DROP_IP4_BAD_IHL);
	dpt_setup(state);
	m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 20); // 40 bytes received, IHL says 60
	dpt_ip4_hdr(m)->version_ihl = 0x4f;
	dpt_ip4_hdr(m)->total_length = RTE_BE16(60);
	dpt_expect_drop(m, MOLT_DROP_IP4_BAD_IHL);
}

// 5.2.2 (5): total length shorter than the header, or longer than the frame.
static void test_ip4_bad_total_length(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 8);

	dpt_ip4_hdr(m)->total_length = RTE_BE16(19);
	dpt_ip4_fix_cksum(m);
	dpt_expect_drop(m, MOLT_DROP_IP4_BAD_TOTAL_LENGTH);
	dpt_setup(state);
	m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 8);
	dpt_ip4_hdr(m)->total_length = RTE_BE16(29);
	dpt_ip4_fix_cksum(m);
	dpt_expect_drop(m, MOLT_DROP_IP4_BAD_TOTAL_LENGTH);
}

// IP options are carried through untouched (IHL 6, checksum over 24 bytes).
static void test_ip4_options_forwarded(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 8), *out[4];
	struct rte_ipv4_hdr *ip = dpt_ip4_hdr(m);

	ip->version_ihl = 0x46;
	memset(ip + 1, 1, 4); // four NOP options
	dpt_ip4_fix_cksum(m);
	dpt_run1(m);
	assert_int_equal(dpt_sent(1, out, 4), 1);
	assert_int_equal(ip->hdr_checksum, dpt_ip4_cksum_ref(ip));
	dpt_free(out, 1);
}

static void test_ip4_bad_source(void **state)
{
	const char *bad[] = { "224.0.0.1", "239.1.1.1", "255.255.255.255", "127.0.0.1",
			      "0.0.0.0",   "0.1.2.3",   "240.0.0.1" };

	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		dpt_setup(state);
		dpt_expect_drop(dpt_mk4(bad[i], "10.1.2.3", 64, 0), MOLT_DROP_IP4_BAD_SOURCE);
	}
}

static void test_ip4_dst_classes(void **state)
{
	const char *drop[] = { "224.0.0.5", "239.255.255.250", "127.0.0.1", "0.0.0.1",
			       "240.0.0.1" };

	for (unsigned i = 0; i < RTE_DIM(drop); i++) {
		dpt_setup(state);
		dpt_expect_drop(dpt_mk4("192.0.2.1", drop[i], 64, 0), MOLT_DROP_NOT_FORWARDABLE);
	}
	dpt_setup(state);
	punt4("255.255.255.255", 1, PUNT_LOCAL);
}

// A packet from 192.0.2.1 to dst with protocol proto and TTL ttl.
static struct rte_mbuf *mk4_proto(const char *dst, uint8_t proto, uint8_t ttl)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", dst, ttl, 8);

	dpt_ip4_hdr(m)->next_proto_id = proto;
	dpt_ip4_fix_cksum(m);
	return m;
}

// OSPFv2 to its two groups at TTL 1 goes up (for the control plane); any other multicast, OSPF
// to another group or from farther away (TTL > 1) is dropped and counted.
static void test_ip4_ospf_groups(void **state)
{
	const struct {
		const char *dst;
		uint8_t proto, ttl;
	} drop[] = {
		{ "224.0.0.9", 17, 1 }, // RIPv2
		{ "224.0.0.9", 89, 1 }, // OSPF to another group
		{ "239.0.0.5", 89, 1 }, // not an OSPF group
		{ "224.0.0.5", 17, 1 }, // not OSPF
		{ "224.0.0.5", 89, 2 }, // not from a neighbour on the link
		{ "224.0.0.6", 89, 64 },
	};

	dpt_setup(state);
	dpt_free1(dpt_expect_punt(mk4_proto("224.0.0.5", 89, 1), PUNT_LOCAL, 4));
	dpt_setup(state);
	dpt_free1(dpt_expect_punt(mk4_proto("224.0.0.6", 89, 1), PUNT_LOCAL, 4));
	for (unsigned i = 0; i < RTE_DIM(drop); i++) {
		dpt_setup(state);
		dpt_expect_drop(mk4_proto(drop[i].dst, drop[i].proto, drop[i].ttl),
				MOLT_DROP_NOT_FORWARDABLE);
	}
}

static void test_arp_punted(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 8);

	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	dpt_free1(dpt_expect_punt(m, PUNT_ARP, 0));
}

static void test_ttl_exceeded(void **state)
{
	for (uint8_t ttl = 0; ttl <= 1; ttl++) {
		struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", ttl, 8);

		dpt_setup(state);
		dpt_expect_punt(m, PUNT_TTL_EXCEEDED, 4);
		assert_int_equal(dpt_ip4_hdr(m)->time_to_live, ttl); // untouched for the ICMP quote
		assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_TTL_EXCEEDED], 1);
		dpt_free(&m, 1);
	}
	// The TTL is also checked before resolution and on-link delivery.
	dpt_setup(state);
	punt4("10.3.1.1", 1, PUNT_TTL_EXCEEDED);
	dpt_setup(state);
	punt4("10.2.0.5", 1, PUNT_TTL_EXCEEDED);
}

// 5 expiring packets, bucket of 3 at 1/s: 3 ICMP punts, 2 suppressed; all counted expired.
static void test_ttl_rate_limited(void **state)
{
	struct rte_mbuf *m[5], *out[8];
	struct port_counters c;

	molt_dp.icmp_tokens_per_sec = 1;
	molt_dp.icmp_burst = 3;
	dp_icmp_reset(0);
	for (unsigned i = 0; i < 5; i++)
		m[i] = dpt_mk4("192.0.2.1", "10.1.2.3", 1, 8);
	dpt_run(m, 5);
	assert_int_equal(dpt_punted(out, 8), 3);
	dpt_free(out, 3);
	c = dpt_ctr(0);
	assert_int_equal(c.drops[MOLT_DROP_TTL_EXCEEDED], 5);
	assert_int_equal(c.drops[MOLT_DROP_ICMP_RATE_LIMITED], 2);
	assert_int_equal(c.punted, 3);
	// Rate 0 turns ICMP errors off.
	molt_dp.icmp_tokens_per_sec = 0;
	dp_icmp_reset(0);
	dpt_run1(dpt_mk4("192.0.2.1", "10.1.2.3", 1, 8));
	assert_int_equal(dpt_punted(out, 8), 0);
}

static void test_no_route(void **state)
{
	struct rte_mbuf *out[4];

	punt4("192.168.1.1", 64, PUNT_UNREACHABLE);
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_NO_ROUTE], 1);
	// Without tokens: counted no_route and icmp_rate_limited, nothing sent or punted.
	molt_dp.icmp_tokens_per_sec = 0;
	dpt_run1(dpt_mk4("192.0.2.1", "192.168.1.1", 64, 8));
	assert_int_equal(dpt_punted(out, 4), 0);
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_NO_ROUTE], 2);
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_ICMP_RATE_LIMITED], 1);
}

// A next-hop index past the table (a corrupted FIB) is treated as no route.
static void test_nh_out_of_range(void **state)
{
	punt4("10.8.0.1", 64, PUNT_UNREACHABLE);
}

static void test_blackhole(void **state)
{
	dpt_expect_drop(dpt_mk4("192.0.2.1", "10.9.1.1", 64, 8), MOLT_DROP_BLACKHOLE);
}

static void test_nh_drop(void **state)
{
	dpt_expect_drop(dpt_mk4("192.0.2.1", "10.5.1.1", 64, 8), MOLT_DROP_NOT_FORWARDABLE);
}

static void test_local(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.0.0.1", 1, 8);

	dpt_expect_punt(m, PUNT_LOCAL, 4);
	assert_int_equal(dpt_ip4_hdr(m)->time_to_live, 1);
	assert_int_equal(dpt_ip4_hdr(m)->hdr_checksum, dpt_ip4_cksum_ref(dpt_ip4_hdr(m)));
	dpt_free(&m, 1);
}

static void test_unresolved_gateway(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.3.4.5", 64, 8);
	struct molt_mbuf_priv *p;
	uint8_t before[64];
	uint32_t gw = dpt_ip4("10.3.0.1");

	memcpy(before, rte_pktmbuf_mtod(m, void *), 14 + 28);
	dpt_expect_punt(m, PUNT_RESOLVE, 4);
	p = molt_mbuf_priv(m);
	assert_int_equal(p->nh, DPT_NH_UNRES4);
	assert_int_equal(p->out_port, 2);
	assert_int_equal(p->slot_generation, 42);
	assert_memory_equal(p->resolve_ip, &gw, 4);
	// Neither TTL nor MACs touched: control rewrites when the neighbour resolves.
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), before, 14 + 28);
	dpt_free(&m, 1);
}

static void test_connected_resolved(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.2.0.5", 64, 8), *out[4];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	dpt_run1(m);
	assert_int_equal(dpt_sent(2, out, 4), 1);
	assert_memory_equal(&eth->dst_addr, &dpt_mac_n4, 6);
	assert_memory_equal(&eth->src_addr, &molt_dp.ports[2].mac, 6);
	assert_int_equal(dpt_ip4_hdr(m)->time_to_live, 63);
	assert_int_equal(dpt_ip4_hdr(m)->hdr_checksum, dpt_ip4_cksum_ref(dpt_ip4_hdr(m)));
	assert_int_equal(dpt_ctr(2).tx, 1);
	dpt_free(out, 1);
}

static void test_connected_unresolved(void **state)
{
	// 10.2.0.6 is unknown; 10.2.0.7 known but incomplete. Both: resolve the destination.
	const char *dst[] = { "10.2.0.6", "10.2.0.7" };

	for (unsigned i = 0; i < RTE_DIM(dst); i++) {
		struct rte_mbuf *m = dpt_mk4("192.0.2.1", dst[i], 64, 8);
		struct molt_mbuf_priv *p;
		uint32_t a = dpt_ip4(dst[i]);

		dpt_setup(state);
		dpt_expect_punt(m, PUNT_RESOLVE, 4);
		p = molt_mbuf_priv(m);
		assert_int_equal(p->nh, DPT_NH_CONN4);
		assert_int_equal(p->out_port, 2);
		assert_int_equal(p->slot_generation, 42);
		assert_memory_equal(p->resolve_ip, &a, 4);
		assert_int_equal(dpt_ip4_hdr(m)->time_to_live, 64);
		dpt_free(&m, 1);
	}
	// No neighbour table at all: everything on-link is unresolved.
	{
		struct rte_hash *h4 = molt_dp.neigh.h4;

		dpt_setup(state);
		molt_dp.neigh.h4 = NULL;
		punt4("10.2.0.5", 64, PUNT_RESOLVE);
		molt_dp.neigh.h4 = h4;
	}
}

// RFC 1812 5.3.4: not forwarded when received as a link-layer broadcast.
static void test_l2_broadcast_not_forwarded(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 8);

	memset(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, 0xff, 6);
	dpt_expect_drop(m, MOLT_DROP_NOT_FORWARDABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, dpt_setup)
		T(test_forward),
		T(test_padding_ok),
		T(test_eth_too_short),
		T(test_ethertype_unknown),
		T(test_ip4_too_short),
		T(test_ip4_bad_checksum),
		T(test_ip4_bad_version),
		T(test_ip4_bad_ihl),
		T(test_ip4_bad_total_length),
		T(test_ip4_options_forwarded),
		T(test_ip4_bad_source),
		T(test_ip4_dst_classes),
		T(test_ip4_ospf_groups),
		T(test_arp_punted),
		T(test_ttl_exceeded),
		T(test_ttl_rate_limited),
		T(test_no_route),
		T(test_nh_out_of_range),
		T(test_blackhole),
		T(test_nh_drop),
		T(test_local),
		T(test_unresolved_gateway),
		T(test_connected_resolved),
		T(test_connected_unresolved),
		T(test_l2_broadcast_not_forwarded),
#undef T
	};

	return cmocka_run_group_tests(tests, dpt_group_setup, dpt_group_teardown);
}
