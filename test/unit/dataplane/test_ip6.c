// SPDX-License-Identifier: BSD-3-Clause
// IPv6 through the worker fast path: fixed-header checks, ND and multicast punts, hop limit,
// and the next-hop kinds.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"
#include "test/unit/dataplane/dpt.h"

#define SRC "2001:db8:77::1"

static struct rte_mbuf *udp6(const char *dst, uint8_t hops)
{
	return dpt_mk6(SRC, dst, hops, IPPROTO_UDP, 0, 16);
}

static void test_forward(void **state)
{
	struct rte_mbuf *m = udp6("2001:db8:1::9", 64), *out[4];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint8_t before[256];

	assert_true(rte_pktmbuf_data_len(m) <= sizeof(before));
	memcpy(before, eth, rte_pktmbuf_data_len(m));
	dpt_run1(m);
	assert_int_equal(dpt_sent(2, out, 4), 1);
	assert_memory_equal(&eth->dst_addr, &dpt_mac_gw6, 6);
	assert_memory_equal(&eth->src_addr, &molt_dp.ports[2].mac, 6);
	assert_int_equal(dpt_ip6_hdr(m)->hop_limits, 63);
	// Only the hop limit changed in the IPv6 header and payload.
	before[14 + 7] = 63;
	assert_memory_equal((uint8_t *)eth + 14, before + 14, 40 + 16);
	assert_int_equal(dpt_ctr(0).forwarded, 1);
	assert_int_equal(dpt_ctr(2).tx, 1);
	dpt_free(out, 1);
}

static void test_too_short(void **state)
{
	struct rte_mbuf *m = udp6("2001:db8:1::9", 64);

	assert_int_equal(rte_pktmbuf_trim(m, 16 + 1), 0);
	dpt_expect_drop(m, MOLT_DROP_IP6_TOO_SHORT);
}

static void test_bad_version(void **state)
{
	struct rte_mbuf *m = udp6("2001:db8:1::9", 64);

	dpt_ip6_hdr(m)->vtc_flow = RTE_BE32(4u << 28);
	dpt_expect_drop(m, MOLT_DROP_IP6_BAD_VERSION);
}

static void test_bad_payload_length(void **state)
{
	struct rte_mbuf *m = udp6("2001:db8:1::9", 64), *out[4];

	dpt_ip6_hdr(m)->payload_len = RTE_BE16(17);
	dpt_expect_drop(m, MOLT_DROP_IP6_BAD_PAYLOAD_LENGTH);
	// Shorter than the frame is padding, fine.
	dpt_setup(state);
	m = udp6("2001:db8:1::9", 64);
	dpt_ip6_hdr(m)->payload_len = RTE_BE16(8);
	dpt_run1(m);
	assert_int_equal(dpt_sent(2, out, 4), 1);
	dpt_free(out, 1);
}

static void test_bad_source(void **state)
{
	const char *bad[] = { "ff02::1", "ff0e::5", "::1" };

	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		dpt_setup(state);
		dpt_expect_drop(dpt_mk6(bad[i], "2001:db8:1::9", 64, IPPROTO_UDP, 0, 16),
				MOLT_DROP_IP6_BAD_SOURCE);
	}
}

static void test_nd_punted(void **state)
{
	// RS, RA, NS, NA, Redirect, to multicast and unicast, any hop limit: all for control.
	for (uint8_t type = 133; type <= 137; type++) {
		dpt_setup(state);
		dpt_free1(dpt_expect_punt(
			dpt_mk6("fe80::2", "ff02::1:ff00:1", 255, IPPROTO_ICMPV6, type, 24),
			PUNT_ND, 6));
		dpt_setup(state);
		dpt_free1(dpt_expect_punt(
			dpt_mk6("::", "2001:db8:1::9", 1, IPPROTO_ICMPV6, type, 24), PUNT_ND, 6));
	}
	// Echo request (128) to a routed destination is forwarded, not punted.
	{
		struct rte_mbuf *out[4];

		dpt_setup(state);
		dpt_run1(dpt_mk6(SRC, "2001:db8:1::9", 64, IPPROTO_ICMPV6, 128, 16));
		assert_int_equal(dpt_sent(2, out, 4), 1);
		dpt_free(out, 1);
	}
}

static void test_multicast_dst(void **state)
{
	dpt_free1(dpt_expect_punt(dpt_mk6("fe80::2", "ff02::16", 1, 0, 0, 16), PUNT_LOCAL, 6));
	dpt_setup(state);
	dpt_expect_drop(udp6("::1", 64), MOLT_DROP_NOT_FORWARDABLE);
	dpt_setup(state);
	dpt_expect_drop(udp6("::", 64), MOLT_DROP_NOT_FORWARDABLE);
}

static void test_hop_limit(void **state)
{
	for (uint8_t h = 0; h <= 1; h++) {
		struct rte_mbuf *m = udp6("2001:db8:1::9", h);

		dpt_setup(state);
		dpt_expect_punt(m, PUNT_TTL_EXCEEDED, 6);
		assert_int_equal(dpt_ip6_hdr(m)->hop_limits, h);
		assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_TTL_EXCEEDED], 1);
		dpt_free1(m);
	}
}

static void test_no_route(void **state)
{
	dpt_free1(dpt_expect_punt(udp6("2001:db8:abcd::1", 64), PUNT_UNREACHABLE, 6));
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_NO_ROUTE], 1);
}

static void test_blackhole_local_drop(void **state)
{
	struct rte_mbuf *m;

	dpt_expect_drop(udp6("2001:db8:9::1", 64), MOLT_DROP_BLACKHOLE);
	dpt_setup(state);
	m = dpt_expect_punt(udp6("2001:db8::1", 1), PUNT_LOCAL, 6);
	assert_int_equal(dpt_ip6_hdr(m)->hop_limits, 1);
	dpt_free1(m);
	// A link-local destination that is not ours (the control thread routes fe80::/10 to DROP).
	dpt_setup(state);
	dpt_expect_drop(udp6("fe80::99", 64), MOLT_DROP_NOT_FORWARDABLE);
}

// RFC 4291 2.5.6: a link-local source is never forwarded off its link.
static void test_link_local_source(void **state)
{
	dpt_expect_drop(dpt_mk6("fe80::2", "2001:db8:1::9", 64, IPPROTO_UDP, 0, 16),
			MOLT_DROP_NOT_FORWARDABLE);
}

static void test_unresolved_gateway(void **state)
{
	struct rte_mbuf *m = udp6("2001:db8:3::9", 64);
	struct molt_mbuf_priv *p;
	uint8_t gw[16];

	dpt_expect_punt(m, PUNT_RESOLVE, 6);
	p = molt_mbuf_priv(m);
	dpt_ip6("fe80::1", gw);
	assert_int_equal(p->nh, DPT_NH_UNRES6);
	assert_int_equal(p->out_port, 1);
	assert_int_equal(p->slot_generation, 42);
	assert_memory_equal(p->resolve_ip, gw, 16);
	assert_int_equal(dpt_ip6_hdr(m)->hop_limits, 64);
	dpt_free1(m);
}

static void test_connected(void **state)
{
	struct rte_mbuf *m = udp6("2001:db8:2::5", 64), *out[4];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct molt_mbuf_priv *p;
	uint8_t a[16];

	dpt_run1(m);
	assert_int_equal(dpt_sent(1, out, 4), 1);
	assert_memory_equal(&eth->dst_addr, &dpt_mac_n6, 6);
	assert_memory_equal(&eth->src_addr, &molt_dp.ports[1].mac, 6);
	assert_int_equal(dpt_ip6_hdr(m)->hop_limits, 63);
	dpt_free(out, 1);

	dpt_setup(state);
	m = dpt_expect_punt(udp6("2001:db8:2::6", 64), PUNT_RESOLVE, 6);
	p = molt_mbuf_priv(m);
	dpt_ip6("2001:db8:2::6", a);
	assert_int_equal(p->nh, DPT_NH_CONN6);
	assert_int_equal(p->out_port, 1);
	assert_memory_equal(p->resolve_ip, a, 16);
	dpt_free1(m);
}

// Where one frame of a burst must end.
enum dest { TO_TX, TO_PUNT, TO_DROP };

struct burst_case {
	struct rte_mbuf *m;
	uint8_t family;
	enum dest to;
	unsigned why; // egress port, punt reason or drop reason
};

static uint8_t frame_family(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type ==
			       RTE_BE16(RTE_ETHER_TYPE_IPV4)
		       ? 4
		       : 6;
}

static unsigned add_case(struct burst_case *c, unsigned n, struct rte_mbuf *m, enum dest to,
			 unsigned why)
{
	c[n] = (struct burst_case){ m, frame_family(m), to, why };
	return n + 1;
}

// Forwardable IPv6 interleaved with every kind of IPv6 frame the common case leaves to the
// exact checks (ip6_input's and dispatch()'s), IPv4 in between, then a frame that sends the
// rest of the burst down the staged path: every frame ends where it would alone, frames sent
// on a port leave in burst order per family, and every counter is as per frame.
static void test_burst_mixed_outcomes(void **state)
{
	struct burst_case c[48];
	struct rte_mbuf *pkts[48], *out[48], *m;
	uint64_t want_drops[MOLT_DROP_MAX] = { 0 };
	unsigned n = 0, n_tx = 0, n_punt = 0, got;
	struct port_counters ctr;
	uint8_t seq = 0;

	(void)state;
#define FWD6() dpt_mk6(SRC, "2001:db8:1::9", 64, IPPROTO_UDP, seq++, 16)
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, dpt_mk4("192.0.2.1", "10.1.0.1", 64, 8), TO_TX, 1);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, udp6("2001:db8:1::9", 1), TO_PUNT, PUNT_TTL_EXCEEDED);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, dpt_mk6("fe80::2", "2001:db8:1::9", 64, IPPROTO_UDP, 0, 16), TO_DROP,
		     MOLT_DROP_NOT_FORWARDABLE);
	n = add_case(c, n, dpt_mk4("192.0.2.1", "10.1.0.2", 64, 8), TO_TX, 1);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, dpt_mk6("fe80::2", "ff02::16", 1, 0, 0, 16), TO_PUNT, PUNT_LOCAL);
	n = add_case(c, n, dpt_mk6("fe80::2", "ff02::1:ff00:1", 255, IPPROTO_ICMPV6, 135, 24),
		     TO_PUNT, PUNT_ND);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, udp6("2001:db8:abcd::1", 64), TO_PUNT, PUNT_UNREACHABLE);
	n = add_case(c, n, udp6("2001:db8:3::9", 64), TO_PUNT, PUNT_RESOLVE);
	n = add_case(c, n, udp6("2001:db8:2::5", 64), TO_TX, 1);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, udp6("2001:db8:2::6", 64), TO_PUNT, PUNT_RESOLVE);
	n = add_case(c, n, udp6("2001:db8:9::1", 64), TO_DROP, MOLT_DROP_BLACKHOLE);
	n = add_case(c, n, udp6("2001:db8::1", 64), TO_PUNT, PUNT_LOCAL);
	// ICMPv6 that is not ND takes the exact checks and is forwarded in its place.
	n = add_case(c, n, dpt_mk6(SRC, "2001:db8:1::9", 64, IPPROTO_ICMPV6, 128, 16), TO_TX, 2);
	n = add_case(c, n, udp6("::1", 64), TO_DROP, MOLT_DROP_NOT_FORWARDABLE);
	n = add_case(c, n, udp6("::", 64), TO_DROP, MOLT_DROP_NOT_FORWARDABLE);
	// ::/64 but neither :: nor ::1: no route.
	n = add_case(c, n, udp6("::2", 64), TO_PUNT, PUNT_UNREACHABLE);
	m = udp6("2001:db8:1::9", 64);
	dpt_ip6_hdr(m)->vtc_flow = RTE_BE32(4u << 28);
	n = add_case(c, n, m, TO_DROP, MOLT_DROP_IP6_BAD_VERSION);
	m = udp6("2001:db8:1::9", 64);
	dpt_ip6_hdr(m)->payload_len = RTE_BE16(17);
	n = add_case(c, n, m, TO_DROP, MOLT_DROP_IP6_BAD_PAYLOAD_LENGTH);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, dpt_mk6("ff02::1", "2001:db8:1::9", 64, IPPROTO_UDP, 0, 16), TO_DROP,
		     MOLT_DROP_IP6_BAD_SOURCE);
	n = add_case(c, n, dpt_mk6("::1", "2001:db8:1::9", 64, IPPROTO_UDP, 0, 16), TO_DROP,
		     MOLT_DROP_IP6_BAD_SOURCE);
	n = add_case(c, n, udp6("2001:db8:8::1", 64), TO_PUNT, PUNT_UNREACHABLE);
	m = FWD6();
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes[0] = 0x33;
	n = add_case(c, n, m, TO_DROP, MOLT_DROP_NOT_FORWARDABLE);
	n = add_case(c, n, udp6("2001:db8:1::9", 2), TO_TX, 2);
	// From here on the staged path (eth_input) takes the burst.
	m = dpt_mk4("192.0.2.1", "10.1.0.3", 64, 8);
	dpt_ip4_hdr(m)->hdr_checksum ^= RTE_BE16(0x0001);
	n = add_case(c, n, m, TO_DROP, MOLT_DROP_IP4_BAD_CHECKSUM);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, udp6("2001:db8:1::9", 0), TO_PUNT, PUNT_TTL_EXCEEDED);
	n = add_case(c, n, dpt_mk4("192.0.2.1", "10.1.0.4", 64, 8), TO_TX, 1);
	n = add_case(c, n, FWD6(), TO_TX, 2);
	n = add_case(c, n, dpt_mk6("fe80::2", "2001:db8:1::9", 64, IPPROTO_UDP, 0, 16), TO_DROP,
		     MOLT_DROP_NOT_FORWARDABLE);
	n = add_case(c, n, udp6("2001:db8:2::5", 64), TO_TX, 1);
	m = FWD6();
	assert_int_equal(rte_pktmbuf_trim(m, 16 + 1), 0);
	n = add_case(c, n, m, TO_DROP, MOLT_DROP_IP6_TOO_SHORT);
	n = add_case(c, n, FWD6(), TO_TX, 2);
#undef FWD6
	assert_true(n <= RTE_DIM(c));

	for (unsigned i = 0; i < n; i++) {
		pkts[i] = c[i].m;
		if (c[i].to == TO_TX)
			n_tx++;
		else if (c[i].to == TO_PUNT)
			n_punt++;
		else
			want_drops[c[i].why]++;
		// ICMP errors are owed for these, and counted as drops.
		if (c[i].to == TO_PUNT && c[i].why == PUNT_UNREACHABLE)
			want_drops[MOLT_DROP_NO_ROUTE]++;
		if (c[i].to == TO_PUNT && c[i].why == PUNT_TTL_EXCEEDED)
			want_drops[MOLT_DROP_TTL_EXCEEDED]++;
	}
	dpt_run(pkts, (uint16_t)n);

	// Each port: exactly its frames, in burst order within each family.
	for (uint16_t p = 0; p < DPT_PORTS; p++) {
		unsigned want = 0;

		got = dpt_sent(p, out, RTE_DIM(out));
		for (uint8_t fam = 4; fam <= 6; fam += 2) {
			unsigned j = 0;

			for (unsigned i = 0; i < n; i++) {
				if (c[i].to != TO_TX || c[i].why != p || c[i].family != fam)
					continue;
				while (j < got && frame_family(out[j]) != fam)
					j++;
				assert_true(j < got);
				assert_ptr_equal(out[j], c[i].m);
				j++;
				want++;
			}
		}
		assert_int_equal(got, want);
		dpt_free(out, got);
	}
	// Punts: each punted frame once, for its reason.
	got = dpt_punted(out, RTE_DIM(out));
	assert_int_equal(got, n_punt);
	for (unsigned j = 0; j < got; j++) {
		unsigned i = 0;

		while (i < n && c[i].m != out[j])
			i++;
		assert_true(i < n);
		assert_int_equal(c[i].to, TO_PUNT);
		assert_int_equal(molt_mbuf_priv(out[j])->punt_reason, c[i].why);
		assert_int_equal(molt_mbuf_priv(out[j])->family, c[i].family);
		c[i].to = TO_DROP + 1; // seen
	}
	dpt_free(out, got);

	ctr = dpt_ctr(0);
	assert_int_equal(ctr.rx, n);
	assert_int_equal(ctr.forwarded, n_tx);
	for (unsigned r = 0; r < MOLT_DROP_MAX; r++)
		assert_int_equal(ctr.drops[r], want_drops[r]);
	assert_int_equal(rte_mempool_in_use_count(dpt_pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, dpt_setup)
		T(test_forward),           T(test_too_short),
		T(test_bad_version),       T(test_bad_payload_length),
		T(test_bad_source),        T(test_nd_punted),
		T(test_multicast_dst),     T(test_hop_limit),
		T(test_no_route),          T(test_blackhole_local_drop),
		T(test_link_local_source), T(test_unresolved_gateway),
		T(test_connected),         T(test_burst_mixed_outcomes),
#undef T
	};

	return cmocka_run_group_tests(tests, dpt_group_setup, dpt_group_teardown);
}
