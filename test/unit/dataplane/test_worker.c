// SPDX-License-Identifier: BSD-3-Clause
// Burst-level behaviour: mixed bursts larger than MOLT_BURST, no slot, full tx queue and
// punt ring, counter names and sums, and dp_worker_main itself on a thread with QSBR.
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"
#include "test/unit/dataplane/dpt.h"

static void test_drop_names(void **state)
{
	assert_string_equal(molt_drop_names[MOLT_DROP_ETH_TOO_SHORT], "eth_too_short");
	assert_string_equal(molt_drop_names[MOLT_DROP_LOCAL_DROPPED], "local_dropped");
	for (unsigned r = 0; r < MOLT_DROP_MAX; r++)
		assert_non_null(molt_drop_names[r]);
}

static void test_counters_sum_reset(void **state)
{
	struct port_counters c;

	molt_port_ctr[1][0].rx = 3;
	molt_port_ctr[1][5].rx = 4;
	molt_port_ctr[1][MOLT_MAX_WORKERS].drops[MOLT_DROP_TX_FULL] = 2;
	molt_port_counters_sum(1, &c);
	assert_int_equal(c.rx, 7);
	assert_int_equal(c.drops[MOLT_DROP_TX_FULL], 2);
	molt_port_counters_reset(1);
	molt_port_counters_sum(1, &c);
	assert_int_equal(c.rx, 0);
	assert_int_equal(c.drops[MOLT_DROP_TX_FULL], 0);
}

// 100 packets (several chunks) of every outcome, interleaved: each lands where it should.
static void test_mixed_large_burst(void **state)
{
	struct rte_mbuf *m[100], *out[128];
	struct port_counters c;
	unsigned n1, n2, np;

	for (unsigned i = 0; i < 100; i++) {
		switch (i % 5) {
		case 0:
			m[i] = dpt_mk4("192.0.2.1", "10.1.0.1", 64, 8);
			break; // port 1
		case 1:
			m[i] = dpt_mk6("2001:db8:77::1", "2001:db8:1::1", 9, 17, 0, 8);
			break; // 2
		case 2:
			m[i] = dpt_mk4("192.0.2.1", "10.2.0.5", 64, 8);
			break; // port 2
		case 3:
			m[i] = dpt_mk4("192.0.2.1", "10.9.0.1", 64, 8);
			break; // blackhole
		default:
			m[i] = dpt_mk4("192.0.2.1", "10.3.0.9", 64, 8);
			break; // resolve
		}
	}
	dpt_run(m, 100);
	n1 = dpt_sent(1, out, 128);
	dpt_free(out, n1);
	n2 = dpt_sent(2, out, 128);
	dpt_free(out, n2);
	np = dpt_punted(out, 128);
	for (unsigned i = 0; i < np; i++)
		assert_int_equal(molt_mbuf_priv(out[i])->punt_reason, PUNT_RESOLVE);
	dpt_free(out, np);
	assert_int_equal(n1, 20);
	assert_int_equal(n2, 40);
	assert_int_equal(np, 20);
	c = dpt_ctr(0);
	assert_int_equal(c.rx, 100);
	assert_int_equal(c.forwarded, 60);
	assert_int_equal(c.punted, 20);
	assert_int_equal(c.drops[MOLT_DROP_BLACKHOLE], 20);
	assert_int_equal(dpt_ctr(1).tx, 20);
	assert_int_equal(dpt_ctr(2).tx, 40);
	assert_int_equal(rte_mempool_in_use_count(dpt_pool), 0);
}

// IPv4 and IPv6 interleaved (the fast pass takes both), then a frame only the staged path
// handles (bad checksum) and one for another host's MAC: every frame has its outcome, and the
// frames of each family leave in the order they came (ids carried in the IPv4 id / the first
// IPv6 payload byte).
static void test_mixed_families_keep_order(void **state)
{
	enum { N = 48, BAD_CKSUM = 21, OTHER_MAC = 30 };
	struct rte_mbuf *m[N], *out[N];
	uint8_t seq4 = 0, seq6 = 0;
	unsigned n1, n2, want4 = 0, want6 = 0;
	struct port_counters c;

	for (unsigned i = 0; i < N; i++) {
		if (i == BAD_CKSUM) {
			m[i] = dpt_mk4("192.0.2.1", "10.1.0.1", 64, 8);
			dpt_ip4_hdr(m[i])->hdr_checksum ^= RTE_BE16(0x0001);
		} else if (i == OTHER_MAC) {
			m[i] = dpt_mk6("2001:db8:77::1", "2001:db8:1::1", 9, 17, 0, 8);
			rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *)->dst_addr.addr_bytes[5] ^=
				0x40;
		} else if (i % 3 == 1) {
			m[i] = dpt_mk6("2001:db8:77::1", "2001:db8:1::1", 9, 17, (uint8_t)want6++,
				       8);
		} else {
			m[i] = dpt_mk4("192.0.2.1", "10.1.0.1", 64, 8);
			dpt_ip4_hdr(m[i])->packet_id = rte_cpu_to_be_16((uint16_t)want4++);
			dpt_ip4_fix_cksum(m[i]);
		}
	}
	dpt_run(m, N);
	n1 = dpt_sent(1, out, N);
	assert_int_equal(n1, want4);
	for (unsigned i = 0; i < n1; i++)
		assert_int_equal(rte_be_to_cpu_16(dpt_ip4_hdr(out[i])->packet_id), seq4++);
	dpt_free(out, n1);
	n2 = dpt_sent(2, out, N);
	assert_int_equal(n2, want6);
	for (unsigned i = 0; i < n2; i++) {
		const uint8_t *pl = (const uint8_t *)(dpt_ip6_hdr(out[i]) + 1);

		assert_int_equal(pl[0], seq6++);
	}
	dpt_free(out, n2);
	c = dpt_ctr(0);
	assert_int_equal(c.rx, N);
	assert_int_equal(c.forwarded, want4 + want6);
	assert_int_equal(c.drops[MOLT_DROP_IP4_BAD_CHECKSUM], 1);
	assert_int_equal(c.drops[MOLT_DROP_L2_NOT_FOR_US], 1);
	assert_int_equal(rte_mempool_in_use_count(dpt_pool), 0);
}

static void test_no_slot(void **state)
{
	struct rte_mbuf *m[3];

	for (unsigned i = 0; i < 3; i++)
		m[i] = dpt_mk4("192.0.2.1", "10.1.0.1", 64, 8);
	dp_process_burst(&dpt_worker, NULL, 0, m, 3);
	assert_int_equal(dpt_ctr(0).rx, 3);
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_NO_SLOT], 3);
	assert_int_equal(rte_mempool_in_use_count(dpt_pool), 0);
}

// Port 3's tx ring holds 3: the other 2 are freed and counted tx_full on the ingress port.
static void test_tx_full(void **state)
{
	struct rte_mbuf *m[5], *out[8];

	uint32_t len;

	for (unsigned i = 0; i < 5; i++)
		m[i] = dpt_mk4("192.0.2.1", "10.7.0.1", 64, 8);
	len = rte_pktmbuf_pkt_len(m[0]);
	dpt_run(m, 5);
	assert_int_equal(dpt_sent(3, out, 8), DPT_SMALL_TX_RING - 1);
	dpt_free(out, DPT_SMALL_TX_RING - 1);
	assert_int_equal(dpt_ctr(0).forwarded, 3);
	assert_int_equal(dpt_ctr(3).tx, 3);
	// tx_bytes counts the 3 that left, not the 2 the full ring refused.
	assert_int_equal(dpt_ctr(3).tx_bytes, 3 * len);
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_TX_FULL], 2);
	assert_int_equal(rte_mempool_in_use_count(dpt_pool), 0);
}

static void test_punt_ring_full(void **state)
{
	struct rte_ring *saved = dpt_worker.punt;
	struct rte_ring *tiny = rte_ring_create("dpt_tiny", 2, SOCKET_ID_ANY,
						RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_mbuf *m[4], *out[4];

	assert_non_null(tiny);
	dpt_worker.punt = tiny;
	for (unsigned i = 0; i < 4; i++)
		m[i] = dpt_mk4("192.0.2.1", "10.0.0.1", 64, 8);
	dpt_run(m, 4);
	assert_int_equal(rte_ring_dequeue_burst(tiny, (void **)out, 4, NULL), 1);
	dpt_free(out, 1);
	assert_int_equal(dpt_ctr(0).punted, 1);
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_PUNT_RING_FULL], 3);
	// No ring at all (molt-bench): punts are dropped the same way.
	dpt_worker.punt = NULL;
	dpt_run1(dpt_mk4("192.0.2.1", "10.0.0.1", 64, 8));
	assert_int_equal(dpt_ctr(0).drops[MOLT_DROP_PUNT_RING_FULL], 4);
	dpt_worker.punt = saved;
	rte_ring_free(tiny);
	assert_int_equal(rte_mempool_in_use_count(dpt_pool), 0);
}

static void *worker_thread(void *arg)
{
	return (void *)(intptr_t)dp_worker_main(arg);
}

static unsigned wait_sent(uint16_t port, struct rte_mbuf **out, unsigned want)
{
	unsigned got = 0;
	uint64_t deadline = rte_get_tsc_cycles() + 5 * rte_get_tsc_hz();

	while (got < want && rte_get_tsc_cycles() < deadline) {
		got += dpt_sent(port, out + got, want - got);
		sched_yield();
	}
	return got;
}

// The real loop on a thread: reads rx rings, follows a slot flip, reports quiescent states so
// a grace period completes, and unregisters on stop.
static void test_worker_main(void **state)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *q = rte_zmalloc("dpt_qsbr", sz, RTE_CACHE_LINE_SIZE);
	struct dp_worker w = dpt_worker;
	struct slot second = dpt_slot;
	struct rte_mbuf *m[8], *out[8];
	pthread_t th;
	void *ret;
	uint64_t t;

	assert_non_null(q);
	assert_int_equal(rte_rcu_qsbr_init(q, 1), 0);
	molt_dp.qsbr = q;
	molt_dp.stop = false;
	atomic_store(&molt_dp.active, &dpt_slot);
	w.n_rxq = 1;
	w.rxq[0] = (struct dp_rxq){ .port_id = 0, .queue_id = 0 };
	memset(&molt_worker_ctr[0], 0, sizeof(molt_worker_ctr[0]));
	assert_int_equal(pthread_create(&th, NULL, worker_thread, &w), 0);

	for (unsigned i = 0; i < 4; i++)
		m[i] = dpt_mk4("192.0.2.1", "10.1.0.1", 64, 8);
	assert_int_equal(rte_ring_enqueue_burst(dpt_rx_ring[0], (void **)m, 4, NULL), 4);
	assert_int_equal(wait_sent(1, out, 4), 4);
	dpt_free(out, 4);

	// Flip to a second slot (same tables): the worker must notice it and report a quiescent
	// state so the grace period for the first slot ends.
	atomic_store_explicit(&molt_dp.active, &second, memory_order_release);
	t = rte_rcu_qsbr_start(q);
	while (rte_rcu_qsbr_check(q, t, false) == 0)
		sched_yield();
	m[0] = dpt_mk4("192.0.2.1", "10.1.0.1", 64, 8);
	assert_int_equal(rte_ring_enqueue_burst(dpt_rx_ring[0], (void **)m, 1, NULL), 1);
	assert_int_equal(wait_sent(1, out, 1), 1);
	dpt_free(out, 1);

	molt_dp.stop = true;
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(molt_worker_ctr[0].flips_seen, 2);
	assert_true(molt_worker_ctr[0].bursts >= 2);
	assert_true(molt_worker_ctr[0].busy_cycles > 0);
	assert_int_equal(dpt_ctr(0).rx, 5);
	// Unregistered: a new grace period completes without the worker.
	t = rte_rcu_qsbr_start(q);
	assert_int_equal(rte_rcu_qsbr_check(q, t, false), 1);
	molt_dp.qsbr = NULL;
	molt_dp.stop = false;
	atomic_store(&molt_dp.active, NULL);
	rte_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, dpt_setup)
		T(test_drop_names),        T(test_counters_sum_reset),
		T(test_mixed_large_burst), T(test_mixed_families_keep_order),
		T(test_no_slot),           T(test_tx_full),
		T(test_punt_ring_full),    T(test_worker_main),
#undef T
	};

	return cmocka_run_group_tests(tests, dpt_group_setup, dpt_group_teardown);
}
