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

// IPv4 next hops not taken by nh_dispatch4_body's common case: misses, punts, drops and
// on-link destinations. None of these is forwarded before neigh_lookup, so handling them after
// the loop reorders nothing that leaves the router.
static __rte_noinline void nh_dispatch4_rest(struct dp_ctx *c, const void *nhv, bool wide,
					     const uint8_t *idx, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		unsigned i = idx[j];
		uint64_t nh = wide ? ((const uint64_t *)nhv)[i] : ((const uint32_t *)nhv)[i];
		// dispatch() takes the 32-bit form: a wide miss becomes FIB_NH_MISS, and anything
		// else out of range stays out of range.
		uint32_t nh32 = (uint32_t)nh;

		if (wide && unlikely(nh >= FIB_NH_MAX))
			nh32 = nh == FIB_NH_MISS64 ? FIB_NH_MISS : FIB_NH_MAX;
		if (nh32 == FIB_NH_MISS)
			dispatch_miss(c, c->m4[i], 4);
		else
			dispatch(c, c->m4[i], nh32, 4, &c->dst4[i]);
	}
}

// IPv4's common case with everything it reads per packet hoisted out of the loop: stores into
// packet data may alias any memory as far as the compiler knows, so fields read through c or s
// would be reloaded after every rewrite. The test is forward_plain's, folded into one word that
// is zero only when every condition holds (one branch); anything else is noted and left to
// nh_dispatch4_rest, which keeps this loop small enough to live in registers. `wide`: next hops
// are lookup_bulk64's uint64_t words (read as the engine wrote them) rather than uint32_t; a
// compile-time constant at each call.
static __rte_always_inline void nh_dispatch4_body(struct dp_ctx *c, const void *nhv, bool wide)
{
	const struct molt_nh *nht = c->s->nh;
	const uint64_t cap = c->s->nh_capacity;
	const struct dp_port *ports = molt_dp.ports;
	struct dp_wstate *ws = c->ws;
	struct rte_mbuf **m4 = c->m4;
	const unsigned n4 = c->n4;
	uint8_t rest[MOLT_BURST];
	unsigned n_rest = 0;
	uint32_t dirty = 0;

	static_assert(sizeof(struct dp_port) == 32, "ports[] indexed by a shift");
	static_assert(MOLT_MAX_PORTS == 1 << 5, "the port test below");
	static_assert(MOLT_BURST <= 256, "rest[] holds uint8_t indices");
	for (unsigned i = 0; i < n4; i++) {
		struct rte_mbuf *m = m4[i];
		uint64_t nh = wide ? ((const uint64_t *)nhv)[i] : ((const uint32_t *)nhv)[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
		struct rte_ipv4_hdr *ip =
			(struct rte_ipv4_hdr *)(frame + sizeof(struct rte_ether_hdr));
		uint64_t l2;
		uint32_t top, bad, out;
		uint16_t k;

		// Both miss values (FIB_NH_MISS, FIB_NH_MISS64) are at least nh_capacity (at most
		// FIB_NH_MAX).
		if (unlikely(nh >= cap)) {
			rest[n_rest++] = (uint8_t)i;
			continue;
		}
		l2 = atomic_load_explicit(&nht[nh].l2, memory_order_relaxed);
		top = (uint32_t)(l2 >> NH_L2_PORT_SHIFT);	// kind, port
		// Zero only for: resolved with a port below MOLT_MAX_PORTS, a unicast destination
		// MAC (I/G bit clear) and a TTL above 1 (ttl - 2 is negative for 0 and 1 only).
		bad = ((top & ~(uint32_t)(MOLT_MAX_PORTS - 1)) ^
		       ((uint32_t)NH_FORWARD << (NH_L2_KIND_SHIFT - NH_L2_PORT_SHIFT))) |
		      (uint32_t)(frame[0] & 1) | (((uint32_t)ip->time_to_live - 2) >> 31);
		if (unlikely(bad != 0)) {
			rest[n_rest++] = (uint8_t)i;
			continue;
		}
		out = top & (MOLT_MAX_PORTS - 1);
		ip4_ttl_decrement(ip);
		eth_rewrite_l2_at(frame, l2, &ports[out].mac);
		k = ws->tx_n[out];
		ws->tx_pkts[out][k] = m;
		ws->tx_n[out] = (uint16_t)(k + 1);
		ws->tx_bytes[out] += rte_pktmbuf_pkt_len(m);
		dirty |= UINT32_C(1) << out;
	}
	ws->tx_dirty |= dirty;
	if (unlikely(n_rest > 0))
		nh_dispatch4_rest(c, nhv, wide, rest, n_rest);
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
