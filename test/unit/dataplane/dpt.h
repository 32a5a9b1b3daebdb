// SPDX-License-Identifier: BSD-3-Clause
// Test harness for the worker fast path: an EAL without hugepages, a mempool with the molt
// private area, net_ring ports whose tx rings the tests read back, a toy FIB driver (linear
// longest-prefix match over a small array, independent of drivers/), one slot with one next
// hop of every kind, and an on-link neighbour table.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dataplane.h"

#define DPT_PORTS 4 // 0: ingress, 1..2: egress, 3: egress with a tiny tx ring
#define DPT_SMALL_TX_RING 4 // port 3's tx ring: holds 3 packets

// Next-hop indexes of the test slot.
enum {
	DPT_NH_FWD4 = 0, // FORWARD port 1, dpt_mac_gw4
	DPT_NH_BLACKHOLE,
	DPT_NH_LOCAL,
	DPT_NH_UNRES4, // gateway 10.3.0.1 on port 2
	DPT_NH_CONN4, // 10.2.0.0/24 on port 2
	DPT_NH_DROP,
	DPT_NH_FWD6, // FORWARD port 2, dpt_mac_gw6
	DPT_NH_UNRES6, // gateway fe80::1 on port 1
	DPT_NH_CONN6, // 2001:db8:2::/64 on port 1
	DPT_NH_SMALL, // FORWARD port 3
	DPT_NH_P2, // FORWARD port 2, dpt_mac_gw6, gateway 10.6.255.2
	// NH_GROUP: group 0 of the slot, paths FWD4, P2, UNRES4 (weights 1), for 10.6.0.0/16 and
	// 2001:db8:6::/48
	DPT_NH_GRP,
	DPT_NH_COUNT
};

extern struct rte_mempool *dpt_pool;
extern struct slot dpt_slot;
extern struct dp_worker dpt_worker;
extern struct rte_ring *dpt_tx_ring[DPT_PORTS];
extern struct rte_ring *dpt_rx_ring[DPT_PORTS];
extern const struct rte_ether_addr dpt_mac_host, dpt_mac_gw4, dpt_mac_gw6, dpt_mac_n4, dpt_mac_n6;

// cmocka group setup: EAL, pool, ports, slot, neighbours (10.2.0.5 and 2001:db8:2::5 known).
int dpt_group_setup(void **state);
int dpt_group_teardown(void **state);
// Per-test setup: zero counters, drain rings, refill ICMP buckets, default ICMP rate.
int dpt_setup(void **state);

uint32_t dpt_ip4(const char *s); // network order
void dpt_ip6(const char *s, uint8_t out[16]);

// A valid IPv4/UDP frame from dpt_mac_host to port 0 with payload_len bytes of pattern.
struct rte_mbuf *dpt_mk4(const char *src, const char *dst, uint8_t ttl, uint16_t payload_len);
// A valid IPv6 frame; proto and the first payload byte (e.g. an ICMPv6 type) are given.
struct rte_mbuf *dpt_mk6(const char *src, const char *dst, uint8_t hops, uint8_t proto,
			 uint8_t first_byte, uint16_t payload_len);
struct rte_ipv4_hdr *dpt_ip4_hdr(struct rte_mbuf *m);
struct rte_ipv6_hdr *dpt_ip6_hdr(struct rte_mbuf *m);
void dpt_ip4_fix_cksum(struct rte_mbuf *m);
// Full recomputation of an IPv4 header checksum (field treated as zero), the reference.
uint16_t dpt_ip4_cksum_ref(const struct rte_ipv4_hdr *ip);

// Runs packets through dp_process_burst on port 0 with the test slot.
void dpt_run(struct rte_mbuf **pkts, uint16_t n);
void dpt_run1(struct rte_mbuf *m);
// Takes up to max packets sent on port / punted. Returns how many.
unsigned dpt_sent(uint16_t port, struct rte_mbuf **out, unsigned max);
unsigned dpt_punted(struct rte_mbuf **out, unsigned max);
void dpt_free(struct rte_mbuf **m, unsigned n);
void dpt_free1(struct rte_mbuf *m);
// Sum of port counters.
struct port_counters dpt_ctr(uint16_t port);

// Runs m, the test's only packet (counters start at zero per test), and checks it was dropped
// for `reason` and nothing else: no other drop counted, nothing sent or punted.
void dpt_expect_drop(struct rte_mbuf *m, enum molt_drop_reason reason);
// Runs m and checks it is the one packet punted, for `reason`, from port 0 as `family`, and
// counted as punted, with nothing sent. Returns m.
struct rte_mbuf *dpt_expect_punt(struct rte_mbuf *m, enum punt_reason reason, uint8_t family);
