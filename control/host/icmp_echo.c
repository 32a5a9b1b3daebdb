// SPDX-License-Identifier: BSD-3-Clause
// ICMP / ICMPv6 echo replies, built in place: the request's buffer becomes the reply.
#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "control/host/icmp.h"
#include "control/host/icmp_echo.h"
#include "control/host/router.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ECHO_REPLY_TTL 64

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

// The reply goes back where the request came from: our port MAC to the sender's MAC.
static void swap_macs(struct rte_ether_hdr *eh, uint16_t in_port)
{
	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(router_mac(in_port), &eh->src_addr);
}

static int echo4(struct rte_mbuf *m, uint16_t in_port)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	uint32_t avail = rte_pktmbuf_data_len(m) - sizeof(*eh), ihl, tot, tmp;
	struct rte_icmp_hdr *ic;
	uint16_t frag;

	if (avail < sizeof(*ip))
		return -EINVAL;
	ihl = rte_ipv4_hdr_len(ip);
	tot = rte_be_to_cpu_16(ip->total_length);
	if (ihl < sizeof(*ip) || tot > avail || tot < ihl + sizeof(*ic))
		return -EINVAL;
	// A fragment is not reassembled here: no reply (the sender sees a timeout, as with a
	// host that drops fragments).
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (ip->next_proto_id != IPPROTO_ICMP ||
	    (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return -EPERM;
	ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		return -EPERM;
	if (!router_is_addr4((const uint8_t *)&ip->dst_addr))
		return -EPERM;
	if (!router_ip4_src_unicast((const uint8_t *)&ip->src_addr))
		return -EPERM;
	if (rte_raw_cksum(ic, tot - ihl) != 0xffff)
		return -EINVAL;

	// Drop the Ethernet padding so that the reply carries exactly the request's datagram.
	rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = ECHO_REPLY_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, tot - ihl);
	swap_macs(eh, in_port);
	return 0;
}

static int echo6(struct rte_mbuf *m, uint16_t in_port)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);
	uint32_t avail = rte_pktmbuf_data_len(m) - sizeof(*eh), plen;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	uint8_t src[16];

	if (avail < sizeof(*ip))
		return -EINVAL;
	plen = rte_be_to_cpu_16(ip->payload_len);
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || sizeof(*ip) + plen > avail)
		return -EINVAL;
	// Echo behind extension headers is not answered: no molt sender needs it.
	if (ip->proto != IPPROTO_ICMPV6 || plen < sizeof(*ic))
		return -EPERM;
	if (ic->icmp_type != ICMP6_ECHO_REQUEST || ic->icmp_code != 0)
		return -EPERM;
	if (memcmp(ip->dst_addr, all_nodes, 16) != 0 && !router_is_addr6(in_port, ip->dst_addr))
		return -EPERM;
	if (ip6_is_multicast(ip->src_addr) || ip6_is_unspecified(ip->src_addr))
		return -EPERM;
	if (icmp6_cksum(ip, ic, plen) != 0)
		return -EINVAL;

	// A reply to a multicast request comes from our unicast address on that link.
	if (ip6_is_multicast(ip->dst_addr)) {
		if (router_src6(in_port, ip->src_addr, src) < 0)
			return -EPERM;
	} else {
		memcpy(src, ip->dst_addr, 16);
	}
	rte_pktmbuf_trim(m, (uint16_t)(avail - sizeof(*ip) - plen));
	memcpy(ip->dst_addr, ip->src_addr, 16);
	memcpy(ip->src_addr, src, 16);
	ip->hop_limits = ECHO_REPLY_TTL;
	ic->icmp_type = ICMP6_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = icmp6_cksum(ip, ic, plen);
	swap_macs(eh, in_port);
	return 0;
}

int icmp_echo_reply(struct rte_mbuf *m, uint16_t in_port)
{
	struct rte_ether_hdr *eh;

	// Replies are edited in place, which needs the whole frame in one segment.
	if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) < 0)
		return -EINVAL;
	if (rte_pktmbuf_data_len(m) < sizeof(*eh))
		return -EINVAL;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	switch (rte_be_to_cpu_16(eh->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		return echo4(m, in_port);
	case RTE_ETHER_TYPE_IPV6:
		return echo6(m, in_port);
	default:
		return -EPERM;
	}
}
