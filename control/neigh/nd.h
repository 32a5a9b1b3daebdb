// SPDX-License-Identifier: BSD-3-Clause
// Neighbour solicitations the neighbour resolution sends (nd.c also implements neigh_input_nd).
// Control thread only; not for use outside control/neigh.
#pragma once

#include <stdint.h>

#include <rte_ether.h>

// Sends one NS on port for ip: to ip's solicited-node group when dst is NULL, else unicast to ip
// at dst (probing a known neighbour, RFC 4861 7.3.3). -EADDRNOTAVAIL when the port has no IPv6
// address, -ENOMEM without an mbuf.
int nd_send_ns(uint16_t port, const uint8_t ip[16], const struct rte_ether_addr *dst);
