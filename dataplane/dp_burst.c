// SPDX-License-Identifier: BSD-3-Clause
// One received burst through the stages of dp_priv.h, against one slot for the whole burst.
#include "dataplane/dp_priv.h"

struct dp_wstate dp_wstate[MOLT_MAX_WORKERS];

static void process_chunk(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	const struct slot *s = c->s;
	uint16_t used, fast;

	c->n6 = c->nc4 = c->nc6 = c->n_punt = c->n_drop = 0;
	used = ip4_fast_input(c, pkts, n);
	fast = c->n4;
	c->m4 = pkts;
	c->m4_fast = used == n;
	if (unlikely(used < n)) {
		// eth_input appends behind the fast frames: give them an array of their own.
		memcpy(c->m4buf, pkts, fast * sizeof(*pkts));
		c->m4 = c->m4buf;
		eth_input(c, pkts + used, n - used);
		if (c->n4 > fast)
			ip4_input(c, fast);
	}
	if (c->n6 > 0)
		ip6_input(c);
	// One bulk lookup per family per burst, so the FIB engine can prefetch across it.
	c->nh4_wide = s->ops4->lookup_bulk64 != NULL;
	if (c->n4 > 0) {
		if (c->nh4_wide)
			s->ops4->lookup_bulk64(s->fib4, c->dst4, c->nh4w, c->n4);
		else
			s->ops4->lookup_bulk(s->fib4, c->dst4, c->nh4, c->n4);
	}
	if (c->n6 > 0)
		s->ops6->lookup_bulk(s->fib6, c->dst6, c->nh6, c->n6);
	nh_dispatch(c);
	if (c->nc4 + c->nc6 > 0)
		neigh_lookup(c);
	dp_sinks_flush(c);
}

void dp_process_burst(struct dp_worker *w, const struct slot *s, uint16_t in_port,
		      struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_ctx c;

	if (unlikely(in_port >= MOLT_MAX_PORTS || w->worker_id >= MOLT_MAX_WORKERS)) {
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	c.ctr = &molt_port_ctr[in_port][w->worker_id];
	if (unlikely(s == NULL)) {
		// Ports start only once a slot is active; this is a safety net.
		c.ctr->rx += n;
		c.ctr->drops[MOLT_DROP_NO_SLOT] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	c.w = w;
	c.s = s;
	c.ws = &dp_wstate[w->worker_id];
	c.in_port = in_port;
	// Callers other than the worker loop (tests, molt-bench) may pass more than a burst.
	while (n > 0) {
		uint16_t k = n < MOLT_BURST ? n : MOLT_BURST;

		process_chunk(&c, pkts, k);
		pkts += k;
		n -= k;
	}
}
