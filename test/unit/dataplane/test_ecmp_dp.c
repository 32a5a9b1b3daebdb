// SPDX-License-Identifier: BSD-3-Clause
// Multipath routes in the worker: every packet leaves by the path ecmp_path gives its flow
// (which route.lookup computes too), flows spread, a path whose neighbour is unresolved or whose
// port is down is skipped, fragments hash on the 3-tuple, per-path counters, and with no usable
// path the flow's own path as a single next hop (resolution punted).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"
#include "dataplane/ecmp_path.h"
#include "test/unit/dataplane/dpt.h"

#define FLOWS 3000
#define CHUNK 60

struct want {
	int path; // ecmp_path's answer
	bool usable;
};

// A UDP packet of flow i to 10.6.0.0/16 (IPv4) or 2001:db8:6::/48 (IPv6), its index in the
// IPv4 id or the payload's first byte pair, and what ecmp_path says of it.
static struct rte_mbuf *flow_pkt(unsigned i, bool v6, uint32_t down, struct want *w)
{
	const struct molt_nh_group *g = &dpt_slot.grp[0];
	char src[64], dst[64];
	struct rte_mbuf *m;
	struct ecmp_flow f;
	uint8_t *l4;

	if (v6) {
		snprintf(src, sizeof(src), "2001:db8:77::%x", i % 251 + 1);
		snprintf(dst, sizeof(dst), "2001:db8:6::%x", i % 7 + 1);
		m = dpt_mk6(src, dst, 9, 17, 0, 16);
		l4 = (uint8_t *)(dpt_ip6_hdr(m) + 1);
	} else {
		snprintf(src, sizeof(src), "192.0.%u.%u", i / 250 % 250, i % 250 + 1);
		snprintf(dst, sizeof(dst), "10.6.%u.1", i % 5);
		m = dpt_mk4(src, dst, 64, 16);
		l4 = (uint8_t *)(dpt_ip4_hdr(m) + 1);
	}
	// UDP ports, and the flow's index where the test finds it again.
	l4[0] = (uint8_t)((1024 + i) >> 8);
	l4[1] = (uint8_t)(1024 + i);
	l4[2] = 0x01;
	l4[3] = 0xbb;
	l4[8] = (uint8_t)(i >> 8);
	l4[9] = (uint8_t)i;
	ecmp_flow_of(rte_pktmbuf_mtod_offset(m, const uint8_t *, sizeof(struct rte_ether_hdr)),
		     rte_pktmbuf_data_len(m) - (uint32_t)sizeof(struct rte_ether_hdr), v6 ? 6 : 4,
		     &f);
	assert_true(f.ports);
	w->path = ecmp_path(&dpt_slot, g, ecmp_flow_hash(&f), down, &w->usable);
	return m;
}

static unsigned flow_index(struct rte_mbuf *m)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned l3 = eth[12] == 0x86 ? 40 : 20;
	const uint8_t *l4 = eth + sizeof(struct rte_ether_hdr) + l3;

	return (unsigned)l4[8] << 8 | l4[9];
}

// The egress port of path p of the test group.
static uint16_t path_port(int p)
{
	return p == 0 ? 1 : 2;
}

// Runs FLOWS flows (one packet each) and checks each left by its predicted path; counts[p]
// gets the flows per path, *punted those punted for resolution (checked: path 2's gateway).
static void run_flows(bool v6, uint32_t down, unsigned counts[3], unsigned *punted)
{
	static struct want w[FLOWS];
	struct rte_mbuf *m[CHUNK], *out[CHUNK];

	memset(counts, 0, 3 * sizeof(*counts));
	*punted = 0;
	atomic_store(&molt_dp.ports_down, down);
	for (unsigned base = 0; base < FLOWS; base += CHUNK) {
		for (unsigned k = 0; k < CHUNK; k++)
			m[k] = flow_pkt(base + k, v6, down, &w[base + k]);
		dpt_run(m, CHUNK);
		for (uint16_t port = 1; port <= 2; port++) {
			unsigned n = dpt_sent(port, out, CHUNK);

			for (unsigned k = 0; k < n; k++) {
				unsigned i = flow_index(out[k]);

				assert_true(i < FLOWS);
				assert_true(w[i].path >= 0);
				if (path_port(w[i].path) != port || w[i].path == 2)
					fail_msg("flow %u left by port %u, its path is %d", i, port,
						 w[i].path);
				counts[w[i].path]++;
			}
			dpt_free(out, n);
		}
		{
			unsigned n = dpt_punted(out, CHUNK);

			for (unsigned k = 0; k < n; k++) {
				const struct molt_mbuf_priv *p = molt_mbuf_priv(out[k]);
				unsigned i = flow_index(out[k]);

				assert_int_equal(p->punt_reason, PUNT_RESOLVE);
				assert_int_equal(p->nh, DPT_NH_UNRES4);
				assert_int_equal(w[i].path, 2);
				assert_false(w[i].usable);
				counts[2]++;
			}
			*punted += n;
			dpt_free(out, n);
		}
	}
	assert_int_equal(counts[0] + counts[1] + counts[2], FLOWS);
}

static void test_per_flow(void **state)
{
	unsigned c[3], punted;
	struct ecmp_path_ctr ctr[3];

	for (int v6 = 0; v6 <= 1; v6++) {
		memset(molt_ecmp_ctr[dpt_worker.worker_id][1], 0, sizeof(molt_ecmp_ctr[0][1]));
		run_flows(v6, 0, c, &punted);
		print_message("IPv%d, path 2 unresolved: %u %u %u\n", v6 ? 6 : 4, c[0], c[1], c[2]);
		// Path 2's neighbour is unresolved: skipped, its flows spread over the other two.
		assert_int_equal(c[2], 0);
		assert_int_equal(punted, 0);
		assert_true(c[0] > FLOWS * 4 / 10 && c[1] > FLOWS * 4 / 10);
		ecmp_ctr_sum(1, 3, ctr);
		assert_int_equal(ctr[0].packets, c[0]);
		assert_int_equal(ctr[1].packets, c[1]);
		assert_int_equal(ctr[2].packets, 0);
		assert_int_equal(ctr[0].bytes, ctr[0].packets * (v6 ? 70 : 50)); // frame lengths
	}
	assert_int_equal(rte_mempool_in_use_count(dpt_pool), 0);
}

static void test_port_down(void **state)
{
	unsigned c[3], punted;

	// Port 1 (path 0) is down: everything goes by path 1.
	run_flows(false, 1u << 1, c, &punted);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], FLOWS);
	assert_int_equal(punted, 0);
}

static void test_none_usable(void **state)
{
	unsigned c[3], punted;

	// Both resolved paths' ports down, path 2 unresolved: each flow takes its own path, as a
	// single next hop would (path 2's flows are punted to resolve its gateway).
	run_flows(false, (1u << 1) | (1u << 2), c, &punted);
	print_message("none usable: %u %u %u\n", c[0], c[1], c[2]);
	assert_true(c[0] > 0 && c[1] > 0 && c[2] > 0);
	assert_int_equal(punted, c[2]);
}

// Fragments of one datagram (and the datagrams of one pair of hosts) hash on the 3-tuple,
// so they all take one path; an IPv6 fragment header's next header is the protocol.
static void test_fragments(void **state)
{
	struct rte_mbuf *m[32], *out[32];
	uint16_t port_seen = 0;
	struct ecmp_flow f;
	unsigned total = 0;

	for (unsigned i = 0; i < 32; i++) {
		struct rte_ipv4_hdr *ip;
		uint8_t *l4;

		m[i] = dpt_mk4("192.0.2.9", "10.6.1.1", 64, 16);
		ip = dpt_ip4_hdr(m[i]);
		l4 = (uint8_t *)(ip + 1);
		l4[0] = (uint8_t)i; // ports differ: ignored for fragments
		l4[1] = (uint8_t)(i * 3);
		ip->fragment_offset = rte_cpu_to_be_16(i % 2 ? (uint16_t)i : RTE_IPV4_HDR_MF_FLAG);
		dpt_ip4_fix_cksum(m[i]);
	}
	ecmp_flow_of((const uint8_t *)dpt_ip4_hdr(m[0]), 36, 4, &f);
	assert_false(f.ports);
	assert_int_equal(f.proto, 17);
	dpt_run(m, 32);
	for (uint16_t port = 1; port <= 2; port++) {
		unsigned n = dpt_sent(port, out, 32);

		if (n > 0) {
			assert_int_equal(port_seen, 0); // one port only
			port_seen = port;
		}
		total += n;
		dpt_free(out, n);
	}
	assert_int_equal(total, 32);

	{
		struct rte_mbuf *m6 = dpt_mk6("2001:db8:77::1", "2001:db8:6::1", 9, 44, 17, 16);

		ecmp_flow_of((const uint8_t *)dpt_ip6_hdr(m6), 56, 6, &f);
		assert_false(f.ports);
		assert_int_equal(f.proto, 17);
		dpt_free1(m6);
	}
}

// route.lookup's flow (ecmp_flow_make from its parameters) hashes as the packets of that flow.
static void test_lookup_agrees(void **state)
{
	for (unsigned i = 0; i < 200; i++) {
		struct want w;
		struct rte_mbuf *m = flow_pkt(i, i % 2, 0, &w);
		const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
		uint8_t family = i % 2 ? 6 : 4;
		struct ecmp_flow a, b;

		ecmp_flow_of(l3, rte_pktmbuf_data_len(m) - 14, family, &a);
		ecmp_flow_make(family, family == 4 ? l3 + 12 : l3 + 8,
			       family == 4 ? l3 + 16 : l3 + 24, 17, (uint16_t)(1024 + i), 0x01bb,
			       &b);
		assert_int_equal(ecmp_flow_hash(&a), ecmp_flow_hash(&b));
		dpt_free1(m);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, dpt_setup)
	const struct CMUnitTest tests[] = {
		T(test_per_flow),  T(test_port_down),     T(test_none_usable),
		T(test_fragments), T(test_lookup_agrees),
	};
#undef T

	return cmocka_run_group_tests(tests, dpt_group_setup, dpt_group_teardown);
}
