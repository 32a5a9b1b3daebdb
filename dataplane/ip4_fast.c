// SPDX-License-Identifier: BSD-3-Clause
// The common case of eth_input + ip4_input in one pass over the rx burst: a frame sent to our
// MAC, IPv4, with a plain 20-byte header that passes every RFC 1812 check. IPv6 frames it
// passes on to ip6_input as eth_input would; it stops at the first frame that is anything else
// and hands the rest of the burst to the staged path, which appends behind it: packets keep
// their order within each family and eth_input / ip4_input still decide every drop reason, so
// this stage changes speed, not behaviour.
#include <rte_prefetch.h>

#include "dataplane/dp_priv.h"
#include "dataplane/ip4_hdr.h"

#define FAST_MIN_LEN ((uint32_t)(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr)))

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

// Byte patterns compared as whole words, built from memory order so they hold on any CPU: the
// frame's first 16 bytes as two words, of which the destination MAC (bytes 0..5), ethertype
// and version/IHL (bytes 12..14) must match.
struct fast_key {
	uint64_t w0, w0_mask;
	uint64_t w1, w1_mask;
};

static inline void fast_key_init(struct fast_key *k, const struct rte_ether_addr *own)
{
	static const uint8_t m0[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0 };
	// Bytes 8..15: source MAC 2..5 (any), ethertype IPv4, version 4 + IHL 5, TOS (any).
	static const uint8_t k1[8] = { 0, 0, 0, 0, 0x08, 0x00, 0x45, 0 };
	static const uint8_t m1[8] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0 };

	k->w0 = 0;
	memcpy(&k->w0, own->addr_bytes, RTE_ETHER_ADDR_LEN);
	k->w0_mask = ld64(m0);
	k->w1 = ld64(k1);
	k->w1_mask = ld64(m1);
}

// Whether m takes the fast path: exactly the frames that eth_input queues as IPv4 and
// ip4_plain() then accepts. Sets *dst (host order) and *len (the frame length)
// for the caller to keep if it takes the frame.
static inline unsigned fast_ok(const struct rte_mbuf *m, const struct fast_key *k, uint32_t *dst,
			       uint32_t *len)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = p + sizeof(struct rte_ether_hdr);
	uint32_t frame = rte_pktmbuf_pkt_len(m);
	uint32_t tlen;
	uint64_t hdr;

	*len = frame;
	if (unlikely(rte_pktmbuf_data_len(m) < FAST_MIN_LEN))
		return 0;
	tlen = rte_be_to_cpu_16(ld16(ip + offsetof(struct rte_ipv4_hdr, total_length)));
	*dst = rte_be_to_cpu_32(ld32(ip + offsetof(struct rte_ipv4_hdr, dst_addr)));
	// Both header words in one test.
	hdr = ((ld64(p) & k->w0_mask) ^ k->w0) | ((ld64(p + 8) & k->w1_mask) ^ k->w1);
	// 20 <= tlen <= frame - 14 as one unsigned compare: pkt_len >= data_len >= FAST_MIN_LEN,
	// so the right side does not wrap, and a tlen below 20 wraps above it.
	// Bitwise & on 0/1 values on purpose: one branch per packet, not one per check.
	return (unsigned)(hdr == 0) &
	       (unsigned)(tlen - (uint32_t)sizeof(struct rte_ipv4_hdr) <= frame - FAST_MIN_LEN) &
	       ip4_fwd_octet[ip[offsetof(struct rte_ipv4_hdr, src_addr)]] &
	       ip4_fwd_octet[ip[offsetof(struct rte_ipv4_hdr, dst_addr)]] &
	       (unsigned)ip4_cksum_ok(ip, 5);
}

// Takes pkts[i] if it is a fast frame: its destination into c->dst4[i], its length into *bytes.
static __rte_always_inline bool fast_take(struct dp_ctx *c, struct rte_mbuf *m,
					  const struct fast_key *k, uint16_t i, uint64_t *bytes)
{
	uint32_t d = 0, l;

	if (unlikely(!fast_ok(m, k, &d, &l)))
		return false;
	c->dst4[i] = d;
	*bytes += l;
	return true;
}

// Whether m is an IPv6 frame that eth_input would queue for ip6_input as it is: long enough
// for the Ethernet header, IPv6 ethertype, sent to our MAC or to a group address.
static inline bool fast_ip6(const struct rte_mbuf *m, const struct fast_key *k)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)))
		return false;
	// Bitwise on 0/1 values: one branch at the caller.
	return (unsigned)(ld16(p + offsetof(struct rte_ether_hdr, ether_type)) ==
			  RTE_BE16(RTE_ETHER_TYPE_IPV6)) &
	       ((unsigned)(p[0] & 1) | (unsigned)(((ld64(p) & k->w0_mask) ^ k->w0) == 0));
}

// The rest of a burst once an IPv6 frame has turned up at pkts[i]: IPv6 frames go straight to
// c->m6 (ip6_input checks them; IPv4 and IPv6 never share a flow, and IPv6 leaves after IPv4
// anyway), fast IPv4 frames move down to pkts[c->n4] (never above the frame being read). Stops
// at the first frame that is neither. Returns how many frames of pkts it consumed.
static __rte_noinline uint16_t fast_mixed(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n,
					  uint16_t i, const struct fast_key *k, uint64_t *bytes)
{
	uint16_t n4 = i;

	for (; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + DP_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_PREFETCH], void *));
		// IPv6 first: fast_take's checks are the costlier ones, and no frame passes both.
		if (fast_ip6(m, k)) {
			c->m6[c->n6++] = m;
			*bytes += rte_pktmbuf_pkt_len(m);
			continue;
		}
		if (!fast_take(c, m, k, n4, bytes))
			break;
		pkts[n4++] = m;
	}
	c->n4 = n4;
	return i;
}

uint16_t ip4_fast_input(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	const uint16_t ahead = n > DP_PREFETCH ? (uint16_t)(n - DP_PREFETCH) : 0;
	struct fast_key k;
	uint64_t bytes = 0;
	uint16_t i = 0;

	fast_key_init(&k, &molt_dp.ports[c->in_port].mac);
	// The rx burst left the mbuf headers in cache but not (on a real NIC) the packet data.
	for (uint16_t j = 0; j < n && j < DP_PREFETCH; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));

	// One frame per iteration, one well-predicted branch each. (A four-frame unroll with
	// one branch per group was slower: the live values of four frames spilled to the stack.)
	// Two loops so that the one with the prefetch needs no bounds test for it.
	for (; i < ahead; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_PREFETCH], void *));
		if (unlikely(!fast_take(c, pkts[i], &k, i, &bytes)))
			goto mixed;
	}
	for (; i < n; i++)
		if (unlikely(!fast_take(c, pkts[i], &k, i, &bytes)))
			goto mixed;
	c->n4 = i;
	goto out;
mixed:
	// Mixed traffic: an IPv6 frame need not send the rest of the burst down the staged path.
	if (fast_ip6(pkts[i], &k))
		i = fast_mixed(c, pkts, n, i, &k, &bytes);
	else
		c->n4 = i;
out:
	c->ctr->rx += i;
	c->ctr->rx_bytes += bytes;
	return i;
}
