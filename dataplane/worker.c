// SPDX-License-Identifier: BSD-3-Clause
// The worker main loop: poll the assigned rx queues, process each burst against the slot that
// is active when the burst is taken, and tell QSBR after every pass over the queues that this
// worker holds no slot reference (so control can reclaim a drained slot).
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dataplane/dp_priv.h"

struct dataplane molt_dp;

// Sends what the control thread handed this worker (mbuf->port = egress port), on this
// worker's own tx queue, in runs of packets for the same port.
static void drain_inject(struct dp_worker *w)
{
	struct rte_mbuf *pkts[MOLT_BURST];
	unsigned n, i = 0;

	n = rte_ring_sc_dequeue_burst(w->inject, (void **)pkts, MOLT_BURST, NULL);
	while (i < n) {
		uint16_t port = pkts[i]->port;
		struct port_counters *pc = &molt_port_ctr[port][w->worker_id];
		unsigned j = i, sent;

		while (j < n && pkts[j]->port == port)
			j++;
		if (port >= MOLT_MAX_PORTS) {
			rte_pktmbuf_free_bulk(&pkts[i], j - i);
			i = j;
			continue;
		}
		// tx of these was counted by the control thread when it handed them over.
		sent = rte_eth_tx_burst(port, w->txq, &pkts[i], (uint16_t)(j - i));
		if (i + sent < j) {
			pc->drops[MOLT_DROP_TX_FULL] += j - i - sent;
			rte_pktmbuf_free_bulk(&pkts[i + sent], j - i - sent);
		}
		i = j;
	}
}

int dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct worker_counters *wc;
	struct rte_rcu_qsbr *qsbr = molt_dp.qsbr;
	const struct slot *last = NULL;
	struct rte_mbuf *pkts[MOLT_BURST];
	uint64_t pass_start;

	if (w->worker_id >= MOLT_MAX_WORKERS)
		return -EINVAL;
	wc = &molt_worker_ctr[w->worker_id];
	if (qsbr != NULL) {
		if (rte_rcu_qsbr_thread_register(qsbr, w->worker_id) != 0)
			return -EINVAL;
		rte_rcu_qsbr_thread_online(qsbr, w->worker_id);
	}

	pass_start = rte_rdtsc();
	while (!molt_dp.stop) {
		bool work = false;
		uint64_t now;

		for (uint16_t q = 0; q < w->n_rxq; q++) {
			const struct dp_rxq *rxq = &w->rxq[q];
			const struct slot *s;
			uint16_t n;

			n = rte_eth_rx_burst(rxq->port_id, rxq->queue_id, pkts, MOLT_BURST);
			if (n == 0) {
				wc->idle_polls++;
				continue;
			}
			work = true;
			// Acquire pairs with control's release store of a fully built slot.
			s = atomic_load_explicit(&molt_dp.active, memory_order_acquire);
			if (unlikely(s != last)) {
				wc->flips_seen++;
				last = s;
			}
			dp_process_burst(w, s, rxq->port_id, pkts, n);
			wc->bursts++;
		}
		if (w->inject != NULL && !rte_ring_empty(w->inject))
			drain_inject(w);
		// No slot pointer survives past this point (bursts are flushed inside
		// dp_process_burst), so every pass is a quiescent state. The report is one
		// store to this worker's own cache line.
		if (qsbr != NULL)
			rte_rcu_qsbr_quiescent(qsbr, w->worker_id);
		// One TSC read per pass (rte_rdtsc costs ~12 ns here, a fifth of a packet): busy
		// cycles are those of passes that received something, their rx calls included.
		now = rte_rdtsc();
		if (work)
			wc->busy_cycles += now - pass_start;
		pass_start = now;
	}

	if (qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(qsbr, w->worker_id);
		rte_rcu_qsbr_thread_unregister(qsbr, w->worker_id);
	}
	return 0;
}
