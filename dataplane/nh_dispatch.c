// SPDX-License-Identifier: BSD-3-Clause
// Acts on each looked-up next hop: forward (TTL / hop limit, rewrite, tx), punt for ICMP
// errors, resolution or local delivery, drop, or defer on-link destinations to neigh_lookup.
// dispatch() is family-neutral (per family only the TTL test and decrement, and IPv6's
// link-local source check), and so is the common case's loop (nh_dispatch_body), compiled once
// per family.
#include "dataplane/dp_priv.h"
#include "dataplane/ecmp_path.h"

// RFC 1812 5.3.4: a frame received as a link-layer broadcast/multicast is not forwarded, and
// 4.3.2.7: no ICMP error is sent about it either.
static inline bool l2_multicast(struct rte_mbuf *m)
{
	return rte_is_multicast_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
}

// Whether an IPv6 address is link-local, fe80::/10 (RFC 4291 2.5.6: it never leaves its link).
static inline uint32_t ip6_link_local(const uint8_t *a)
{
	uint16_t be;

	memcpy(&be, a, sizeof(be));
	return (uint32_t)((rte_be_to_cpu_16(be) & 0xffc0) == 0xfe80);
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

// The path a packet of a multipath route takes (ecmp_path.h): its next hop into *nh and that
// next hop's word, its counters into *pc. Out of line: the common case never comes here.
static __rte_noinline uint64_t group_path(struct dp_ctx *c, struct rte_mbuf *m, uint8_t family,
					  uint64_t l2, uint32_t *nh, struct ecmp_path_ctr **pc)
{
	const struct slot *s = c->s;
	const uint64_t drop = nh_l2_make(NH_DROP, 0, NULL);
	uint32_t gi = nh_l2_group(l2), avail;
	const struct molt_nh_group *g;
	struct ecmp_flow f;
	bool usable;
	int p;

	if (unlikely(gi >= s->grp_capacity))
		return drop;
	g = &s->grp[gi];
	avail = rte_pktmbuf_data_len(m) - (uint32_t)sizeof(struct rte_ether_hdr);
	ecmp_flow_of(rte_pktmbuf_mtod_offset(m, const uint8_t *, sizeof(struct rte_ether_hdr)),
		     avail, family, &f);
	p = ecmp_path(s, g, ecmp_flow_hash(&f),
		      atomic_load_explicit(&molt_dp.ports_down, memory_order_relaxed), &usable);
	if (unlikely(p < 0 || g->path_nh[p] >= s->nh_capacity))
		return drop;
	*nh = g->path_nh[p];
	*pc = &molt_ecmp_ctr[c->w->worker_id][g->ctr < ECMP_CTR_ROWS ? g->ctr : 0][p];
	return atomic_load_explicit(&s->nh[*nh].l2, memory_order_relaxed);
}

static inline void dispatch(struct dp_ctx *c, struct rte_mbuf *m, uint32_t nh, uint8_t family,
			    const void *dst)
{
	const struct slot *s = c->s;
	struct ecmp_path_ctr *pc = NULL;
	uint64_t l2;

	// A FIB that has been tampered with must not make us read past the next-hop table.
	if (unlikely(nh >= s->nh_capacity)) {
		c->ctr->drops[MOLT_DROP_NO_ROUTE]++;
		icmp_error(c, m, PUNT_UNREACHABLE, family);
		return;
	}
	l2 = atomic_load_explicit(&s->nh[nh].l2, memory_order_relaxed);
	// A group's path is a gateway next hop: resolved (forward) or not (punt to resolve).
	if (nh_l2_kind(l2) == NH_GROUP) {
		l2 = group_path(c, m, family, l2, &nh, &pc);
		if (nh_l2_kind(l2) != NH_FORWARD && nh_l2_kind(l2) != NH_UNRESOLVED)
			l2 = nh_l2_make(NH_DROP, 0, NULL);
	}
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
	// A link-local source must not leave its link.
	if (family == 6 && unlikely(ip6_link_local(dp_ip6(m)->src_addr))) {
		dp_drop(c, m, MOLT_DROP_NOT_FORWARDABLE);
		return;
	}
	// Checked before resolution too, so held packets never need it (control decrements).
	if (unlikely(ttl_expires(m, family))) {
		c->ctr->drops[MOLT_DROP_TTL_EXCEEDED]++;
		icmp_error(c, m, PUNT_TTL_EXCEEDED, family);
		return;
	}

	if (pc != NULL) {
		pc->packets++;
		pc->bytes += rte_pktmbuf_pkt_len(m);
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

static inline void dispatch_miss(struct dp_ctx *c, struct rte_mbuf *m, uint8_t family)
{
	c->ctr->drops[MOLT_DROP_NO_ROUTE]++;
	icmp_error(c, m, PUNT_UNREACHABLE, family);
}

// The family's part of the common-case test: true when the TTL / hop limit does not survive
// forwarding or, for IPv6, the source is in fe80::/10.
static __rte_always_inline bool l3_not_plain(uint8_t family, const void *l3)
{
	const struct rte_ipv6_hdr *ip6 = l3;

	if (family == 4)
		return ((const struct rte_ipv4_hdr *)l3)->time_to_live <= 1;
	return ip6->hop_limits <= 1 || ip6_link_local(ip6->src_addr);
}

// What the common case needs of each egress port, gathered into locals once per burst (so the
// loop addresses them off the stack with no further pointer): the word that turns a next
// hop's l2 word into the frame's first 8 bytes (its low 48 bits are the destination MAC; the
// xor replaces the kind and port above them with the source MAC's first two bytes), the
// source MAC's last four bytes, where the port's tx buffer goes on, and the bytes queued.
struct plain_ports {
	uint64_t l2x[MOLT_MAX_PORTS];
	uint32_t src_hi[MOLT_MAX_PORTS];
	uint32_t bytes[MOLT_MAX_PORTS];
	struct rte_mbuf **tail[MOLT_MAX_PORTS];
};

static __rte_always_inline void plain_ports_init(struct plain_ports *pp, struct dp_wstate *ws,
						 unsigned np)
{
	for (unsigned p = 0; p < np; p++) {
		const uint8_t *mac = molt_dp.ports[p].mac.addr_bytes;
		uint16_t s01;

		memcpy(&s01, mac, sizeof(s01));
		memcpy(&pp->src_hi[p], mac + 2, sizeof(pp->src_hi[p]));
		pp->l2x[p] = (uint64_t)((NH_L2_FORWARD_TOP + p) ^ s01) << NH_L2_PORT_SHIFT;
		pp->bytes[p] = 0;
		pp->tail[p] = &ws->tx_pkts[p][ws->tx_n[p]];
	}
}

static __rte_always_inline void plain_ports_done(const struct plain_ports *pp, struct dp_wstate *ws,
						 unsigned np)
{
	for (unsigned p = 0; p < np; p++) {
		ws->tx_n[p] = (uint16_t)(pp->tail[p] - ws->tx_pkts[p]);
		ws->tx_bytes[p] += pp->bytes[p];
	}
}

// Rewrites both MACs of a frame whose next hop is resolved on port out (the TTL is already
// decremented) and queues it on the port's tx buffer.
static __rte_always_inline void queue_plain(struct plain_ports *pp, struct rte_mbuf *m,
					    uint8_t *frame, uint64_t l2, unsigned out)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	// The 8-byte store spans the destination MAC and half of the source MAC.
	uint64_t lo = l2 ^ pp->l2x[out];

	memcpy(frame, &lo, sizeof(lo));
	memcpy(frame + 8, &pp->src_hi[out], sizeof(pp->src_hi[out]));
#else
	eth_rewrite_l2_at(frame, l2, &molt_dp.ports[out].mac);
#endif
	*pp->tail[out]++ = m;
	pp->bytes[out] += rte_pktmbuf_pkt_len(m);
}

// The next hops nh_dispatch_body's common case did not take (idx[0..n), in burst order):
// misses, punts, drops and on-link destinations. None of these is forwarded before
// neigh_lookup, so handling them after the loop reorders nothing that leaves the router.
static __rte_always_inline void dispatch_rest(struct dp_ctx *c, uint8_t family, const void *nhv,
					      bool wide, const uint8_t *idx, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		unsigned i = idx[j];
		uint64_t nh = wide ? ((const uint64_t *)nhv)[i] : ((const uint32_t *)nhv)[i];
		struct rte_mbuf *m = family == 4 ? c->m4[i] : c->m6[i];
		const void *dst = family == 4 ? (const void *)&c->dst4[i] : c->dst6[i];
		// dispatch() takes the 32-bit form: a wide miss becomes FIB_NH_MISS, and anything
		// else out of range stays out of range.
		uint32_t nh32 = (uint32_t)nh;

		if (wide && unlikely(nh >= FIB_NH_MAX))
			nh32 = nh == FIB_NH_MISS64 ? FIB_NH_MISS : FIB_NH_MAX;
		if (nh32 == FIB_NH_MISS)
			dispatch_miss(c, m, family);
		else
			dispatch(c, m, nh32, family, dst);
	}
}

// dispatch_rest out of line, once per family, so that the common-case loop stays small enough
// to live in registers.
static __rte_noinline void nh_dispatch4_rest(struct dp_ctx *c, const void *nhv, bool wide,
					     const uint8_t *idx, unsigned n)
{
	dispatch_rest(c, 4, nhv, wide, idx, n);
}

static __rte_noinline void nh_dispatch6_rest(struct dp_ctx *c, const uint8_t *idx, unsigned n)
{
	dispatch_rest(c, 6, c->nh6, false, idx, n);
}

// One family's next hops, with everything the common case reads per packet hoisted out of the
// loop: stores into packet data may alias any memory as far as the compiler knows, so fields
// read through c or s would be reloaded after every rewrite. The common case is dispatch()'s
// path to dp_forward: a resolved next hop on a port that exists, a unicast destination MAC and
// not l3_not_plain. Anything else is noted and left to dispatch_rest. `family`, `wide` (next
// hops are lookup_bulk64's uint64_t words, read as the engine wrote them, rather than
// uint32_t) and `unicast` (every frame is known to be sent to our MAC: the fast pass took the
// whole burst) are compile-time constants at each call.
static __rte_always_inline void nh_dispatch_body(struct dp_ctx *c, uint8_t family, const void *nhv,
						 bool wide, bool unicast)
{
	const struct molt_nh *nht = c->s->nh;
	const uint64_t cap = c->s->nh_capacity;
	const unsigned np = RTE_MIN(molt_dp.nb_ports, MOLT_MAX_PORTS);
	struct dp_wstate *ws = c->ws;
	struct rte_mbuf **pkts = family == 4 ? c->m4 : c->m6;
	const unsigned n = family == 4 ? c->n4 : c->n6;
	struct plain_ports pp;
	uint8_t rest[MOLT_BURST];
	unsigned n_rest = 0;

	static_assert(MOLT_BURST <= 256, "rest[] holds uint8_t indices");
	plain_ports_init(&pp, ws, np);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t nh = wide ? ((const uint64_t *)nhv)[i] : ((const uint32_t *)nhv)[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
		void *l3 = frame + sizeof(struct rte_ether_hdr);
		uint64_t l2;
		unsigned out;

		// A branch per test: none is taken in the common case, and they cost fewer
		// instructions than folding the tests into one word. Both miss values
		// (FIB_NH_MISS, FIB_NH_MISS64) are at least nh_capacity (at most FIB_NH_MAX).
		if (unlikely(nh >= cap))
			goto rest;
		l2 = atomic_load_explicit(&nht[nh].l2, memory_order_relaxed);
		// Kind and port are the word's top bits: a resolved next hop on port p has
		// NH_L2_FORWARD_TOP + p there, and anything else leaves out >= np.
		out = (unsigned)(l2 >> NH_L2_PORT_SHIFT) - NH_L2_FORWARD_TOP;
		if (unlikely(out >= np))
			goto rest;
		// Sent to a group address (I/G bit): not forwarded.
		if (!unicast && unlikely(frame[0] & 1))
			goto rest;
		if (unlikely(l3_not_plain(family, l3)))
			goto rest;
		if (family == 4)
			ip4_ttl_decrement(l3);
		else
			ip6_hop_decrement(l3);
		queue_plain(&pp, m, frame, l2, out);
		continue;
rest:
		rest[n_rest++] = (uint8_t)i;
	}
	plain_ports_done(&pp, ws, np);
	if (unlikely(n_rest > 0)) {
		if (family == 4)
			nh_dispatch4_rest(c, nhv, wide, rest, n_rest);
		else
			nh_dispatch6_rest(c, rest, n_rest);
	}
}

static void nh_dispatch4(struct dp_ctx *c)
{
	if (c->nh4_wide) {
		if (c->m4_fast)
			nh_dispatch_body(c, 4, c->nh4w, true, true);
		else
			nh_dispatch_body(c, 4, c->nh4w, true, false);
	} else {
		if (c->m4_fast)
			nh_dispatch_body(c, 4, c->nh4, false, true);
		else
			nh_dispatch_body(c, 4, c->nh4, false, false);
	}
}

static void nh_dispatch6(struct dp_ctx *c)
{
	nh_dispatch_body(c, 6, c->nh6, false, false);
}

void nh_dispatch(struct dp_ctx *c)
{
	if (c->n4 > 0)
		nh_dispatch4(c);
	if (c->n6 > 0)
		nh_dispatch6(c);
}
