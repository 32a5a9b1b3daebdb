// SPDX-License-Identifier: BSD-3-Clause
// punt_poll: packets taken from a worker's punt ring reach the right handler by punt reason,
// and what the control thread sends is counted in the control column. No mbuf leaks.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <rte_arp.h>
#include <rte_ring.h>

#include "control/neigh/neigh.h"
#include "control/punt/punt.h"
#include "dataplane/dataplane.h"
#include "test/unit/control/punt_harness.h"

static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static struct rte_ring *ring;
static unsigned pool_avail;

static struct port_counters *ctl(int pi)
{
	return &molt_port_ctr[h_port[pi]][MOLT_MAX_WORKERS];
}

static uint8_t *l3(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
}

static int setup(void **state)
{
	h_setup();
	ring = rte_ring_create("nd_punt", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(ring);
	molt_dp.nb_workers = 1;
	molt_dp.workers[0].punt = ring;
	molt_dp.workers[0].inject = rte_ring_create("nd_inject", 256, SOCKET_ID_ANY,
						    RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(molt_dp.workers[0].inject);
	return 0;
}

static int each_setup(void **state)
{
	pool_avail = rte_mempool_avail_count(h_pool);
	assert_int_equal(punt_init(&h_cfg, h_pool), 0);
	assert_int_equal(neigh_init(&h_cfg, 64), 0);
	neigh_poll(1000000000000ull);
	memset(molt_port_ctr, 0, sizeof(molt_port_ctr));
	return 0;
}

static int each_teardown(void **state)
{
	neigh_fini();
	h_drain();
	// Every mbuf the tests and the code under test took is back.
	assert_int_equal(rte_mempool_avail_count(h_pool), pool_avail);
	return 0;
}

static void punt(struct rte_mbuf *m, enum punt_reason r)
{
	molt_mbuf_priv(m)->punt_reason = r;
	assert_int_equal(rte_ring_sp_enqueue(ring, m), 0);
}

static struct rte_mbuf *echo4(const char *dst)
{
	uint8_t req[16] = { 8, 0, 0, 0, 0, 1, 0, 1, 'm', 'o', 'l', 't' };
	uint16_t c = (uint16_t)~h_sum(req, sizeof(req), 0);

	req[2] = (uint8_t)(c >> 8);
	req[3] = (uint8_t)c;
	return h_ip4(H_P1, &h_port_mac[1], "198.51.100.10", dst, 64, 1, req, sizeof(req));
}

static void test_local(void **state)
{
	uint8_t udp[16] = { 0, 1, 0, 2, 0, 16 }, msg[8] = { 143 }; // MLDv2 report
	struct rte_mbuf *m;

	punt(echo4("192.0.2.1"), PUNT_LOCAL);
	punt(h_ip4(H_P1, &h_port_mac[1], "198.51.100.10", "198.51.100.1", 64, 17, udp, 16),
	     PUNT_LOCAL);
	punt(h_icmp6(H_P1, &h_port_mac[1], "fe80::10", "ff02::16", 1, msg, 8), PUNT_LOCAL);
	assert_int_equal(punt_poll(), 3);
	m = h_sent(H_P1);
	assert_non_null(m);
	assert_int_equal(l3(m)[20], 0); // echo reply
	assert_true(h_icmp4_ok(l3(m) + 20, 16));
	rte_pktmbuf_free(m);
	assert_null(h_sent(H_P1));
	assert_int_equal(ctl(H_P1)->tx, 1);
	assert_int_equal(ctl(H_P1)->tx_bytes, 14 + 20 + 16);
	// UDP to us has no listener; multicast we merely receive is not counted.
	assert_int_equal(ctl(H_P1)->drops[MOLT_DROP_LOCAL_DROPPED], 1);
}

// OSPFv2 hellos to AllSPFRouters are punted by the workers for the control plane. Without one
// (no control_plane section) nothing answers them: dropped and counted, nothing sent.
static void test_ospf_group_without_control_plane(void **state)
{
	static const struct rte_ether_addr all_spf = { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x05 } };
	uint8_t hello[44] = { 2, 1, 0, 44, 198, 51, 100, 10 }; // version 2, type 1 (hello)

	punt(h_ip4(H_P1, &all_spf, "198.51.100.10", "224.0.0.5", 1, 89, hello, sizeof(hello)),
	     PUNT_LOCAL);
	assert_int_equal(punt_poll(), 1);
	assert_null(h_sent(H_P0));
	assert_null(h_sent(H_P1));
	assert_int_equal(ctl(H_P1)->tx, 0);
	assert_int_equal(ctl(H_P1)->drops[MOLT_DROP_LOCAL_DROPPED], 1);
}

static void test_errors(void **state)
{
	uint8_t udp[16] = { 0, 1, 0, 2, 0, 16 };
	struct rte_mbuf *m;

	punt(h_ip4(H_P1, &h_port_mac[1], "198.51.100.10", "203.0.113.1", 1, 17, udp, 16),
	     PUNT_TTL_EXCEEDED);
	punt(h_ip6(H_P1, &h_port_mac[1], "2001:db8:2::10", "2001:db8:99::1", 7, 17, udp, 16),
	     PUNT_UNREACHABLE);
	assert_int_equal(punt_poll(), 2);
	m = h_sent(H_P1);
	assert_non_null(m);
	assert_true(h_ip4_ok(l3(m)));
	assert_int_equal(l3(m)[20], 11);
	assert_int_equal(l3(m)[21], 0);
	rte_pktmbuf_free(m);
	m = h_sent(H_P1);
	assert_non_null(m);
	assert_true(h_icmp6_ok(l3(m)));
	assert_int_equal(l3(m)[40], 1);
	assert_int_equal(l3(m)[41], 0);
	rte_pktmbuf_free(m);
	assert_int_equal(ctl(H_P1)->tx, 2);
}

static void test_arp_and_resolve(void **state)
{
	uint8_t udp[16] = { 0, 1, 0, 2, 0, 16 };
	struct molt_mbuf_priv *p;
	struct rte_mbuf *m;

	punt(h_arp(H_P1, RTE_ARP_OP_REQUEST, &bcast, &h_host_mac, "198.51.100.10", "198.51.100.1"),
	     PUNT_ARP);
	// Arrived on p1, routed to a gateway on p0.
	m = h_ip4(H_P1, &h_port_mac[1], "198.51.100.10", "203.0.113.1", 9, 17, udp, 16);
	p = molt_mbuf_priv(m);
	p->out_port = h_port[0];
	h_addr("192.0.2.20", p->resolve_ip);
	punt(m, PUNT_RESOLVE);
	assert_int_equal(punt_poll(), 2);
	m = h_sent(H_P1);
	assert_non_null(m);
	assert_int_equal(rte_be_to_cpu_16(((struct rte_arp_hdr *)l3(m))->arp_opcode),
			 RTE_ARP_OP_REPLY);
	rte_pktmbuf_free(m);
	m = h_sent(H_P0);
	assert_non_null(m);
	assert_int_equal(rte_be_to_cpu_16(((struct rte_arp_hdr *)l3(m))->arp_opcode),
			 RTE_ARP_OP_REQUEST);
	rte_pktmbuf_free(m);
	assert_int_equal(ctl(H_P0)->tx, 1);
	assert_int_equal(ctl(H_P1)->tx, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_ospf_group_without_control_plane, each_setup,
						each_teardown),
		cmocka_unit_test_setup_teardown(test_errors, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_arp_and_resolve, each_setup, each_teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
