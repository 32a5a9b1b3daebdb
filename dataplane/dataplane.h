// SPDX-License-Identifier: BSD-3-Clause
// State shared between the control thread and the workers. Every field says who writes it and
// who reads it.
#pragma once

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/counters.h"
#include "dataplane/slot.h"

struct rte_hash;

#define MOLT_MAX_RXQ_PER_WORKER 64
#define MOLT_BURST 64

// Per-port state the fast path needs (control: wo before workers start; workers: ro). 32 bytes,
// so that a port's MAC is found with a shift rather than a multiply.
struct dp_port {
	struct rte_ether_addr mac;
	uint16_t port_id; // DPDK port id
	uint16_t mtu;
	char name[16];
	uint8_t pad[6];
};

struct dp_rxq {
	uint16_t port_id;
	uint16_t queue_id;
};

// Why a packet is handed to the control thread; stored in the mbuf's private area.
enum punt_reason {
	PUNT_ARP = 1, // ARP request/reply
	PUNT_ND, // ICMPv6 neighbour discovery (RS/RA/NS/NA/redirect)
	PUNT_LOCAL, // destined to the router (echo, anything else)
	PUNT_RESOLVE, // next hop unresolved: meta.nh (gateway) or destination (connected)
	PUNT_TTL_EXCEEDED, // send ICMP time exceeded (already rate-limited by the worker)
	PUNT_UNREACHABLE, // no route: ICMP destination unreachable (rate-limited by the worker)
};

// mbuf private area (every pool whose mbufs reach moltd is created with priv_size =
// MOLT_MBUF_PRIV_SIZE). Filled by the worker only on punted packets.
struct molt_mbuf_priv {
	uint32_t punt_reason; // enum punt_reason
	uint32_t nh; // next-hop index in `slot` for PUNT_RESOLVE of a gateway
	uint16_t in_port;
	uint8_t family; // 4 or 6
	uint8_t pad;
	uint16_t out_port; // PUNT_RESOLVE: egress port
	uint16_t pad2;
	uint64_t slot_generation; // slot the nh index belongs to
	uint8_t resolve_ip[16]; // PUNT_RESOLVE: the neighbour address to resolve (network order)
};

// The private area rounded up to a whole cache line, not just to RTE_MBUF_PRIV_ALIGN: the
// packet data starts at mbuf + 128 + priv + 128 (headroom), so a 40-byte priv put every frame
// at offset 40 of a line and a 64-byte frame across two lines, for the PMD's copy in and the
// worker's header reads alike. Whole lines keep the frame's headers in one.
#define MOLT_MBUF_PRIV_SIZE RTE_ALIGN(sizeof(struct molt_mbuf_priv), RTE_CACHE_LINE_SIZE)

static inline struct molt_mbuf_priv *molt_mbuf_priv(struct rte_mbuf *m)
{
	return (struct molt_mbuf_priv *)rte_mbuf_to_priv(m);
}

// A worker's assignment (control: wo before launch; worker: ro).
struct dp_worker {
	unsigned lcore_id;
	uint16_t worker_id; // column in the counter arrays, QSBR thread id
	uint16_t txq; // tx queue this worker uses on every port (== worker_id)
	uint16_t n_rxq;
	struct dp_rxq rxq[MOLT_MAX_RXQ_PER_WORKER];
	struct rte_ring *punt; // worker: sp enqueue; control: sc dequeue
	// Packets the control thread built (ARP/ND, echo replies, ICMP errors, flushed held
	// packets) for this worker to send, mbuf->port = egress port: control: sp enqueue;
	// worker: sc dequeue. Devices then need no extra tx queue for the control thread.
	struct rte_ring *inject;
};

// Neighbour table for on-link destinations (NH_CONNECTED). Lock-free readers, one writer
// (control). key: 4 or 16 address bytes; data: index into entries[].
struct neigh_fast {
	struct rte_hash *h4; // key uint32_t (network order)
	struct rte_hash *h6; // key uint8_t[16]
	_Atomic uint64_t *l2; // capacity entries; same encoding as molt_nh.l2
	uint32_t capacity;
};

struct dataplane {
	_Atomic(struct slot *) active; // control: wo; workers: ro, once per burst
	struct rte_rcu_qsbr *qsbr; // workers report quiescent state between bursts
	volatile bool stop; // control: wo; workers: ro
	uint16_t nb_ports; // control: wo before launch
	uint16_t nb_workers;
	// tx queue the control thread uses directly when no worker runs (unit tests): control only
	uint16_t control_txq;
	struct dp_port ports[MOLT_MAX_PORTS]; // indexed by DPDK port id
	struct dp_worker workers[MOLT_MAX_WORKERS];
	struct neigh_fast neigh; // control: wo (rte_hash lock-free); workers: ro
	// Ports whose link is down, by DPDK port id (bit set: down): ECMP skips their paths.
	_Atomic uint32_t ports_down; // control: wo (link polls); workers: ro
	uint64_t icmp_tokens_per_sec; // ICMP errors each worker may emit per port per second
	uint64_t icmp_burst;
};

extern struct dataplane molt_dp;

// The worker main loop: rte_eal_remote_launch(dp_worker_main, &molt_dp.workers[i], lcore).
int dp_worker_main(void *arg);

// Processes one received burst on worker w against slot s (NULL: drop all as no_slot).
// Exposed for unit tests and molt-bench; dp_worker_main calls it. pkts[] is scratch afterwards.
void dp_process_burst(struct dp_worker *w, const struct slot *s, uint16_t in_port,
		      struct rte_mbuf **pkts, uint16_t n);
