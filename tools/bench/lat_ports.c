// SPDX-License-Identifier: BSD-3-Clause
// Ring ports for the latency generator (tools/bench/lat_ports.h).
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "lat_ports.h"

#define UNUSED_RING_SIZE 64 // moltd's rx queue on a port the generator does not send into

static struct rte_ring *ring(const char *port, const char *dir, unsigned size, unsigned flags,
			     char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "lat_%s_%s", port, dir);
	r = rte_ring_create(name, size, (int)rte_socket_id(), flags);
	if (r == NULL)
		snprintf(err, errlen, "cannot create ring %s: %s", name, rte_strerror(rte_errno));
	return r;
}

static int create_one(struct lat_port *lp, const char *name, bool sends, uint16_t nb_txq, char *err,
		      size_t errlen)
{
	struct rte_ring *txq[RTE_MAX_QUEUES_PER_PORT];
	int id;

	if (strlen(name) >= sizeof(lp->name) || name[0] == '\0') {
		snprintf(err, errlen, "port name \"%s\" is empty or longer than %zu characters",
			 name, sizeof(lp->name) - 1);
		return -EINVAL;
	}
	snprintf(lp->name, sizeof(lp->name), "%s", name);
	// The generator is the only producer of the rx ring and the only consumer of the tx
	// ring; moltd polls the rx queue from one worker, and sends from each.
	lp->rx = ring(name, "rx", sends ? LAT_RING_SIZE : UNUSED_RING_SIZE,
		      RING_F_SP_ENQ | RING_F_SC_DEQ, err, errlen);
	if (lp->rx == NULL)
		return -ENOMEM;
	lp->tx = ring(name, "tx", LAT_RING_SIZE, RING_F_SC_DEQ | (nb_txq == 1 ? RING_F_SP_ENQ : 0),
		      err, errlen);
	if (lp->tx == NULL)
		return -ENOMEM;
	for (uint16_t q = 0; q < nb_txq; q++)
		txq[q] = lp->tx;
	id = rte_eth_from_rings(name, &lp->rx, 1, txq, nb_txq, rte_socket_id());
	if (id < 0) {
		snprintf(err, errlen, "cannot create ring port net_ring_%s: %s", name,
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	lp->port_id = (uint16_t)id;
	LOG_INFO("lat", "port net_ring_%s: id %d, rx ring %s, tx ring %s (%u queue%s)", name, id,
		 lp->rx->name, lp->tx->name, nb_txq, nb_txq == 1 ? "" : "s");
	return 0;
}

int lat_ports_create(struct lat_ports *p, char *const names[], unsigned n, uint16_t nb_txq,
		     char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (n == 0 || n > LAT_PORTS_MAX) {
		snprintf(err, errlen, "%u ports: the generator takes 1 to %d", n, LAT_PORTS_MAX);
		return -EINVAL;
	}
	if (nb_txq == 0 || nb_txq > RTE_MAX_QUEUES_PER_PORT) {
		snprintf(err, errlen, "%u tx queues per port: out of range", nb_txq);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		int ret = create_one(&p->port[i], names[i], i == 0, nb_txq, err, errlen);

		p->n = i + 1;
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void free_ring(struct rte_ring *r)
{
	void *m;

	while (r != NULL && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void lat_ports_destroy(struct lat_ports *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct lat_port *lp = &p->port[i];
		char dev[RTE_ETH_NAME_MAX_LEN];
		int ret;

		snprintf(dev, sizeof(dev), "net_ring_%s", lp->name);
		// Closes the ethdev (the rings were attached, not created: they stay ours) and
		// removes the device.
		if (rte_eth_dev_get_port_by_name(dev, &lp->port_id) == 0 &&
		    (ret = rte_vdev_uninit(dev)) < 0)
			LOG_WARN("lat", "cannot remove %s: %s", dev, strerror(-ret));
		free_ring(lp->rx);
		free_ring(lp->tx);
		lp->rx = lp->tx = NULL;
	}
	p->n = 0;
}
