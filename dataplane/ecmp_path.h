// SPDX-License-Identifier: BSD-3-Clause
// The path a flow takes through a slot's next-hop group: what a worker computes for every
// packet of a multipath route, and what route.lookup computes for a flow it is asked about
// (the same functions, so the two cannot disagree). Nothing here allocates, locks or calls
// into the system.
#pragma once

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/ecmp.h"
#include "dataplane/slot.h"

#define ECMP_IP6_FRAGMENT 44 // next header: IPv6 fragment header

// The flow of the IPv4 or IPv6 packet at l3, of which avail bytes were received; its header has
// passed the input checks (version, IHL within avail). Ports are read only when the packet is
// not a fragment, its protocol has them and they were received: otherwise the 3-tuple.
// IPv6 extension headers are not walked, but for a fragment header, whose next header is the
// flow's protocol (every fragment, the first included, hashes on the 3-tuple).
static inline void ecmp_flow_of(const uint8_t *l3, uint32_t avail, uint8_t family,
				struct ecmp_flow *f)
{
	uint32_t off;

	f->family = family;
	f->ports = false;
	if (family == 4) {
		uint16_t frag;

		memcpy(f->src, l3 + 12, 4);
		memcpy(f->dst, l3 + 16, 4);
		f->proto = l3[9];
		memcpy(&frag, l3 + 6, 2);
		off = (uint32_t)(l3[0] & 0xf) * 4;
		// More fragments, or an offset: a fragment.
		if ((rte_be_to_cpu_16(frag) & 0x3fff) != 0)
			return;
	} else {
		memcpy(f->src, l3 + 8, 16);
		memcpy(f->dst, l3 + 24, 16);
		f->proto = l3[6];
		off = 40;
		if (f->proto == ECMP_IP6_FRAGMENT) {
			if (avail >= 40 + 8)
				f->proto = l3[40];
			return;
		}
	}
	if (ecmp_proto_has_ports(f->proto) && avail >= off + 4) {
		uint16_t p[2];

		memcpy(p, l3 + off, 4);
		f->sport = rte_be_to_cpu_16(p[0]);
		f->dport = rte_be_to_cpu_16(p[1]);
		f->ports = true;
	}
}

// The flow route.lookup is asked about, as ecmp_flow_of would read it from the flow's packets
// (not fragmented): addresses in network order, ports in host order.
static inline void ecmp_flow_make(uint8_t family, const uint8_t *src, const uint8_t *dst,
				  uint8_t proto, uint16_t sport, uint16_t dport,
				  struct ecmp_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->proto = proto;
	memcpy(f->src, src, family == 4 ? 4 : 16);
	memcpy(f->dst, dst, family == 4 ? 4 : 16);
	f->ports = ecmp_proto_has_ports(proto);
	if (f->ports) {
		f->sport = sport;
		f->dport = dport;
	}
}

// Whether a path's next hop may be used now: its neighbour resolved and its port up (down:
// the mask of ports whose link is down, molt_dp.ports_down).
static inline bool ecmp_nh_usable(const struct slot *s, uint32_t nh, uint32_t down)
{
	uint64_t l2;
	uint16_t port;

	if (unlikely(nh >= s->nh_capacity))
		return false;
	l2 = atomic_load_explicit(&s->nh[nh].l2, memory_order_relaxed);
	port = nh_l2_port(l2);
	return nh_l2_kind(l2) == NH_FORWARD && (port >= 32 || ((down >> port) & 1) == 0);
}

// The path (index in g) of the flow with hash h: its own bucket's path when usable, else the
// next usable one in the table (ecmp_pick); *usable says which. When no path is usable, the
// flow's own path among those the slot placed (*usable false: the caller resolves it as it
// would a single next hop). -1 only for a group with no placed path or a damaged table.
static inline int ecmp_path(const struct slot *s, const struct molt_nh_group *g, uint32_t h,
			    uint32_t down, bool *usable)
{
	uint32_t n = g->n_buckets, n_paths = g->n_paths, mask = 0;
	uint8_t own;
	int p;

	*usable = false;
	if (unlikely(n == 0 || n > ECMP_MAX_BUCKETS || n_paths == 0 || n_paths > MOLT_MAX_PATHS))
		return -1;
	own = g->buckets[h % n];
	if (likely(own < n_paths && ecmp_nh_usable(s, g->path_nh[own], down))) {
		*usable = true;
		return own;
	}
	for (uint32_t i = 0; i < n_paths; i++)
		if (ecmp_nh_usable(s, g->path_nh[i], down))
			mask |= 1u << i;
	p = ecmp_pick(g->buckets, n, mask, h);
	if (p >= 0 && (uint32_t)p < n_paths) {
		*usable = true;
		return p;
	}
	p = ecmp_pick(g->buckets, n, g->planned & ((1u << n_paths) - 1), h);
	return p >= 0 && (uint32_t)p < n_paths ? p : -1;
}
