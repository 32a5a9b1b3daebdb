// SPDX-License-Identifier: BSD-3-Clause
// Internals of the worker fast path, shared by its stage files (ip4_fast.c, eth_input.c,
// ip4_input.c, ip6_input.c, nh_dispatch.c, neigh_lookup.c, dp_sinks.c). Not for control: use
// dataplane.h.
//
// A burst is processed as a chain of stages over arrays, each stage one loop over the packets
// it was handed (so every call is per burst, not per packet): ip4_fast_input takes the common
// plain IPv4 frames in one pass, eth_input sorts the rest (if any) by
// ethertype, ip4/ip6_input validate and collect destinations, one bulk FIB lookup per family,
// nh_dispatch acts on each next hop, neigh_lookup resolves on-link destinations in bulk, and
// the sinks (tx, punt ring, free) are flushed once at the end. Every packet ends in exactly one
// sink, so each sink array holds at most MOLT_BURST packets.
#pragma once

#include <assert.h>
#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/counters.h"
#include "dataplane/dataplane.h"
#include "dataplane/rewrite.h"
#include "dataplane/slot.h"

// How many packets ahead eth_input prefetches packet data.
#define DP_PREFETCH 4

static_assert(MOLT_MAX_PORTS <= 32, "the flush's port mask is 32 bits");
static_assert(MOLT_BURST <= RTE_HASH_LOOKUP_BULK_MAX, "one bulk hash lookup per burst");

// Token bucket for ICMP errors, kept in TSC cycles: each error costs hz / rate cycles of
// credit, credit accrues with time up to burst errors' worth.
struct dp_icmp_bucket {
	uint64_t credit;
	uint64_t last_tsc;
};

// Per-worker state that outlives a burst. Only worker `worker_id` touches its entry.
//
// The tx buffers are three arrays rather than an array of structs: a port's packets then start
// at a power-of-two offset (a shift, not a multiply, per packet queued outside the common
// case, which keeps a tail pointer per port for the burst instead), and the counts share two
// cache lines.
struct dp_wstate {
	// Packets in tx_pkts[port]. The flush finds the ports to send from these counts (a few
	// vector compares per burst) rather than from a mask the fast path keeps per packet.
	uint16_t tx_n[MOLT_MAX_PORTS] __rte_aligned(16);
	// pkt_len of tx_pkts[port][0..tx_n), summed as they are queued (the mbuf header is in
	// cache then), so a flush that sends everything need not walk the mbufs again.
	uint32_t tx_bytes[MOLT_MAX_PORTS];
	struct dp_icmp_bucket icmp[MOLT_MAX_PORTS]; // by ingress port
	struct rte_mbuf *tx_pkts[MOLT_MAX_PORTS][MOLT_BURST] __rte_cache_aligned;
} __rte_cache_aligned;

extern struct dp_wstate dp_wstate[MOLT_MAX_WORKERS];

// One chunk of at most MOLT_BURST packets from one rx queue.
struct dp_ctx {
	struct dp_worker *w;
	const struct slot *s;
	struct dp_wstate *ws;
	struct port_counters *ctr; // ingress port, this worker's column
	uint16_t in_port;
	uint16_t n4, n6, nc4, nc6, n_punt, n_drop;
	// IPv4 packets to look up, their destinations (host order) and next hops. m4 is the rx
	// burst itself while ip4_fast_input consumed every frame (no copy), else m4buf.
	struct rte_mbuf **m4;
	// Every frame of m4 came through ip4_fast_input, so was sent to our MAC.
	bool m4_fast;
	uint32_t dst4[MOLT_BURST];
	// Next hops: nh4w when the driver has lookup_bulk64 (nh4_wide), else nh4.
	bool nh4_wide;
	uint32_t nh4[MOLT_BURST];
	uint64_t nh4w[MOLT_BURST];
	struct rte_mbuf *m4buf[MOLT_BURST];
	// IPv6 likewise (destinations network order, as the drivers take them).
	struct rte_mbuf *m6[MOLT_BURST];
	uint8_t dst6[MOLT_BURST][16];
	uint32_t nh6[MOLT_BURST];
	// On-link destinations waiting for a neighbour lookup: key and slot next hop.
	struct rte_mbuf *c4m[MOLT_BURST];
	uint32_t c4key[MOLT_BURST]; // network order, the neighbour table's key
	uint32_t c4nh[MOLT_BURST];
	struct rte_mbuf *c6m[MOLT_BURST];
	const uint8_t *c6key[MOLT_BURST]; // points into dst6[]
	uint32_t c6nh[MOLT_BURST];
	// Sinks.
	struct rte_mbuf *punt[MOLT_BURST];
	struct rte_mbuf *drop[MOLT_BURST];
};

// Stages, in order. ip4_fast_input takes the burst's leading run of plain IPv4 frames, and
// IPv6 frames among them (into m6, unchecked): it leaves the IPv4 ones in pkts[0..n4) for the
// caller to point m4 at, sets n4 and n6, and returns how many frames of pkts it consumed;
// eth_input sorts the rest, appending to m4 and m6; ip4_input checks m4[from..n4).
uint16_t ip4_fast_input(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n);
void eth_input(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n);
void ip4_input(struct dp_ctx *c, uint16_t from);
void ip6_input(struct dp_ctx *c);
void nh_dispatch(struct dp_ctx *c);
void neigh_lookup(struct dp_ctx *c);
void dp_sinks_flush(struct dp_ctx *c);

// Whether an ICMP error may be generated now for a packet that arrived on c->in_port.
bool dp_icmp_allow(struct dp_ctx *c);
// Refills every bucket of a worker (tests, and when the rate is reconfigured).
void dp_icmp_reset(uint16_t worker_id);

static inline void dp_drop(struct dp_ctx *c, struct rte_mbuf *m, enum molt_drop_reason r)
{
	c->ctr->drops[r]++;
	c->drop[c->n_drop++] = m;
}

// Queues m for the control thread; returns its private area for reason-specific fields.
static inline struct molt_mbuf_priv *dp_punt(struct dp_ctx *c, struct rte_mbuf *m,
					     enum punt_reason r, uint8_t family)
{
	struct molt_mbuf_priv *p = molt_mbuf_priv(m);

	memset(p, 0, sizeof(*p));
	p->punt_reason = r;
	p->in_port = c->in_port;
	p->family = family;
	c->punt[c->n_punt++] = m;
	return p;
}

// Appends m to port out's tx buffer.
static inline void dp_txbuf_add(struct dp_wstate *ws, uint16_t out, struct rte_mbuf *m)
{
	uint16_t k = ws->tx_n[out];

	ws->tx_pkts[out][k] = m;
	ws->tx_n[out] = (uint16_t)(k + 1);
	ws->tx_bytes[out] += rte_pktmbuf_pkt_len(m);
}

// Sends m on port out after the burst (rewrite already done).
static inline void dp_tx(struct dp_ctx *c, struct rte_mbuf *m, uint16_t out)
{
	dp_txbuf_add(c->ws, out, m);
}

static inline struct rte_ipv4_hdr *dp_ip4(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
}

static inline struct rte_ipv6_hdr *dp_ip6(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
}

// Decrements TTL / hop limit, rewrites both MACs from l2 and the egress port, queues for tx.
// The caller has checked that the TTL does not expire.
static inline void dp_forward(struct dp_ctx *c, struct rte_mbuf *m, uint8_t family, uint64_t l2)
{
	uint16_t out = nh_l2_port(l2);

	if (unlikely(out >= MOLT_MAX_PORTS)) {
		dp_drop(c, m, MOLT_DROP_NOT_FORWARDABLE);
		return;
	}
	if (family == 4)
		ip4_ttl_decrement(dp_ip4(m));
	else
		ip6_hop_decrement(dp_ip6(m));
	eth_rewrite_l2(m, l2, &molt_dp.ports[out].mac);
	dp_tx(c, m, out);
}
