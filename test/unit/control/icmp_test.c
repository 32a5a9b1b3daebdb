// SPDX-License-Identifier: BSD-3-Clause
// ICMP / ICMPv6 errors and echo replies built by the control thread, checked byte by byte with
// checksums recomputed from scratch.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "control/host/icmp.h"
#include "control/host/icmp_echo.h"
#include "control/host/inject.h"
#include "control/host/router.h"
#include "test/unit/control/punt_harness.h"

static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

static uint8_t *l3(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
}

static int setup(void **state)
{
	h_setup();
	router_set_config(&h_cfg);
	inject_set_pool(h_pool);
	return 0;
}

static struct rte_mbuf *udp4(const char *src, const char *dst, uint8_t ttl, uint16_t payload)
{
	uint8_t l4[1500];

	for (unsigned i = 0; i < sizeof(l4); i++)
		l4[i] = (uint8_t)(i * 7 + 1);
	l4[4] = (uint8_t)((8 + payload) >> 8);
	l4[5] = (uint8_t)(8 + payload);
	return h_ip4(H_P0, &h_port_mac[0], src, dst, ttl, 17, l4, (uint16_t)(8 + payload));
}

static void check_err4(struct rte_mbuf *orig, struct rte_mbuf *r, uint8_t type, uint8_t code,
		       uint32_t quote)
{
	const uint8_t *ip = l3(r), *oip = l3(orig);
	uint8_t want[4];
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(r, struct rte_ether_hdr *);

	assert_memory_equal(&eh->dst_addr, &h_host_mac, 6);
	assert_memory_equal(&eh->src_addr, &h_port_mac[0], 6);
	assert_int_equal(rte_be_to_cpu_16(eh->ether_type), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(rte_pktmbuf_pkt_len(r), 14 + 20 + 8 + quote);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal((ip[2] << 8) | ip[3], 20 + 8 + quote);
	assert_int_equal(ip[6] & 0x1f, 0); // not a fragment
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 1);
	h_addr("192.0.2.1", want);
	assert_memory_equal(ip + 12, want, 4); // the receiving port's address
	assert_memory_equal(ip + 16, oip + 12, 4); // back to the source
	assert_true(h_ip4_ok(ip));
	assert_int_equal(ip[20], type);
	assert_int_equal(ip[21], code);
	assert_true(h_icmp4_ok(ip + 20, 8 + quote));
	assert_memory_equal(ip + 24, "\0\0\0\0", 4);
	assert_memory_equal(ip + 28, oip, quote);
}

// Asks for a TTL exceeded error about m (received on p0), checks only whether the RFCs allow one
// (0) or not (-EPERM), and frees m and the error.
static void expect_ttl_err(struct rte_mbuf *m, int want)
{
	struct rte_mbuf *r = NULL;

	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_TTL_EXCEEDED, &r), want);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
}

static void test_ttl_exceeded_v4(void **state)
{
	struct rte_mbuf *m = udp4("192.0.2.10", "203.0.113.5", 1, 100), *r = NULL;

	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_TTL_EXCEEDED, &r), 0);
	// Short datagram: quoted whole.
	check_err4(m, r, 11, 0, 20 + 8 + 100);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
}

static void test_unreach_v4_long_quote(void **state)
{
	struct rte_mbuf *m = udp4("192.0.2.10", "203.0.113.5", 30, 1400), *r = NULL;

	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_NET_UNREACH, &r), 0);
	// RFC 1812 4.3.2.3: as much as fits in 576 bytes.
	check_err4(m, r, 3, 0, 576 - 28);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);

	m = udp4("192.0.2.10", "203.0.113.5", 30, 10);
	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_HOST_UNREACH, &r), 0);
	check_err4(m, r, 3, 1, 20 + 8 + 10);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
}

static void test_no_error_v4(void **state)
{
	struct rte_mbuf *m;
	uint8_t icmp[8] = { 3, 1 }; // a destination unreachable

	// About an ICMP error.
	expect_ttl_err(h_ip4(H_P0, &h_port_mac[0], "192.0.2.10", "203.0.113.5", 1, 1, icmp, 8),
		       -EPERM);
	// An echo request is not an error: it gets one.
	icmp[0] = 8;
	expect_ttl_err(h_ip4(H_P0, &h_port_mac[0], "192.0.2.10", "203.0.113.5", 1, 1, icmp, 8), 0);
	// To multicast, to a subnet broadcast, from a non-unicast source.
	expect_ttl_err(udp4("192.0.2.10", "224.0.0.5", 1, 10), -EPERM);
	expect_ttl_err(udp4("192.0.2.10", "198.51.100.255", 1, 10), -EPERM);
	expect_ttl_err(udp4("0.0.0.0", "203.0.113.5", 1, 10), -EPERM);
	expect_ttl_err(udp4("192.0.2.255", "203.0.113.5", 1, 10), -EPERM);
	// In a link-layer broadcast frame.
	m = udp4("192.0.2.10", "203.0.113.5", 1, 10);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = bcast;
	expect_ttl_err(m, -EPERM);
}

static void set_frag4(struct rte_mbuf *m, uint16_t field)
{
	uint8_t *ip = l3(m);
	uint16_t s;

	ip[6] = (uint8_t)(field >> 8);
	ip[7] = (uint8_t)field;
	ip[10] = ip[11] = 0;
	s = (uint16_t)~h_sum(ip, 20, 0);
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
}

static void test_fragments_v4(void **state)
{
	struct rte_mbuf *m;

	m = udp4("192.0.2.10", "203.0.113.5", 1, 100);
	set_frag4(m, 0x2000 | 10); // MF, offset 80 bytes: not the first fragment
	expect_ttl_err(m, -EPERM);
	m = udp4("192.0.2.10", "203.0.113.5", 1, 100);
	set_frag4(m, 0x2000); // MF, offset 0: the first fragment gets an error
	expect_ttl_err(m, 0);
}

static struct rte_mbuf *udp6(const char *src, const char *dst, uint8_t hlim, uint16_t payload)
{
	uint8_t l4[1500];

	for (unsigned i = 0; i < sizeof(l4); i++)
		l4[i] = (uint8_t)(i * 5 + 3);
	return h_ip6(H_P0, &h_port_mac[0], src, dst, hlim, 17, l4, (uint16_t)(8 + payload));
}

static void check_err6(struct rte_mbuf *orig, struct rte_mbuf *r, const char *src, uint8_t type,
		       uint8_t code, uint32_t quote)
{
	const uint8_t *ip = l3(r), *oip = l3(orig);
	uint8_t want[16];
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(r, struct rte_ether_hdr *);

	assert_memory_equal(&eh->dst_addr, &h_host_mac, 6);
	assert_memory_equal(&eh->src_addr, &h_port_mac[0], 6);
	assert_int_equal(rte_be_to_cpu_16(eh->ether_type), RTE_ETHER_TYPE_IPV6);
	assert_int_equal(rte_pktmbuf_pkt_len(r), 14 + 40 + 8 + quote);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal((ip[4] << 8) | ip[5], 8 + quote);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 64);
	h_addr(src, want);
	assert_memory_equal(ip + 8, want, 16);
	assert_memory_equal(ip + 24, oip + 8, 16);
	assert_int_equal(ip[40], type);
	assert_int_equal(ip[41], code);
	assert_true(h_icmp6_ok(ip));
	assert_memory_equal(ip + 48, oip, quote);
}

static void test_errors_v6(void **state)
{
	struct rte_mbuf *m = udp6("2001:db8:1::10", "2001:db8:9::1", 1, 100), *r = NULL;

	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_TTL_EXCEEDED, &r), 0);
	check_err6(m, r, "2001:db8:1::1", 3, 0, 40 + 8 + 100);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);

	// RFC 4443 2.4(c): as much as fits in the minimum MTU.
	m = udp6("2001:db8:1::10", "2001:db8:9::1", 9, 1400);
	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_NET_UNREACH, &r), 0);
	check_err6(m, r, "2001:db8:1::1", 1, 0, 1280 - 48);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);

	m = udp6("2001:db8:1::10", "2001:db8:9::1", 9, 10);
	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_HOST_UNREACH, &r), 0);
	check_err6(m, r, "2001:db8:1::1", 1, 3, 40 + 18);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);

	// A link-local source is answered from our link-local address (same scope).
	m = udp6("fe80::10", "2001:db8:9::1", 1, 10);
	assert_int_equal(icmp_error_build(m, h_port[0], ICMP_ERR_TTL_EXCEEDED, &r), 0);
	check_err6(m, r, "fe80::ff:fe00:100", 3, 0, 40 + 18);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
}

static void test_no_error_v6(void **state)
{
	uint8_t msg[16] = { 1, 0 }; // destination unreachable
	uint8_t frag[24] = { 17, 0, 0x00, 0x08 | 1, 0, 0, 0, 1 }; // offset 1 (x8), M
	struct rte_mbuf *m;

	expect_ttl_err(h_icmp6(H_P0, &h_port_mac[0], "2001:db8:1::10", "2001:db8:9::1", 1, msg, 16),
		       -EPERM);
	msg[0] = 128; // echo request: not an error
	expect_ttl_err(h_icmp6(H_P0, &h_port_mac[0], "2001:db8:1::10", "2001:db8:9::1", 1, msg, 16),
		       0);
	expect_ttl_err(udp6("2001:db8:1::10", "ff0e::1", 1, 10), -EPERM);
	expect_ttl_err(udp6("::", "2001:db8:9::1", 1, 10), -EPERM);
	expect_ttl_err(udp6("ff02::1", "2001:db8:9::1", 1, 10), -EPERM);
	// Behind a fragment header: a non-initial fragment gets nothing, the first one does.
	m = h_ip6(H_P0, &h_port_mac[0], "2001:db8:1::10", "2001:db8:9::1", 1, 44, frag, 24);
	expect_ttl_err(m, -EPERM);
	frag[3] = 1;
	m = h_ip6(H_P0, &h_port_mac[0], "2001:db8:1::10", "2001:db8:9::1", 1, 44, frag, 24);
	expect_ttl_err(m, 0);
}

static void test_echo_v4(void **state)
{
	uint8_t req[64] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 };
	uint8_t *ip, want[4];
	struct rte_mbuf *m;
	uint16_t c;

	for (unsigned i = 8; i < sizeof(req); i++)
		req[i] = (uint8_t)i;
	c = (uint16_t)~h_sum(req, sizeof(req), 0);
	req[2] = (uint8_t)(c >> 8);
	req[3] = (uint8_t)c;
	// To the other port's address: any of the router's addresses answers.
	m = h_ip4(H_P0, &h_port_mac[0], "192.0.2.10", "198.51.100.1", 3, 1, req, sizeof(req));
	rte_pktmbuf_append(m, 10); // trailing Ethernet padding must not be echoed
	assert_int_equal(icmp_echo_reply(m, h_port[0]), 0);
	ip = l3(m);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 20 + sizeof(req));
	assert_memory_equal(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, &h_host_mac, 6);
	assert_memory_equal(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr, &h_port_mac[0],
			    6);
	h_addr("198.51.100.1", want);
	assert_memory_equal(ip + 12, want, 4);
	h_addr("192.0.2.10", want);
	assert_memory_equal(ip + 16, want, 4);
	assert_true(h_ip4_ok(ip));
	assert_int_equal(ip[20], 0);
	assert_true(h_icmp4_ok(ip + 20, sizeof(req)));
	assert_memory_equal(ip + 24, req + 4, sizeof(req) - 4); // id, seq and data kept
	rte_pktmbuf_free(m);

	// Not ours, and a bad checksum.
	m = h_ip4(H_P0, &h_port_mac[0], "192.0.2.10", "198.51.100.7", 3, 1, req, sizeof(req));
	assert_int_equal(icmp_echo_reply(m, h_port[0]), -EPERM);
	rte_pktmbuf_free(m);
	req[10] ^= 1;
	m = h_ip4(H_P0, &h_port_mac[0], "192.0.2.10", "192.0.2.1", 3, 1, req, sizeof(req));
	assert_int_equal(icmp_echo_reply(m, h_port[0]), -EINVAL);
	rte_pktmbuf_free(m);
}

static void check_echo6(const char *to, const char *from)
{
	uint8_t req[40] = { 128, 0, 0, 0, 0xab, 0xcd, 0, 7 };
	uint8_t *ip, want[16];
	struct rte_mbuf *m;

	for (unsigned i = 8; i < sizeof(req); i++)
		req[i] = (uint8_t)(i * 3);
	m = h_icmp6(H_P0, &h_port_mac[0], "2001:db8:1::10", to, 64, req, sizeof(req));
	assert_int_equal(icmp_echo_reply(m, h_port[0]), 0);
	ip = l3(m);
	h_addr(from, want);
	assert_memory_equal(ip + 8, want, 16);
	h_addr("2001:db8:1::10", want);
	assert_memory_equal(ip + 24, want, 16);
	assert_int_equal(ip[40], 129);
	assert_true(h_icmp6_ok(ip));
	assert_memory_equal(ip + 44, req + 4, sizeof(req) - 4);
	assert_memory_equal(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, &h_host_mac, 6);
	rte_pktmbuf_free(m);
}

static void test_echo_v6(void **state)
{
	uint8_t req[16] = { 128 };
	struct rte_mbuf *m;

	check_echo6("2001:db8:2::1", "2001:db8:2::1");
	check_echo6("fe80::ff:fe00:100", "fe80::ff:fe00:100");
	// All-nodes: answered from our unicast address on that link.
	check_echo6("ff02::1", "2001:db8:1::1");
	// The other port's link-local address is not reachable from this link.
	m = h_icmp6(H_P0, &h_port_mac[0], "2001:db8:1::10", "fe80::ff:fe00:101", 64, req, 16);
	assert_int_equal(icmp_echo_reply(m, h_port[0]), -EPERM);
	rte_pktmbuf_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_exceeded_v4),
		cmocka_unit_test(test_unreach_v4_long_quote),
		cmocka_unit_test(test_no_error_v4),
		cmocka_unit_test(test_fragments_v4),
		cmocka_unit_test(test_errors_v6),
		cmocka_unit_test(test_no_error_v6),
		cmocka_unit_test(test_echo_v4),
		cmocka_unit_test(test_echo_v6),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
