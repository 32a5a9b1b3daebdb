// SPDX-License-Identifier: BSD-3-Clause
// The common case of eth_input + ip4_input in one pass over the rx burst: a frame sent to our
// MAC, IPv4, with a plain 20-byte header that passes every RFC 1812 check. IPv6 frames it
// passes on to ip6_input as eth_input would; it stops at the first frame that is anything else
// and hands the rest of the burst to the staged path, which appends behind it: packets keep
// their order within each family and eth_input / ip4_input still decide every drop reason, so
// this stage changes speed, not behaviour.
#include <rte_prefetch.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

// The destination MAC is bytes 0..5 of the frame's first 8-byte word: shifted so that bytes 6
// and 7 (the source MAC's start) fall off, it compares as one word.
static inline uint64_t mac_word(uint64_t w)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return w << 16;
#else
	return w >> 16;
#endif
}

static inline uint64_t fast_mac_key(const struct rte_ether_addr *own)
{
	uint8_t b[8] = { 0 };

	memcpy(b, own->addr_bytes, RTE_ETHER_ADDR_LEN);
	return mac_word(ld64(b));
}

// The frame's first 16 bytes as the fast path wants them: our MAC as the destination, the IPv4
// ethertype, version 4 with IHL 5; the source MAC and the TOS byte may be anything. With SSE2
// one masked 16-byte compare, else two words.
struct fast_hdr {
#ifdef __SSE2__
	__m128i key, mask;
#else
	uint64_t mac;
	uint32_t type_key, type_mask;
#endif
};

static inline void fast_hdr_init(struct fast_hdr *h, const struct rte_ether_addr *own)
{
	uint8_t key[16] = { 0 }, mask[16] = { 0 };

	memcpy(key, own->addr_bytes, RTE_ETHER_ADDR_LEN);
	memset(mask, 0xff, RTE_ETHER_ADDR_LEN);
	key[12] = 0x08; // ethertype IPv4, network order
	key[13] = 0x00;
	key[14] = 0x45; // version 4, IHL 5
	mask[12] = mask[13] = mask[14] = 0xff;
#ifdef __SSE2__
	h->key = _mm_loadu_si128((const __m128i *)key);
	h->mask = _mm_loadu_si128((const __m128i *)mask);
#else
	h->mac = fast_mac_key(own);
	h->type_key = ld32(key + 12);
	h->type_mask = ld32(mask + 12);
#endif
}

static inline bool fast_hdr_match(const uint8_t *p, const struct fast_hdr *h)
{
#ifdef __SSE2__
	__m128i v = _mm_and_si128(_mm_loadu_si128((const __m128i *)p), h->mask);

	return _mm_movemask_epi8(_mm_cmpeq_epi8(v, h->key)) == 0xffff;
#else
	return ((mac_word(ld64(p)) ^ h->mac) | ((ld32(p + 12) & h->type_mask) ^ h->type_key)) == 0;
#endif
}

// Whether m takes the fast path: a subset of the frames that eth_input queues as IPv4 and
// ip4_plain() then accepts (a frame whose IPv4 packet runs past the first segment is left to
// them). Sets *dst (host order) for the caller to keep if it takes the frame. A branch per
// check: they are never taken in the common case, and cost fewer instructions than combining
// the tests' flags.
static inline bool fast_ok(const struct rte_mbuf *m, const struct fast_hdr *h, uint32_t *dst)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = p + sizeof(struct rte_ether_hdr);
	uint32_t seg = rte_pktmbuf_data_len(m);
	uint64_t q0, q1;
	uint32_t q2, tlen;

	if (unlikely(seg < FAST_MIN_LEN))
		return false;
	if (unlikely(!fast_hdr_match(p, h)))
		return false;
	tlen = rte_be_to_cpu_16(ld16(ip + offsetof(struct rte_ipv4_hdr, total_length)));
	// 20 <= tlen <= seg - 14 as one unsigned compare: seg >= FAST_MIN_LEN, so the right side
	// does not wrap, and a tlen below 20 wraps above it.
	if (unlikely(tlen - (uint32_t)sizeof(struct rte_ipv4_hdr) > seg - FAST_MIN_LEN))
		return false;
	if (unlikely(!ip4_fwd_octet[ip[offsetof(struct rte_ipv4_hdr, src_addr)]] ||
		     !ip4_fwd_octet[ip[offsetof(struct rte_ipv4_hdr, dst_addr)]]))
		return false;
	// The header as three words for the checksum; the last one is the destination.
	q0 = ld64(ip);
	q1 = ld64(ip + 8);
	q2 = ld32(ip + 16);
	if (unlikely(!ip4_cksum20_ok(q0, q1, q2)))
		return false;
	*dst = rte_be_to_cpu_32(q2);
	return true;
}

// The leading run of fast frames of pkts[0..n): their destinations into dst4[], their bytes
// added up into *bytes. Returns the length of the run (n if every frame is fast). Out of line
// with only locals in its loop, so that everything the loop keeps stays in registers.
static __rte_noinline unsigned fast_run(struct rte_mbuf **pkts, unsigned n,
					const struct fast_hdr *hdr, uint32_t *dst4, uint64_t *bytes)
{
	const unsigned ahead = n > DP_PREFETCH ? n - DP_PREFETCH : 0;
	const struct fast_hdr h = *hdr;
	// At most MOLT_BURST frames of at most 64 KiB each.
	uint32_t sum = 0;
	unsigned i;

	// The rx burst left the mbuf headers in cache but not (on a real NIC) the packet data.
	for (i = 0; i < n && i < DP_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	// One frame per iteration, its checks' branches never taken in the common case. (A
	// four-frame unroll was slower: the live values of four frames spilled to the stack.)
	// Two loops so that the one with the prefetch needs no bounds test for it.
	for (i = 0; i < ahead; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_PREFETCH], void *));
		if (unlikely(!fast_ok(pkts[i], &h, &dst4[i])))
			goto out;
		sum += rte_pktmbuf_pkt_len(pkts[i]);
	}
	for (; i < n; i++) {
		if (unlikely(!fast_ok(pkts[i], &h, &dst4[i])))
			goto out;
		sum += rte_pktmbuf_pkt_len(pkts[i]);
	}
out:
	*bytes = sum;
	return i;
}

// Whether m is an IPv6 frame that eth_input would queue for ip6_input as it is: long enough
// for the Ethernet header, IPv6 ethertype, sent to our MAC or to a group address.
static inline bool fast_ip6(const struct rte_mbuf *m, uint64_t mac)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)))
		return false;
	// Bitwise on 0/1 values: one branch at the caller.
	return (unsigned)(ld16(p + offsetof(struct rte_ether_hdr, ether_type)) ==
			  RTE_BE16(RTE_ETHER_TYPE_IPV6)) &
	       ((unsigned)(p[0] & 1) | (unsigned)(mac_word(ld64(p)) == mac));
}

// The rest of a burst once an IPv6 frame has turned up at pkts[i]: IPv6 frames go straight to
// c->m6 (ip6_input checks them; IPv4 and IPv6 never share a flow, and IPv6 leaves after IPv4
// anyway), fast IPv4 frames move down to pkts[c->n4] (never above the frame being read). Stops
// at the first frame that is neither. Returns how many frames of pkts it consumed.
static __rte_noinline uint16_t fast_mixed(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n,
					  uint16_t i, const struct fast_hdr *h, uint64_t mac,
					  uint64_t *bytes)
{
	uint16_t n4 = i;

	for (; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + DP_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_PREFETCH], void *));
		// IPv6 first: fast_ok's checks are the costlier ones, and no frame passes both.
		if (fast_ip6(m, mac)) {
			c->m6[c->n6++] = m;
			*bytes += rte_pktmbuf_pkt_len(m);
			continue;
		}
		if (!fast_ok(m, h, &c->dst4[n4]))
			break;
		*bytes += rte_pktmbuf_pkt_len(m);
		pkts[n4++] = m;
	}
	c->n4 = n4;
	return i;
}

uint16_t ip4_fast_input(struct dp_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	const struct rte_ether_addr *own = &molt_dp.ports[c->in_port].mac;
	struct fast_hdr h;
	uint64_t bytes, mac;
	uint16_t i;

	fast_hdr_init(&h, own);
	i = (uint16_t)fast_run(pkts, n, &h, c->dst4, &bytes);
	c->n4 = i;
	// Mixed traffic: an IPv6 frame need not send the rest of the burst down the staged path.
	if (unlikely(i < n)) {
		mac = fast_mac_key(own);
		if (fast_ip6(pkts[i], mac))
			i = fast_mixed(c, pkts, n, i, &h, mac, &bytes);
	}
	c->ctr->rx += i;
	c->ctr->rx_bytes += bytes;
	return i;
}
