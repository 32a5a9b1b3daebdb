// SPDX-License-Identifier: BSD-3-Clause
// The common case of eth_input + ip4_input in one pass over the rx burst: a frame sent to our
// MAC, IPv4, with a plain 20-byte header that passes every RFC 1812 check. It stops at the
// first frame that is anything else and hands the rest of the burst to the staged path, which
// appends behind it: packets keep their order and eth_input / ip4_input still decide every drop
// reason, so this stage changes speed, not behaviour.
#include <rte_prefetch.h>

#include "dataplane/dp_priv.h"

#define FAST_MIN_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr))

// The header is only 2-byte aligned: loads go through memcpy (one mov on x86).
static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

// First octets a router may forward from and to: not 0, 127 or 224..255 (RFC 1812 5.3.7, the
// classes ip4_input never looks up). A 256-byte table stays in L1 and costs one load.
static const uint8_t fwd_octet[256] = {[1 ... 126] = 1, [128 ... 223] = 1};

// Byte patterns compared as whole words, built from memory order so they hold on any CPU:
// the destination MAC (6 of 8 bytes) and ethertype + version/IHL (3 of 4 bytes).
struct fast_key {
	uint64_t mac, mac_mask;
	uint32_t eth_ip, eth_ip_mask;
};

static inline void fast_key_init(struct fast_key *k, const struct rte_ether_addr *own)
{
	static const uint8_t ones[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0};
	static const uint8_t eth_ip[4] = {0x08, 0x00, 0x45, 0}; // IPv4, version 4, IHL 5
	static const uint8_t eth_ip_mask[4] = {0xff, 0xff, 0xff, 0};

	k->mac = 0;
	memcpy(&k->mac, own->addr_bytes, RTE_ETHER_ADDR_LEN);
	k->mac_mask = ld64(ones);
	k->eth_ip = ld32(eth_ip);
	k->eth_ip_mask = ld32(eth_ip_mask);
}

// The 20-byte header sums to 0xffff in one's complement (ip4_cksum_ok in ip4_input.c). Every
// fold of the carries keeps the sum modulo 0xffff and a non-zero sum non-zero, so that is a
// non-zero plain sum divisible by 0xffff: five loads, four adds and a multiply, no folding.
static inline unsigned cksum20_ok(const uint8_t *ip)
{
	uint64_t sum = (uint64_t)ld32(ip) + ld32(ip + 4) + ld32(ip + 8) + ld32(ip + 12) +
		       ld32(ip + 16);

	return (unsigned)(sum != 0) & (unsigned)(sum % 0xffff == 0);
}

// Whether m takes the fast path: exactly the frames that eth_input queues as IPv4 and
// ip4_plain() then accepts. Sets *dst (host order) and *len (the frame length)
// for the caller to keep if it takes the frame.
static inline unsigned fast_ok(const struct rte_mbuf *m, const struct fast_key *k,
			       uint32_t *dst, uint32_t *len)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = p + sizeof(struct rte_ether_hdr);
	uint32_t frame = rte_pktmbuf_pkt_len(m);
	uint32_t tlen;

	*len = frame;
	if (unlikely(rte_pktmbuf_data_len(m) < FAST_MIN_LEN))
		return 0;
	frame -= (uint32_t)sizeof(struct rte_ether_hdr);
	tlen = rte_be_to_cpu_16(ld16(ip + offsetof(struct rte_ipv4_hdr, total_length)));
	*dst = rte_be_to_cpu_32(ld32(ip + offsetof(struct rte_ipv4_hdr, dst_addr)));
	// Bitwise & on 0/1 values on purpose: one branch per packet, not one per check.
	return (unsigned)((ld64(p) & k->mac_mask) == k->mac) &
	       (unsigned)((ld32(p + 12) & k->eth_ip_mask) == k->eth_ip) &
	       (unsigned)(tlen >= sizeof(struct rte_ipv4_hdr)) & (unsigned)(tlen <= frame) &
	       fwd_octet[ip[offsetof(struct rte_ipv4_hdr, src_addr)]] &
	       fwd_octet[ip[offsetof(struct rte_ipv4_hdr, dst_addr)]] & cksum20_ok(ip);
}

uint16_t ip4_fast_input(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	struct fast_key k;
	uint64_t bytes = 0;
	uint16_t i = 0;

	fast_key_init(&k, &molt_dp.ports[c->in_port].mac);
	// The rx burst left the mbuf headers in cache but not (on a real NIC) the packet data.
	for (uint16_t j = 0; j < n && j < DP_PREFETCH; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));

	// Four at a time, one branch per four, prefetching the next four; a group with any
	// other frame in it is left to the one-by-one loop below, which finds where the fast
	// path ends.
	for (; i + 4 <= n; i += 4) {
		uint32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0, l0, l1, l2, l3;

		if (i + 8 <= n) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 5], void *));
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 6], void *));
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 7], void *));
		}
		if (unlikely((fast_ok(pkts[i], &k, &d0, &l0) & fast_ok(pkts[i + 1], &k, &d1, &l1) &
			      fast_ok(pkts[i + 2], &k, &d2, &l2) &
			      fast_ok(pkts[i + 3], &k, &d3, &l3)) == 0))
			break;
		c->m4[i] = pkts[i];
		c->m4[i + 1] = pkts[i + 1];
		c->m4[i + 2] = pkts[i + 2];
		c->m4[i + 3] = pkts[i + 3];
		c->dst4[i] = d0;
		c->dst4[i + 1] = d1;
		c->dst4[i + 2] = d2;
		c->dst4[i + 3] = d3;
		bytes += (uint64_t)l0 + l1 + l2 + l3;
	}
	for (; i < n; i++) {
		uint32_t d = 0, l;

		if (!fast_ok(pkts[i], &k, &d, &l))
			break;
		c->m4[i] = pkts[i];
		c->dst4[i] = d;
		bytes += l;
	}
	c->n4 = i;
	c->ctr->rx += i;
	c->ctr->rx_bytes += bytes;
	return i;
}
