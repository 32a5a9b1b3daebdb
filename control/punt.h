// SPDX-License-Identifier: BSD-3-Clause
// The control thread's packet path: drains the workers' punt rings and handles each packet by
// its punt reason (ARP/ND to neigh, echo to us, ICMP errors, resolution + hold), sending on
// the control tx queue (molt_dp.control_txq) of each port. Control thread only.
#pragma once

#include <rte_mempool.h>

#include "control/config.h"

int punt_init(const struct molt_config *cfg, struct rte_mempool *mp);

// Handles up to a bounded number of punted packets; returns how many it handled.
unsigned punt_poll(void);

// Sends one packet built by the control thread on port (control tx queue), counting it in the
// control column of the port counters; frees it if the queue is full (counted as tx_full).
void punt_tx(uint16_t port, struct rte_mbuf *m);
