// SPDX-License-Identifier: BSD-3-Clause
// The latency generator's side of moltd's ports: one net_ring ethdev per port, made with
// rte_eth_from_rings before moltd probes its config (which names them net_ring_NAME), so the
// generator reaches moltd's queues through the rings themselves in the same process.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rte_ring.h>

#include "lat_seq.h"

#define LAT_PORTS_MAX (LAT_SEQ_MAX_STREAMS / 2)
#define LAT_RING_SIZE 1024

struct lat_port {
	char name[20]; // moltd's port name; the device is net_ring_<name>
	uint16_t port_id;
	struct rte_ring *rx; // moltd's rx queue: the generator enqueues into the first port's
	struct rte_ring *tx; // moltd's tx queues, all of them: the generator dequeues
};

struct lat_ports {
	struct lat_port port[LAT_PORTS_MAX]; // [0]: the port the generator sends into
	unsigned n;
};

// Creates a ring ethdev per name, with one rx queue and nb_txq tx queues (moltd configures one
// per worker; they share a multi-producer ring). 0, or -errno with a message in err.
int lat_ports_create(struct lat_ports *p, char *const names[], unsigned n, uint16_t nb_txq,
		     char *err, size_t errlen);

// Removes the devices and frees the rings, and any mbufs still in them. After moltd has
// stopped its ports.
void lat_ports_destroy(struct lat_ports *p);
