// SPDX-License-Identifier: BSD-3-Clause
// Last stage: every packet of the burst is in exactly one sink. Sends the per-port tx buffers
// (one tx burst per egress port), hands punts to the control thread in one ring enqueue, and
// frees drops in one call.
#include <rte_ethdev.h>
#include <rte_ring.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dataplane/dp_priv.h"

// The ports with packets in their tx buffer, as a bit mask.
static inline uint32_t tx_ports(const struct dp_wstate *ws)
{
	uint32_t mask = 0;
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128();

	static_assert(MOLT_MAX_PORTS % 16 == 0, "tx_n in 16-entry steps");
	for (unsigned p = 0; p < MOLT_MAX_PORTS; p += 16) {
		__m128i lo = _mm_load_si128((const __m128i *)&ws->tx_n[p]);
		__m128i hi = _mm_load_si128((const __m128i *)&ws->tx_n[p + 8]);
		// 0xffff per empty entry, packed to a byte each.
		__m128i empty = _mm_packs_epi16(_mm_cmpeq_epi16(lo, zero),
						_mm_cmpeq_epi16(hi, zero));

		mask |= (uint32_t)(~_mm_movemask_epi8(empty) & 0xffff) << p;
	}
#else
	for (unsigned p = 0; p < MOLT_MAX_PORTS; p++)
		mask |= (uint32_t)(ws->tx_n[p] != 0) << p;
#endif
	return mask;
}

static void tx_flush(struct dp_ctx *c, uint32_t dirty)
{
	uint16_t wid = c->w->worker_id;
	uint64_t forwarded = 0;

	while (dirty != 0) {
		uint16_t port = (uint16_t)__builtin_ctz(dirty);
		struct rte_mbuf **pkts = c->ws->tx_pkts[port];
		struct port_counters *out = &molt_port_ctr[port][wid];
		uint16_t n = c->ws->tx_n[port];
		uint64_t bytes = c->ws->tx_bytes[port];
		uint16_t sent;

		dirty &= dirty - 1;
		sent = rte_eth_tx_burst(port, c->w->txq, pkts, n);
		// Only what left counts. The unsent mbufs are still ours to read; the sent ones may
		// already be back in the pool.
		for (uint16_t i = sent; i < n; i++)
			bytes -= rte_pktmbuf_pkt_len(pkts[i]);
		out->tx += sent;
		out->tx_bytes += bytes;
		forwarded += sent;
		if (unlikely(sent < n)) {
			c->ctr->drops[MOLT_DROP_TX_FULL] += n - sent;
			rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		}
		c->ws->tx_n[port] = 0;
		c->ws->tx_bytes[port] = 0;
	}
	c->ctr->forwarded += forwarded;
}

static void punt_flush(struct dp_ctx *c)
{
	unsigned done = 0;

	if (c->w->punt != NULL)
		done = rte_ring_enqueue_burst(c->w->punt, (void **)c->punt, c->n_punt, NULL);
	c->ctr->punted += done;
	if (unlikely(done < c->n_punt)) {
		c->ctr->drops[MOLT_DROP_PUNT_RING_FULL] += c->n_punt - done;
		rte_pktmbuf_free_bulk(&c->punt[done], c->n_punt - done);
	}
}

void dp_sinks_flush(struct dp_ctx *c)
{
	uint32_t ports = tx_ports(c->ws);

	if (ports != 0)
		tx_flush(c, ports);
	if (c->n_punt > 0)
		punt_flush(c);
	if (c->n_drop > 0)
		rte_pktmbuf_free_bulk(c->drop, c->n_drop);
}
