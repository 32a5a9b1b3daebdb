// SPDX-License-Identifier: BSD-3-Clause
// How packets the control thread sends leave the router, and the control thread's column of the
// port counters (molt_port_ctr[port][MOLT_MAX_WORKERS]), which only this file writes. Everything
// on the control path that sends a packet (ICMP, ARP, ND, held packets, echo replies) goes
// through inject_tx. Control thread only.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <stdint.h>

// Pool for the packets the control thread builds (ARP/NS requests, NA, ICMP errors).
void inject_set_pool(struct rte_mempool *mp);
// A fresh mbuf from that pool, or NULL (pool exhausted or not set).
struct rte_mbuf *inject_alloc(void);

// Sends one packet built by the control thread on port: hands it to a worker's inject ring
// (round robin), counting it as tx in the control column; the worker transmits it and counts
// only a device refusal (tx_full) in its own column, so no counter has two writers. Without
// workers (unit tests) it transmits on molt_dp.control_txq itself, counting in the control column.
// A full ring or queue frees it, counted as tx_full in the control column. Always consumes m.
void inject_tx(uint16_t port, struct rte_mbuf *m);

// Counts a packet received on port that the control thread dropped, by reason (enum
// molt_drop_reason), in the control column. Out-of-range ports and reasons are ignored.
void ctl_count_drop(uint16_t port, unsigned reason);
// Counts a packet received on port that the control thread forwarded (a held packet sent on).
void ctl_count_forwarded(uint16_t port);
