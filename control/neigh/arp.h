// SPDX-License-Identifier: BSD-3-Clause
// ARP requests the neighbour resolution sends (arp.c also implements neigh_input_arp).
// Control thread only; not for use outside control/neigh.
#pragma once

#include <stdint.h>

#include <rte_ether.h>

// Sends one ARP request on port for ip: broadcast when dst is NULL, else unicast to dst (probing
// a known neighbour). The sender address is router_src4's choice, or 0.0.0.0 when the port has
// no IPv4 address (an RFC 5227 probe). -ENOMEM without an mbuf.
int arp_send_request(uint16_t port, const uint8_t ip[4], const struct rte_ether_addr *dst);
