// SPDX-License-Identifier: BSD-3-Clause
// Shared by the control packet-path tests (icmp, neigh, punt): a --no-huge EAL, two net_ring
// ports whose tx rings the tests read back, a config with addresses on both ports, frame
// builders, and checksums computed from scratch (never with the code under test).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "control/config/config.h"

#define H_P0 0 // index in h_port[]
#define H_P1 1

extern uint16_t h_port[2]; // DPDK port ids
extern struct rte_mempool *h_pool;
extern struct molt_config h_cfg;
extern const struct rte_ether_addr h_host_mac; // the host talking to the router
extern const struct rte_ether_addr h_port_mac[2];

// Starts the EAL once, creates the pool and ports, fills h_cfg:
//   p0: 192.0.2.1/24, 2001:db8:1::1/64, link-local fe80::200:ff:fe00:100
//   p1: 198.51.100.1/24, 2001:db8:2::1/64, link-local fe80::200:ff:fe00:101
void h_setup(void);
// Frees every frame waiting on both tx rings.
void h_drain(void);
// Next frame the router sent on port index pi, NULL if none.
struct rte_mbuf *h_sent(int pi);
unsigned h_sent_count(int pi);

// Frame builders. ips are network-order byte arrays. Returned mbufs have the molt private area
// zeroed and in_port set to h_port[in].
struct rte_mbuf *h_ip4(int in, const struct rte_ether_addr *dst_mac, const char *src,
		       const char *dst, uint8_t ttl, uint8_t proto, const void *l4, uint16_t l4len);
struct rte_mbuf *h_ip6(int in, const struct rte_ether_addr *dst_mac, const char *src,
		       const char *dst, uint8_t hlim, uint8_t proto, const void *l4,
		       uint16_t l4len);
// ICMPv6 message with a correct checksum (cksum field of msg is overwritten).
struct rte_mbuf *h_icmp6(int in, const struct rte_ether_addr *dst_mac, const char *src,
			 const char *dst, uint8_t hlim, void *msg, uint16_t len);
struct rte_mbuf *h_arp(int in, uint16_t op, const struct rte_ether_addr *eth_dst,
		       const struct rte_ether_addr *sha, const char *sip, const char *tip);

void h_addr(const char *s, uint8_t *out); // inet_pton by family (':' = IPv6)

// From-scratch checksums: big-endian 16-bit one's complement sum, folded (not inverted).
uint16_t h_sum(const void *p, size_t len, uint32_t init);
// True when the IPv4 header at ip has a correct checksum.
bool h_ip4_ok(const uint8_t *ip);
// True when the ICMPv4 message (len bytes) sums correctly.
bool h_icmp4_ok(const uint8_t *icmp, size_t len);
// True when the ICMPv6 message after the IPv6 header at ip6 sums correctly with the pseudo-header.
bool h_icmp6_ok(const uint8_t *ip6);
