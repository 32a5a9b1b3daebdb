// SPDX-License-Identifier: BSD-3-Clause
// Acts on each looked-up next hop: forward (TTL / hop limit, rewrite, tx), punt for ICMP
// errors, resolution or local delivery, drop, or defer on-link destinations to neigh_lookup.
// Family-neutral: the only per-family work is the TTL test and decrement.
#include "dataplane/dp_priv.h"

// RFC 1812 5.3.4: a frame received as a link-layer broadcast/multicast is not forwarded, and
// 4.3.2.7: no ICMP error is sent about it either.
static inline bool l2_multicast(struct rte_mbuf *m)
{
	return rte_is_multicast_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
}

static inline bool ttl_expires(struct rte_mbuf *m, uint8_t family)
{
	if (family == 4)
		return dp_ip4(m)->time_to_live <= 1;
	return dp_ip6(m)->hop_limits <= 1;
}

// An ICMP error is owed about m: hand it to the control thread if the bucket allows. The
// caller has counted the reason; only the suppression is counted here.
static void icmp_error(struct dp_ctx *c, struct rte_mbuf *m, enum punt_reason r, uint8_t family)
{
	if (l2_multicast(m)) {
		c->drop[c->n_drop++] = m;
	} else if (dp_icmp_allow(c)) {
		dp_punt(c, m, r, family);
	} else {
		c->ctr->drops[MOLT_DROP_ICMP_RATE_LIMITED]++;
		c->drop[c->n_drop++] = m;
	}
}

static void punt_resolve_gw(struct dp_ctx *c, struct rte_mbuf *m, uint32_t nh, uint8_t family)
{
	const struct molt_nh *e = &c->s->nh[nh];
	struct molt_mbuf_priv *p = dp_punt(c, m, PUNT_RESOLVE, family);

	p->nh = nh;
	p->out_port = e->port;
	p->slot_generation = c->s->generation;
	memcpy(p->resolve_ip, e->gateway, sizeof(p->resolve_ip));
}

static inline void dispatch(struct dp_ctx *c, struct rte_mbuf *m, uint32_t nh, uint8_t family,
			    const void *dst)
{
	const struct slot *s = c->s;
	uint64_t l2;

	// A FIB that has been tampered with must not make us read past the next-hop table.
	if (unlikely(nh >= s->nh_capacity)) {
		c->ctr->drops[MOLT_DROP_NO_ROUTE]++;
		icmp_error(c, m, PUNT_UNREACHABLE, family);
		return;
	}
	l2 = atomic_load_explicit(&s->nh[nh].l2, memory_order_relaxed);
	switch (nh_l2_kind(l2)) {
	case NH_FORWARD:
	case NH_UNRESOLVED:
	case NH_CONNECTED:
		break;
	case NH_LOCAL:
		dp_punt(c, m, PUNT_LOCAL, family);
		return;
	case NH_BLACKHOLE:
		dp_drop(c, m, MOLT_DROP_BLACKHOLE);
		return;
	case NH_DROP:
	default:
		dp_drop(c, m, MOLT_DROP_NOT_FORWARDABLE);
		return;
	}

	// From here on the packet would leave the router.
	if (unlikely(l2_multicast(m))) {
		dp_drop(c, m, MOLT_DROP_NOT_FORWARDABLE);
		return;
	}
	// RFC 4291 2.5.6: a link-local source must not leave its link.
	if (family == 6 && unlikely(dp_ip6(m)->src_addr[0] == 0xfe &&
				    (dp_ip6(m)->src_addr[1] & 0xc0) == 0x80)) {
		dp_drop(c, m, MOLT_DROP_NOT_FORWARDABLE);
		return;
	}
	// Checked before resolution too, so held packets never need it (control decrements).
	if (unlikely(ttl_expires(m, family))) {
		c->ctr->drops[MOLT_DROP_TTL_EXCEEDED]++;
		icmp_error(c, m, PUNT_TTL_EXCEEDED, family);
		return;
	}

	switch (nh_l2_kind(l2)) {
	case NH_FORWARD:
		dp_forward(c, m, family, l2);
		break;
	case NH_UNRESOLVED:
		punt_resolve_gw(c, m, nh, family);
		break;
	default: // NH_CONNECTED: the destination is the neighbour
		if (family == 4) {
			c->c4m[c->nc4] = m;
			c->c4key[c->nc4] = rte_cpu_to_be_32(*(const uint32_t *)dst);
			c->c4nh[c->nc4++] = nh;
		} else {
			c->c6m[c->nc6] = m;
			c->c6key[c->nc6] = dst;
			c->c6nh[c->nc6++] = nh;
		}
		break;
	}
}

// The common case, decided with one test per condition and no switch: a resolved next hop,
// a unicast frame, a TTL / hop limit that survives and (IPv6) a source that may leave its
// link. Returns false for anything else, which dispatch() then handles (and whose checks
// this merely repeats in a cheaper order: same outcome either way).
static inline bool forward_plain(struct dp_ctx *c, struct rte_mbuf *m, uint32_t nh,
				 uint8_t family)
{
	const struct slot *s = c->s;
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t l2;
	bool ok;

	// FIB_NH_MISS (UINT32_MAX) is never below nh_capacity (at most FIB_NH_MAX).
	if (unlikely(nh >= s->nh_capacity))
		return false;
	l2 = atomic_load_explicit(&s->nh[nh].l2, memory_order_relaxed);
	// Bitwise & on 0/1 values on purpose: fewer branches on the common path.
	ok = (unsigned)(nh_l2_kind(l2) == NH_FORWARD) & (unsigned)(nh_l2_port(l2) < MOLT_MAX_PORTS) &
	     (unsigned)((frame[0] & 1) == 0); // I/G bit of the destination MAC
	if (family == 4) {
		ok &= dp_ip4(m)->time_to_live > 1;
	} else {
		const struct rte_ipv6_hdr *ip6 = dp_ip6(m);

		ok &= (unsigned)(ip6->hop_limits > 1) &
		      (unsigned)!(ip6->src_addr[0] == 0xfe && (ip6->src_addr[1] & 0xc0) == 0x80);
	}
	if (unlikely(!ok))
		return false;
	dp_forward(c, m, family, l2);
	return true;
}

static inline void dispatch_miss(struct dp_ctx *c, struct rte_mbuf *m, uint8_t family)
{
	c->ctr->drops[MOLT_DROP_NO_ROUTE]++;
	icmp_error(c, m, PUNT_UNREACHABLE, family);
}

// IPv4's common case with everything it reads per packet hoisted out of the loop: stores into
// packet data may alias any memory as far as the compiler knows, so fields read through c or s
// would be reloaded after every rewrite. The test is forward_plain's; the tx port mask is
// kept in a register and stored once. `wide`: next hops are lookup_bulk64's uint64_t words
// (read as the engine wrote them) rather than uint32_t; a compile-time constant at each call.
static __rte_always_inline void nh_dispatch4_body(struct dp_ctx *c, const void *nhv, bool wide)
{
	const struct molt_nh *nht = c->s->nh;
	const uint64_t cap = c->s->nh_capacity;
	const struct dp_port *ports = molt_dp.ports;
	struct dp_txbuf *tx = c->ws->tx;
	struct rte_mbuf **m4 = c->m4;
	const uint16_t n4 = c->n4;
	uint32_t dirty = 0;

	for (uint16_t i = 0; i < n4; i++) {
		struct rte_mbuf *m = m4[i];
		uint64_t nh = wide ? ((const uint64_t *)nhv)[i] : ((const uint32_t *)nhv)[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
		struct rte_ipv4_hdr *ip =
			(struct rte_ipv4_hdr *)(frame + sizeof(struct rte_ether_hdr));
		uint32_t nh32;

		// Both miss values (FIB_NH_MISS, FIB_NH_MISS64) are at least nh_capacity (at most
		// FIB_NH_MAX).
		if (likely(nh < cap)) {
			uint64_t l2 = atomic_load_explicit(&nht[nh].l2, memory_order_relaxed);
			uint16_t out = nh_l2_port(l2);
			// Resolved and out < MOLT_MAX_PORTS (32 = 1 << 5) in one test.
			unsigned ok = (unsigned)nh_l2_forward_below(l2, 5) &
				      (unsigned)((frame[0] & 1) == 0) &
				      (unsigned)(ip->time_to_live > 1);

			static_assert(MOLT_MAX_PORTS == 1 << 5, "nh_l2_forward_below(l2, 5)");
			if (likely(ok)) {
				struct dp_txbuf *b = &tx[out];

				ip4_ttl_decrement(ip);
				eth_rewrite_l2_at(frame, l2, &ports[out].mac);
				b->pkts[b->n++] = m;
				b->bytes += rte_pktmbuf_pkt_len(m);
				dirty |= UINT32_C(1) << out;
				continue;
			}
		}
		// dispatch() takes the 32-bit form: a wide miss becomes FIB_NH_MISS, and anything
		// else out of range stays out of range.
		nh32 = (uint32_t)nh;
		if (wide && unlikely(nh >= FIB_NH_MAX))
			nh32 = nh == FIB_NH_MISS64 ? FIB_NH_MISS : FIB_NH_MAX;
		if (unlikely(nh32 == FIB_NH_MISS)) {
			dispatch_miss(c, m, 4);
			continue;
		}
		dispatch(c, m, nh32, 4, &c->dst4[i]);
	}
	c->ws->tx_dirty |= dirty;
}

static void nh_dispatch4(struct dp_ctx *c)
{
	if (c->nh4_wide)
		nh_dispatch4_body(c, c->nh4w, true);
	else
		nh_dispatch4_body(c, c->nh4, false);
}

void nh_dispatch(struct dp_ctx *c)
{
	if (c->n4 > 0)
		nh_dispatch4(c);
	for (uint16_t i = 0; i < c->n6; i++) {
		if (likely(forward_plain(c, c->m6[i], c->nh6[i], 6)))
			continue;
		if (unlikely(c->nh6[i] == FIB_NH_MISS)) {
			dispatch_miss(c, c->m6[i], 6);
			continue;
		}
		dispatch(c, c->m6[i], c->nh6[i], 6, c->dst6[i]);
	}
}
