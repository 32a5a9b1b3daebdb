// SPDX-License-Identifier: BSD-3-Clause
// The control thread's way out: its mempool, a worker's inject ring or its own tx queue, and
// its column of the port counters.
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "control/host/inject.h"
#include "dataplane/dataplane.h"

static struct rte_mempool *pool;

void inject_set_pool(struct rte_mempool *mp)
{
	pool = mp;
}

struct rte_mbuf *inject_alloc(void)
{
	return pool != NULL ? rte_pktmbuf_alloc(pool) : NULL;
}

static struct port_counters *ctl_ctr(uint16_t port)
{
	return &molt_port_ctr[port][MOLT_MAX_WORKERS];
}

void inject_tx(uint16_t port, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	bool sent;

	if (port >= MOLT_MAX_PORTS) {
		rte_pktmbuf_free(m);
		return;
	}
	if (molt_dp.nb_workers > 0) {
		static uint16_t next; // round robin over workers: control thread only
		struct rte_ring *r = molt_dp.workers[next++ % molt_dp.nb_workers].inject;

		m->port = port;
		sent = r != NULL && rte_ring_sp_enqueue(r, m) == 0;
	} else {
		sent = rte_eth_tx_burst(port, molt_dp.control_txq, &m, 1) == 1;
	}
	if (sent) {
		ctl_ctr(port)->tx++;
		ctl_ctr(port)->tx_bytes += len;
	} else {
		rte_pktmbuf_free(m);
		ctl_ctr(port)->drops[MOLT_DROP_TX_FULL]++;
	}
}

void ctl_count_drop(uint16_t port, unsigned reason)
{
	if (port < MOLT_MAX_PORTS && reason < MOLT_DROP_MAX)
		ctl_ctr(port)->drops[reason]++;
}

void ctl_count_forwarded(uint16_t port)
{
	if (port < MOLT_MAX_PORTS)
		ctl_ctr(port)->forwarded++;
}
