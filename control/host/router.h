// SPDX-License-Identifier: BSD-3-Clause
// What the control thread's packet path knows about the router itself, per DPDK port: its
// addresses (copied from the config), its MAC (molt_dp.ports), and the neighbour and ICMP
// settings. Control thread only.
#pragma once

#include <rte_ether.h>
#include <stdbool.h>
#include <stdint.h>

#include "control/config/config.h"

// Copies the port addresses and the neighbour and ICMP settings out of cfg (cfg need not outlive
// it). Called by neigh_init and punt_init; the second call refreshes the same data.
void router_set_config(const struct molt_config *cfg);

// The port's MAC address (molt_dp.ports[port].mac).
const struct rte_ether_addr *router_mac(uint16_t port);

// True when ip (IPv4, network order) is configured on port.
bool router_is_addr4_port(uint16_t port, const uint8_t ip[4]);
// True when ip is configured on any port.
bool router_is_addr4(const uint8_t ip[4]);
// True when ip is a global address of port, or the port's link-local address.
bool router_is_addr6_port(uint16_t port, const uint8_t ip[16]);
// True when ip is a global address of any port, or the link-local address of in_port (link-local
// addresses are only meaningful on the link they came from).
bool router_is_addr6(uint16_t in_port, const uint8_t ip[16]);
// True when ip is the directed broadcast address of one of our IPv4 subnets (any port).
bool router_is_bcast4(const uint8_t ip[4]);

// True when a can be the source of a packet a router answers (RFC 1812 5.3.7): not in 0/8,
// 127/8, multicast, class E, limited broadcast, or one of our subnets' broadcast address.
bool router_ip4_src_unicast(const uint8_t a[4]);

// Source address for a packet sent on port to dst: an address of the port in dst's subnet,
// else the port's first one. -EADDRNOTAVAIL when the port has no IPv4 address.
int router_src4(uint16_t port, const uint8_t dst[4], uint8_t src[4]);
// IPv6: the link-local address for a link-local dst (or when the port has no global one),
// else the port's first global. -EADDRNOTAVAIL when the port has neither.
int router_src6(uint16_t port, const uint8_t dst[16], uint8_t src[16]);

// Settings copied from the config.
uint32_t router_neigh_timeout_ms(void);
uint32_t router_neigh_hold(void);
uint32_t router_icmp_rate(void);
uint32_t router_icmp_burst(void);

static inline bool ip6_is_linklocal(const uint8_t ip[16])
{
	return ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
}

static inline bool ip6_is_multicast(const uint8_t ip[16])
{
	return ip[0] == 0xff;
}

static inline bool ip6_is_unspecified(const uint8_t ip[16])
{
	for (int i = 0; i < 16; i++)
		if (ip[i] != 0)
			return false;
	return true;
}
