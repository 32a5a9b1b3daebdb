// SPDX-License-Identifier: BSD-3-Clause
// The control thread's packet path: drains the workers' punt rings and handles each packet by
// its punt reason (ARP/ND to neigh, echo to us, ICMP errors, resolution + hold), sending
// through a worker's inject ring (molt_dp.workers[i].inject). Control thread only.
#pragma once

#include <rte_mempool.h>

#include "control/config/config.h"

int punt_init(const struct molt_config *cfg, struct rte_mempool *mp);

// Handles up to a bounded number of punted packets; returns how many it handled.
unsigned punt_poll(void);

// Sends one packet built by the control thread on port: hands it to a worker's inject ring
// (round robin), counting it as tx in the control column; the worker transmits it and counts
// only a device refusal (tx_full) in its own column, so no counter has two writers. Without workers
// (unit tests) it transmits on molt_dp.control_txq itself, counting in the control column.
// A full ring or queue frees it, counted as tx_full in the control column.
void punt_tx(uint16_t port, struct rte_mbuf *m);
