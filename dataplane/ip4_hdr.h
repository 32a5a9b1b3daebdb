// SPDX-License-Identifier: BSD-3-Clause
// IPv4 header rules written once for every path that checks them (the fast pass, ip4_input's
// ordered checks, the control thread's answers): the address classes a router never forwards
// and the header checksum test.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

// RFC 1812 5.3.7 / 4.2.2.11: an address whose first octet is 0, 127 or 224..255 (0/8,
// loopback, multicast, class E and limited broadcast) is never a valid source and never
// looked up as a destination. Indexed by the first octet: 1 when the address may be forwarded.
static const uint8_t ip4_fwd_octet[256] = { [1 ... 126] = 1, [128 ... 223] = 1 };

// The first octet of an address in network order is its first byte.
static inline bool ip4_octet_forwardable(uint8_t first_octet)
{
	return ip4_fwd_octet[first_octet] != 0;
}

// Whether the header's one's complement sum, checksum field included, is 0xffff (RFC 1071).
// A plain sum of 32-bit words is congruent to the one's complement sum of the 16-bit words
// modulo 0xffff (2^16 = 1 mod 0xffff), and folding keeps a non-zero sum non-zero: so a correct
// header is a non-zero plain sum divisible by 0xffff. No folding, no byte swaps (0xffff is its
// own swap); for ihl 5 the loop unrolls into five loads, four adds and a multiply.
static inline bool ip4_cksum_ok(const void *hdr, unsigned ihl)
{
	const uint8_t *p = hdr;
	uint64_t sum = 0;

	for (unsigned i = 0; i < ihl; i++) {
		uint32_t w;

		memcpy(&w, p + 4 * i, sizeof(w)); // the header is only 2-byte aligned
		sum += w;
	}
	return (sum != 0) & (sum % 0xffff == 0);
}
