// SPDX-License-Identifier: BSD-3-Clause
// dataplane/rewrite.h against from-scratch recomputation: the incremental TTL checksum update
// over every checksum value (both representations of zero included), checksum validation of
// random headers with options, the fast pass's three-word checksum test, and the MAC rewrites.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"
#include "dataplane/ip4_hdr.h"
#include "dataplane/rewrite.h"
#include "test/unit/dataplane/dpt.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	// xorshift64*: reproducible, so a failure can be replayed.
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

// Random header: version 4, IHL 5..15, random everything else, TTL >= 2.
static void random_header(uint8_t *buf, unsigned *len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	unsigned ihl = 5 + (unsigned)(rnd() % 11);

	for (unsigned i = 0; i < 60; i++)
		buf[i] = (uint8_t)rnd();
	ip->version_ihl = (uint8_t)(0x40 | ihl);
	if (ip->time_to_live < 2)
		ip->time_to_live = 2;
	*len = ihl * 4;
}

static void check_decrement(uint8_t *buf, unsigned len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	uint8_t copy[60];
	uint8_t ttl = ip->time_to_live;

	memcpy(copy, buf, len);
	ip4_ttl_decrement(ip);
	assert_int_equal(ip->time_to_live, ttl - 1);
	// Nothing but TTL and checksum moved.
	copy[8] = (uint8_t)(ttl - 1);
	memcpy(copy + 10, buf + 10, 2);
	assert_memory_equal(copy, buf, len);
	assert_int_equal(ip->hdr_checksum, dpt_ip4_cksum_ref(ip));
}

// Every packet id (so every checksum value before, and after) on several random headers.
static void test_ttl_incremental_vs_full(void **state)
{
	uint8_t buf[60];
	unsigned len, minus_zero = 0;

	for (unsigned h = 0; h < 24; h++) {
		random_header(buf, &len);
		for (uint32_t id = 0; id <= 0xffff; id++) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
			uint8_t ttl = ip->time_to_live;

			ip->time_to_live = ttl;
			ip->packet_id = (uint16_t)id;
			ip->hdr_checksum = dpt_ip4_cksum_ref(ip);
			if (ip->hdr_checksum == 0) {
				// Same header with 0xffff (-0) in the field: equally valid, and the
				// update must still agree with the full recomputation.
				uint8_t alt[60];

				memcpy(alt, buf, len);
				((struct rte_ipv4_hdr *)alt)->hdr_checksum = 0xffff;
				check_decrement(alt, len);
				minus_zero++;
			}
			check_decrement(buf, len);
			ip->time_to_live = ttl;
		}
	}
	assert_true(minus_zero >= 24);
}

// TTL all the way from 255 to 1, the checksum staying valid at every hop.
static void test_ttl_walk(void **state)
{
	uint8_t buf[60];
	unsigned len;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

	for (unsigned h = 0; h < 1000; h++) {
		random_header(buf, &len);
		ip->time_to_live = 255;
		ip->hdr_checksum = dpt_ip4_cksum_ref(ip);
		while (ip->time_to_live > 1)
			check_decrement(buf, len);
	}
}

// Random valid headers (with options) pass validation and leave with a correct checksum;
// one flipped bit in the id/fragment/TTL/protocol/checksum words is caught.
static void test_cksum_validation_random(void **state)
{
	for (unsigned i = 0; i < 2000; i++) {
		struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 40), *out[4];
		struct rte_ipv4_hdr *ip = dpt_ip4_hdr(m);
		unsigned ihl = 5 + (unsigned)(rnd() % 6);
		bool flip = i % 2;
		unsigned n;

		ip->version_ihl = (uint8_t)(0x40 | ihl);
		ip->packet_id = (uint16_t)rnd();
		ip->fragment_offset = (uint16_t)(rnd() & RTE_BE16(0x3fff));
		ip->time_to_live = (uint8_t)(2 + rnd() % 254);
		ip->next_proto_id = (uint8_t)rnd();
		for (unsigned b = 20; b < ihl * 4; b++)
			((uint8_t *)ip)[b] = (uint8_t)rnd();
		dpt_ip4_fix_cksum(m);
		if (flip)
			((uint8_t *)ip)[4 + rnd() % 8] ^= (uint8_t)(1u << (rnd() % 8));
		dpt_setup(state);
		dpt_run1(m);
		n = dpt_sent(1, out, 4);
		if (flip) {
			assert_int_equal(n, 0);
			assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_IP4_BAD_CHECKSUM], 1);
		} else {
			assert_int_equal(n, 1);
			assert_int_equal(ip->hdr_checksum, dpt_ip4_cksum_ref(ip));
			dpt_free(out, 1);
		}
	}
}

// ip4_cksum20_ok (the fast pass's three-word test, add-with-carry on x86-64) against the
// 16-bit sum of ip4_cksum_ok: random 20-byte headers with a correct checksum, the same with
// one bit flipped anywhere, the checksum field's two forms of zero, and headers of 0xff bytes
// (every add carries).
static bool cksum20(const uint8_t *h)
{
	uint64_t q0, q1;
	uint32_t q2;

	memcpy(&q0, h, sizeof(q0));
	memcpy(&q1, h + 8, sizeof(q1));
	memcpy(&q2, h + 16, sizeof(q2));
	return ip4_cksum20_ok(q0, q1, q2);
}

static void test_cksum20_vs_sum(void **state)
{
	uint8_t h[20];

	(void)state;
	for (unsigned i = 0; i < 200000; i++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)h;
		unsigned bit = (unsigned)(rnd() % 160);

		for (unsigned b = 0; b < sizeof(h); b++)
			h[b] = i % 4 == 0 ? 0xff : (uint8_t)rnd();
		ip->version_ihl = 0x45;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = (uint16_t)~rte_raw_cksum(h, sizeof(h));
		assert_true(ip4_cksum_ok(h, 5));
		assert_true(cksum20(h));
		// The other form of zero (0x0000 <-> 0xffff) is as correct.
		if (ip->hdr_checksum == 0 || ip->hdr_checksum == 0xffff) {
			ip->hdr_checksum = (uint16_t)~ip->hdr_checksum;
			assert_true(ip4_cksum_ok(h, 5));
			assert_true(cksum20(h));
		}
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(cksum20(h), ip4_cksum_ok(h, 5));
		assert_false(cksum20(h));
	}
}

static void test_hop_decrement(void **state)
{
	struct rte_ipv6_hdr ip6;

	memset(&ip6, 0x5a, sizeof(ip6));
	ip6.hop_limits = 2;
	ip6_hop_decrement(&ip6);
	assert_int_equal(ip6.hop_limits, 1);
	assert_int_equal(ip6.proto, 0x5a);
}

static void test_eth_rewrite(void **state)
{
	struct rte_mbuf *m = dpt_mk4("192.0.2.1", "10.1.2.3", 64, 8);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct rte_ether_addr dst = { { 0x10, 0x21, 0x32, 0x43, 0x54, 0x65 } };
	const struct rte_ether_addr src = { { 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5 } };

	eth_rewrite(m, &dst, &src);
	assert_memory_equal(&eth->dst_addr, &dst, 6);
	assert_memory_equal(&eth->src_addr, &src, 6);
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));

	// The l2-word form agrees with nh_l2_make's encoding, whatever the port and kind bits.
	memset(eth, 0, 12);
	eth_rewrite_l2(m, nh_l2_make(NH_FORWARD, 0xabc, &src), &dst);
	assert_memory_equal(&eth->dst_addr, &src, 6);
	assert_memory_equal(&eth->src_addr, &dst, 6);
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	dpt_free1(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_incremental_vs_full),
		cmocka_unit_test(test_ttl_walk),
		cmocka_unit_test_setup(test_cksum_validation_random, dpt_setup),
		cmocka_unit_test(test_cksum20_vs_sum),
		cmocka_unit_test(test_hop_decrement),
		cmocka_unit_test(test_eth_rewrite),
	};

	return cmocka_run_group_tests(tests, dpt_group_setup, dpt_group_teardown);
}
