// SPDX-License-Identifier: BSD-3-Clause
// IPv6 neighbour discovery (RFC 4861) on the control thread: answer NS for our addresses
// (global and link-local, DAD included), learn from NS and NA, send NS. Router solicitations,
// advertisements and redirects are not for a router without SLAAC: they are dropped.
#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "control/host/icmp.h"
#include "control/host/inject.h"
#include "control/host/router.h"
#include "control/neigh/nd.h"
#include "control/neigh/neigh.h"
#include "control/neigh/neigh_table.h"

#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_HOP_LIMIT 255 // RFC 4861 7.1: anything else crossed a router, so is forged
#define NA_FLAG_ROUTER 0x80
#define NA_FLAG_SOLICITED 0x40
#define NA_FLAG_OVERRIDE 0x20

// NS and NA share one layout: type, code, checksum, flags + reserved, target, options.
struct nd_msg {
	uint8_t type;
	uint8_t code;
	rte_be16_t cksum;
	uint8_t flags;
	uint8_t reserved[3];
	uint8_t target[16];
} __rte_packed;

struct nd_lla_opt {
	uint8_t type;
	uint8_t len; // in 8-byte units
	uint8_t mac[RTE_ETHER_ADDR_LEN];
} __rte_packed;

#define ND_LEN (sizeof(struct nd_msg) + sizeof(struct nd_lla_opt)) // 32

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

// RFC 2464 7: 33:33 followed by the last four bytes of the group address.
static void mcast_mac(const uint8_t ip[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], ip + 12, 4);
}

static void solicited_node(const uint8_t target[16], uint8_t ip[16], struct rte_ether_addr *mac)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(ip, prefix, sizeof(prefix));
	memcpy(ip + 13, target + 13, 3);
	mcast_mac(ip, mac);
}

// Builds an NS or NA with our MAC in a link-layer address option and sends it on port.
static int nd_send(uint16_t port, uint8_t type, uint8_t flags, const uint8_t target[16],
		   const uint8_t src[16], const uint8_t dst[16],
		   const struct rte_ether_addr *eth_dst)
{
	struct rte_mbuf *m = inject_alloc();
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;
	struct nd_msg *nd;
	struct nd_lla_opt *opt;

	if (m == NULL)
		return -ENOMEM;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ip) + ND_LEN);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	ip = (struct rte_ipv6_hdr *)(eh + 1);
	nd = (struct nd_msg *)(ip + 1);
	opt = (struct nd_lla_opt *)(nd + 1);
	rte_ether_addr_copy(eth_dst, &eh->dst_addr);
	rte_ether_addr_copy(router_mac(port), &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(ND_LEN);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = ND_HOP_LIMIT;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->flags = flags;
	memcpy(nd->target, target, 16);
	opt->type = type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
	opt->len = 1;
	memcpy(opt->mac, router_mac(port), RTE_ETHER_ADDR_LEN);
	nd->cksum = icmp6_cksum(ip, nd, ND_LEN);
	inject_tx(port, m);
	return 0;
}

int nd_send_ns(uint16_t port, const uint8_t ip[16], const struct rte_ether_addr *dst)
{
	struct rte_ether_addr eth_dst;
	uint8_t src[16], ip_dst[16];

	if (router_src6(port, ip, src) < 0)
		return -EADDRNOTAVAIL;
	// Probing a known neighbour goes unicast (RFC 4861 7.3.3); resolving goes to the
	// solicited-node group, which only the target's listeners receive.
	if (dst != NULL) {
		memcpy(ip_dst, ip, 16);
		rte_ether_addr_copy(dst, &eth_dst);
	} else {
		solicited_node(ip, ip_dst, &eth_dst);
	}
	return nd_send(port, ND_NS, 0, ip, src, ip_dst, &eth_dst);
}

// Finds the link-layer address option of type want in the options after msg (len bytes from
// msg): *lla is buf holding it, or NULL without one. -EINVAL for a malformed list (RFC 4861
// 7.1.1: an option of length 0 voids the message).
static int nd_find_lla(const struct nd_msg *msg, uint32_t len, uint8_t want,
		       struct rte_ether_addr *buf, struct rte_ether_addr **lla)
{
	const uint8_t *opt = (const uint8_t *)(msg + 1);

	*lla = NULL;
	for (len -= sizeof(*msg); len >= 2;) {
		uint32_t olen = opt[1] * 8u;

		if (olen == 0 || olen > len)
			return -EINVAL;
		if (opt[0] == want && olen >= sizeof(struct nd_lla_opt)) {
			memcpy(buf, ((const struct nd_lla_opt *)opt)->mac, RTE_ETHER_ADDR_LEN);
			*lla = buf;
		}
		opt += olen;
		len -= olen;
	}
	return 0;
}

static void nd_input_ns(const struct rte_ether_hdr *eh, const struct rte_ipv6_hdr *ip,
			const struct nd_msg *ns, uint32_t len, uint16_t in_port)
{
	struct rte_ether_addr eth_dst, slla_buf, *slla;
	uint8_t flags = NA_FLAG_ROUTER | NA_FLAG_OVERRIDE;
	bool dad = ip6_is_unspecified(ip->src_addr);

	if (nd_find_lla(ns, len, ND_OPT_SLLA, &slla_buf, &slla) < 0)
		return;
	// RFC 4861 7.1.1: DAD comes from :: without a source link-layer option.
	if (ip6_is_multicast(ns->target) || ip6_is_multicast(ip->src_addr) || (dad && slla != NULL))
		return;
	if (!router_is_addr6_port(in_port, ns->target))
		return;
	if (!dad && slla != NULL && rte_is_unicast_ether_addr(slla)) {
		struct neigh_entry *e = neigh_get(6, ip->src_addr, in_port);

		if (e != NULL && e->state != NEIGH_STATIC)
			neigh_update(e, slla, NEIGH_REACHABLE);
	}
	// RFC 4861 7.2.4: a DAD probe is answered to all nodes and is not "solicited".
	if (dad) {
		mcast_mac(all_nodes, &eth_dst);
		nd_send(in_port, ND_NA, flags, ns->target, ns->target, all_nodes, &eth_dst);
		return;
	}
	rte_ether_addr_copy(slla != NULL ? slla : &eh->src_addr, &eth_dst);
	nd_send(in_port, ND_NA, flags | NA_FLAG_SOLICITED, ns->target, ns->target, ip->src_addr,
		&eth_dst);
}

static void nd_input_na(const struct rte_ipv6_hdr *ip, const struct nd_msg *na, uint32_t len,
			uint16_t in_port)
{
	struct rte_ether_addr tlla_buf, *tlla;
	struct neigh_entry *e;
	bool solicited = na->flags & NA_FLAG_SOLICITED, override = na->flags & NA_FLAG_OVERRIDE;

	if (nd_find_lla(na, len, ND_OPT_TLLA, &tlla_buf, &tlla) < 0)
		return;
	// RFC 4861 7.1.2.
	if (ip6_is_multicast(na->target) || (ip6_is_multicast(ip->dst_addr) && solicited))
		return;
	if (tlla != NULL && !rte_is_unicast_ether_addr(tlla))
		return;
	// Only entries that exist learn from an NA (RFC 4861 7.2.5).
	e = neigh_find(6, na->target, in_port);
	if (e == NULL || e->state == NEIGH_STATIC)
		return;
	if (e->state == NEIGH_INCOMPLETE || e->state == NEIGH_FAILED) {
		if (tlla != NULL)
			neigh_update(e, tlla, solicited ? NEIGH_REACHABLE : NEIGH_STALE);
		return;
	}
	if (tlla != NULL && !rte_is_same_ether_addr(tlla, &e->mac)) {
		// Without override a different address does not replace the one we have.
		if (override)
			neigh_update(e, tlla, solicited ? NEIGH_REACHABLE : NEIGH_STALE);
		return;
	}
	if (solicited)
		neigh_update(e, &e->mac, NEIGH_REACHABLE);
}

void neigh_input_nd(struct rte_mbuf *m, uint16_t in_port)
{
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;
	struct nd_msg *nd;
	uint32_t plen;

	if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) < 0)
		goto out;
	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ip) + sizeof(*nd) ||
	    in_port >= MOLT_MAX_PORTS)
		goto out;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv6_hdr *)(eh + 1);
	nd = (struct nd_msg *)(ip + 1);
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) ||
	    ip->proto != IPPROTO_ICMPV6 || ip->hop_limits != ND_HOP_LIMIT || plen < sizeof(*nd) ||
	    sizeof(*eh) + sizeof(*ip) + plen > rte_pktmbuf_data_len(m))
		goto out;
	if ((nd->type != ND_NS && nd->type != ND_NA) || nd->code != 0)
		goto out;
	if (icmp6_cksum(ip, nd, plen) != 0)
		goto out;
	if (nd->type == ND_NS)
		nd_input_ns(eh, ip, nd, plen, in_port);
	else
		nd_input_na(ip, nd, plen, in_port);
out:
	rte_pktmbuf_free(m);
}
