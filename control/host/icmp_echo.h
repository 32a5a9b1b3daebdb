// SPDX-License-Identifier: BSD-3-Clause
// ICMP and ICMPv6 echo replies to echo requests for the router's own addresses. Frames are
// Ethernet + IPv4/IPv6 (no VLAN tag), starting at the mbuf's data offset. Control thread only.
#pragma once

#include <rte_mbuf.h>
#include <stdint.h>

// Turns an ICMP echo request (v4: to one of our addresses; v6: to one of ours or ff02::1) into
// its reply in place, addressed back to the sender the way it came. Returns 0 when m is now the
// reply (the caller sends it on in_port), -EPERM when m is not an echo request the router
// answers, -EINVAL when it is malformed (bad length or checksum). m is not freed.
int icmp_echo_reply(struct rte_mbuf *m, uint16_t in_port);
