// SPDX-License-Identifier: BSD-3-Clause
// IPv4 header rules written once for every path that checks them (the fast pass, ip4_input's
// ordered checks, the control thread's answers): the address classes a router never forwards
// and the header checksum test.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_config.h>

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

// Whether a plain 20-byte header read as q0 (bytes 0..7), q1 (8..15) and q2 (16..19) has a
// correct checksum. Words of any width add up, with the end-around carry, to the same value
// modulo 0xffff as the header's 16-bit words (2^16 = 1 modulo 0xffff, and 0xffff divides
// 2^64 - 1), in either byte order (a byte swap multiplies by 256, which 0xffff is prime to):
// so two adds with carry and one divisibility test (a multiply) check it. The sum is zero only
// for an all-zero header, which a version test refuses (the caller's).
static inline bool ip4_cksum20_ok(uint64_t q0, uint64_t q1, uint32_t q2)
{
	uint64_t s = q0;

#if defined(RTE_ARCH_X86_64)
	// The carry chain in three instructions; C has no add-with-carry.
	asm("addq %1, %0\n\tadcq %2, %0\n\tadcq $0, %0"
	    : "+r"(s)
	    : "r"(q1), "r"((uint64_t)q2)
	    : "cc");
#else
	s += q1;
	s += s < q1;
	s += q2;
	s += s < q2;
#endif
	return s % 0xffff == 0;
}
