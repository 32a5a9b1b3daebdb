// SPDX-License-Identifier: BSD-3-Clause
// DPDK ports from the config: probe (any vdev string), configure, start, stop. Control only.
#pragma once

#include <rte_mempool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/config/config.h"

// Probes every configured port (a device of the devargs' name that already exists is used as
// it is, if the devargs are only that name), configures nb_workers rx queues (more when the PMD spreads
// traffic over all of its queues anyway) and nb_workers + 1 tx queues (the last is the control
// thread's), sets the MAC, creates the packet pool (*mp) and sets up the queues. Fills each
// port conf's port_id, mac and ll6, and molt_dp.ports / nb_ports / control_txq. Ports are left
// stopped. Returns 0 or -errno with a message naming the port in err.
int ports_init(struct molt_config *cfg, uint16_t nb_workers, struct rte_mempool **mp, char *err,
	       size_t errlen);

// Rx queues configured on a DPDK port (0 for a port moltd does not own).
uint16_t ports_nb_rxq(uint16_t port_id);

// Starts every port; logs each one (name, id, MAC, addresses, link). 0 or -errno with err.
int ports_start(const struct molt_config *cfg, char *err, size_t errlen);

// Stops every port and closes those probed so far (net_pcap writes its output file on stop;
// a device that existed before ports_init is left open for its creator), then frees the pool.
// Safe to call after a partial ports_init.
void ports_fini(void);
