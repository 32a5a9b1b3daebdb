// SPDX-License-Identifier: BSD-3-Clause
// ICMP and ICMPv6 errors built by the control thread, and the ICMPv6 checksum.
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "control/host/icmp.h"
#include "control/host/inject.h"
#include "control/host/router.h"

#define ICMP_HDR_LEN 8 // type, code, checksum, 4 bytes unused / id + sequence
#define ICMP_ERR_TTL 64 // RFC 1812 4.3.2.5 leaves it to the router; Linux uses 64

// IPv4 ICMP types that are errors (RFC 1812 4.3.2.7: never answer an error with an error).
static bool icmp4_is_error(uint8_t type)
{
	switch (type) {
	case 3: // destination unreachable
	case 4: // source quench
	case 5: // redirect
	case 11: // time exceeded
	case 12: // parameter problem
		return true;
	default:
		return false;
	}
}

uint16_t icmp6_cksum(const struct rte_ipv6_hdr *ip, const void *l4, uint32_t len)
{
	struct {
		uint8_t src[16];
		uint8_t dst[16];
		rte_be32_t len;
		uint8_t zero[3];
		uint8_t next;
	} __rte_packed ph;
	uint32_t sum;

	memcpy(ph.src, ip->src_addr, 16);
	memcpy(ph.dst, ip->dst_addr, 16);
	ph.len = rte_cpu_to_be_32(len);
	memset(ph.zero, 0, sizeof(ph.zero));
	ph.next = IPPROTO_ICMPV6;
	sum = __rte_raw_cksum(&ph, sizeof(ph), 0);
	sum = __rte_raw_cksum(l4, len, sum);
	return (uint16_t)~__rte_raw_cksum_reduce(sum);
}

static uint16_t icmp4_cksum(const void *l4, uint32_t len)
{
	return (uint16_t)~rte_raw_cksum(l4, len);
}

static uint16_t ip4_ident(void)
{
	static uint16_t ident;

	return ident++;
}

static bool ip4_dst_multi(const uint8_t a[4])
{
	return a[0] >= 224 || router_is_bcast4(a);
}

// Checks the rules for an IPv4 error about the datagram at off and returns its length to quote.
static int icmp4_check(const struct rte_mbuf *m, uint32_t off, uint32_t *quote)
{
	struct rte_ipv4_hdr ih;
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot, avail = rte_pktmbuf_pkt_len(m) - off;
	uint8_t t;
	const uint8_t *tp;

	ip = rte_pktmbuf_read(m, off, sizeof(ih), &ih);
	if (ip == NULL || (ip->version_ihl >> 4) != 4)
		return -EINVAL;
	ihl = (ip->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (ihl < sizeof(ih) || tot < ihl || avail < ihl)
		return -EINVAL;
	if ((rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0)
		return -EPERM;
	if (!router_ip4_src_unicast((const uint8_t *)&ip->src_addr) ||
	    ip4_dst_multi((const uint8_t *)&ip->dst_addr))
		return -EPERM;
	if (ip->next_proto_id == IPPROTO_ICMP && avail > ihl) {
		tp = rte_pktmbuf_read(m, off + ihl, 1, &t);
		if (tp == NULL || icmp4_is_error(*tp))
			return -EPERM;
	}
	*quote = RTE_MIN(RTE_MIN(tot, avail),
			 (uint32_t)(ICMP4_ERR_MAX_LEN - sizeof(ih) - ICMP_HDR_LEN));
	return 0;
}

static bool ip6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

// Walks the extension headers: a non-initial fragment or an ICMPv6 error gets no error
// (RFC 4443 2.4(e)). A chain we cannot follow in the frame still gets one: it quotes what there is.
static int icmp6_check_chain(const struct rte_mbuf *m, uint32_t off, uint32_t end, uint8_t nh)
{
	uint8_t buf[4];
	const uint8_t *p;

	for (int i = 0; i < 8 && ip6_is_ext(nh); i++) {
		p = rte_pktmbuf_read(m, off, 4, buf);
		if (p == NULL || off + 4 > end)
			return 0;
		if (nh == IPPROTO_FRAGMENT) {
			if (((p[2] << 8 | p[3]) & 0xfff8) != 0)
				return -EPERM;
			off += 8;
		} else if (nh == IPPROTO_AH) {
			off += (p[1] + 2u) * 4;
		} else {
			off += (p[1] + 1u) * 8;
		}
		nh = p[0];
	}
	if (nh == IPPROTO_ICMPV6 && off < end) {
		p = rte_pktmbuf_read(m, off, 1, buf);
		if (p != NULL && *p < 128)
			return -EPERM;
	}
	return 0;
}

static int icmp6_check(const struct rte_mbuf *m, uint32_t off, uint32_t *quote)
{
	struct rte_ipv6_hdr ih;
	const struct rte_ipv6_hdr *ip;
	uint32_t avail = rte_pktmbuf_pkt_len(m) - off, tot;
	int ret;

	ip = rte_pktmbuf_read(m, off, sizeof(ih), &ih);
	if (ip == NULL || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		return -EINVAL;
	if (ip6_is_multicast(ip->src_addr) || ip6_is_unspecified(ip->src_addr) ||
	    ip6_is_multicast(ip->dst_addr))
		return -EPERM;
	tot = RTE_MIN(avail, sizeof(ih) + rte_be_to_cpu_16(ip->payload_len));
	ret = icmp6_check_chain(m, off + sizeof(ih), off + tot, ip->proto);
	if (ret < 0)
		return ret;
	*quote = RTE_MIN(tot, (uint32_t)(ICMP6_ERR_MAX_LEN - sizeof(ih) - ICMP_HDR_LEN));
	return 0;
}

static void icmp_type_code(uint16_t ethertype, enum icmp_error err, uint8_t *type, uint8_t *code)
{
	bool v4 = ethertype == RTE_ETHER_TYPE_IPV4;

	switch (err) {
	case ICMP_ERR_TTL_EXCEEDED:
		*type = v4 ? 11 : 3;
		*code = 0;
		break;
	case ICMP_ERR_NET_UNREACH:
		*type = v4 ? 3 : 1;
		*code = 0;
		break;
	case ICMP_ERR_HOST_UNREACH:
	default:
		*type = v4 ? 3 : 1;
		*code = v4 ? 1 : 3;
		break;
	}
}

// Fills the outer IPv4 header and ICMP header in front of the quote already copied at q.
static int icmp4_fill(struct rte_ipv4_hdr *ip, uint16_t in_port, const uint8_t orig_src[4],
		      uint8_t type, uint8_t code, uint32_t quote)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	uint32_t len = sizeof(*ip) + ICMP_HDR_LEN + quote;
	int ret;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0xc0; // precedence "internetwork control" (RFC 1812 4.3.2.5)
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->packet_id = rte_cpu_to_be_16(ip4_ident());
	ip->time_to_live = ICMP_ERR_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	memcpy(&ip->dst_addr, orig_src, 4);
	ret = router_src4(in_port, orig_src, (uint8_t *)&ip->src_addr);
	if (ret < 0)
		return ret;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memset(ic, 0, ICMP_HDR_LEN);
	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_cksum = icmp4_cksum(ic, ICMP_HDR_LEN + quote);
	return 0;
}

static int icmp6_fill(struct rte_ipv6_hdr *ip, uint16_t in_port, const uint8_t orig_src[16],
		      uint8_t type, uint8_t code, uint32_t quote)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	int ret;

	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(ICMP_HDR_LEN + quote));
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = ICMP_ERR_TTL;
	memcpy(ip->dst_addr, orig_src, 16);
	ret = router_src6(in_port, orig_src, ip->src_addr);
	if (ret < 0)
		return ret;
	memset(ic, 0, ICMP_HDR_LEN);
	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_cksum = icmp6_cksum(ip, ic, ICMP_HDR_LEN + quote);
	return 0;
}

// Copies len bytes at off out of a possibly segmented mbuf.
static int copy_out(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *dst)
{
	const void *p = rte_pktmbuf_read(m, off, len, dst);

	if (p == NULL)
		return -EINVAL;
	if (p != dst)
		memcpy(dst, p, len);
	return 0;
}

int icmp_error_build(const struct rte_mbuf *m, uint16_t in_port, enum icmp_error err,
		     struct rte_mbuf **out)
{
	struct rte_ether_hdr eh_buf;
	const struct rte_ether_hdr *eh;
	struct rte_ether_hdr *oe;
	struct rte_mbuf *r;
	uint32_t off = sizeof(*eh), quote = 0, ip_len, src_off, src_len;
	uint16_t et;
	uint8_t type, code, src[16];
	void *ip;
	int ret;

	eh = rte_pktmbuf_read(m, 0, sizeof(*eh), &eh_buf);
	if (eh == NULL)
		return -EINVAL;
	// A frame sent to a link-layer group address gets no error (RFC 1812 4.3.2.7).
	if (rte_is_multicast_ether_addr(&eh->dst_addr))
		return -EPERM;
	et = rte_be_to_cpu_16(eh->ether_type);
	if (et == RTE_ETHER_TYPE_IPV4) {
		ret = icmp4_check(m, off, &quote);
		ip_len = sizeof(struct rte_ipv4_hdr);
		src_off = offsetof(struct rte_ipv4_hdr, src_addr);
		src_len = 4;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		ret = icmp6_check(m, off, &quote);
		ip_len = sizeof(struct rte_ipv6_hdr);
		src_off = offsetof(struct rte_ipv6_hdr, src_addr);
		src_len = 16;
	} else {
		return -EINVAL;
	}
	if (ret < 0)
		return ret;

	r = inject_alloc();
	if (r == NULL)
		return -ENOMEM;
	if (rte_pktmbuf_tailroom(r) < sizeof(*oe) + ip_len + ICMP_HDR_LEN + quote) {
		rte_pktmbuf_free(r);
		return -ENOMEM;
	}
	oe = (struct rte_ether_hdr *)rte_pktmbuf_append(
		r, (uint16_t)(sizeof(*oe) + ip_len + ICMP_HDR_LEN + quote));
	ip = oe + 1;
	// The quote goes straight to its place after the ICMP header.
	if (copy_out(m, off, quote, (uint8_t *)ip + ip_len + ICMP_HDR_LEN) < 0 ||
	    copy_out(m, off + src_off, src_len, src) < 0) {
		rte_pktmbuf_free(r);
		return -EINVAL;
	}
	icmp_type_code(et, err, &type, &code);
	if (et == RTE_ETHER_TYPE_IPV4)
		ret = icmp4_fill(ip, in_port, src, type, code, quote);
	else
		ret = icmp6_fill(ip, in_port, src, type, code, quote);
	if (ret < 0) {
		rte_pktmbuf_free(r);
		return ret;
	}
	rte_ether_addr_copy(&eh->src_addr, &oe->dst_addr);
	rte_ether_addr_copy(router_mac(in_port), &oe->src_addr);
	oe->ether_type = eh->ether_type;
	*out = r;
	return 0;
}

int icmp_error_send(struct rte_mbuf *m, uint16_t in_port, enum icmp_error err)
{
	struct rte_mbuf *r = NULL;
	int ret = icmp_error_build(m, in_port, err, &r);

	rte_pktmbuf_free(m);
	if (ret == 0)
		inject_tx(in_port, r);
	return ret;
}
