// SPDX-License-Identifier: BSD-3-Clause
// ICMP (RFC 792/1812) and ICMPv6 (RFC 4443) errors the control thread generates about a received
// frame, and the ICMPv6 checksum. Frames are Ethernet + IPv4/IPv6 (no VLAN tag), starting at the
// mbuf's data offset. Control thread only.
#pragma once

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <stdint.h>

enum icmp_error {
	ICMP_ERR_TTL_EXCEEDED, // v4 type 11 code 0; v6 type 3 code 0
	ICMP_ERR_NET_UNREACH, // v4 type 3 code 0; v6 type 1 code 0 (no route)
	ICMP_ERR_HOST_UNREACH, // v4 type 3 code 1; v6 type 1 code 3 (neighbour unreachable)
};

// Largest ICMP error datagrams (RFC 1812 4.3.2.3: at most 576 bytes; RFC 4443 2.4(c): at most
// the IPv6 minimum MTU). The quote is the offending datagram cut to fit.
#define ICMP4_ERR_MAX_LEN 576
#define ICMP6_ERR_MAX_LEN 1280

// Builds the error about frame m, received on in_port: sent from in_port's address of m's family
// to m's IP source, framed to m's Ethernet source. Does not consume m. Returns 0 and *out, or
// -EPERM when the RFCs forbid an error for m (m is an ICMP error, not an initial fragment, sent
// to multicast/broadcast, from a non-unicast source), -EINVAL when m is malformed,
// -EADDRNOTAVAIL when in_port has no address of m's family, -ENOMEM without an mbuf.
int icmp_error_build(const struct rte_mbuf *m, uint16_t in_port, enum icmp_error err,
		     struct rte_mbuf **out);

// icmp_error_build + inject_tx on in_port. Always consumes m. Returns what the build returned.
int icmp_error_send(struct rte_mbuf *m, uint16_t in_port, enum icmp_error err);

// The value to store in an ICMPv6 checksum field: the one's complement sum over the IPv6
// pseudo-header (ip's addresses, len, next header 58) and len bytes at l4. Over a message whose
// checksum field is already set, 0 means the checksum is correct.
uint16_t icmp6_cksum(const struct rte_ipv6_hdr *ip, const void *l4, uint32_t len);
