// SPDX-License-Identifier: BSD-3-Clause
// Prefix helpers shared by the drivers: every driver keeps its keys canonical (host bits zero)
// so that the same route always has the same key, whatever the caller passed.
#pragma once

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#define PREFIX6_LEN 16

static inline uint32_t prefix4_mask(uint8_t plen)
{
	// A shift by 32 is undefined, so /0 is a special case.
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

// Copies the first plen bits of src into dst and zeroes the rest.
static inline void prefix6_mask(uint8_t dst[PREFIX6_LEN], const uint8_t *src, uint8_t plen)
{
	unsigned full = plen / 8, rem = plen % 8;

	memcpy(dst, src, full);
	memset(dst + full, 0, PREFIX6_LEN - full);
	if (rem)
		dst[full] = src[full] & (uint8_t)(0xff << (8 - rem));
}

// A rule's key as every driver's rule table holds it: an IPv4 prefix as a host-order uint32_t,
// an IPv6 prefix as 16 bytes in network order, host bits zero.
union prefix_key {
	uint32_t v4;
	uint8_t v6[PREFIX6_LEN];
};

// The key of prefix/plen, taken as the add and del ops take it (drivers/driver.h; host bits
// may be set). -EINVAL for a NULL prefix or a plen longer than the family's addresses.
static inline int prefix_key(uint8_t family, const void *prefix, uint8_t plen, union prefix_key *k)
{
	if (prefix == NULL || plen > (family == 4 ? 32 : 128))
		return -EINVAL;
	if (family == 4)
		k->v4 = *(const uint32_t *)prefix & prefix4_mask(plen);
	else
		prefix6_mask(k->v6, prefix, plen);
	return 0;
}

// A prefix in network order (as the feed carries it) as the drivers' add and del take it: IPv4
// as a host-order uint32_t, written to *ip4; IPv6 unchanged.
static inline const void *prefix_driver_key(uint8_t family, const uint8_t *prefix, uint32_t *ip4)
{
	if (family != 4)
		return prefix;
	memcpy(ip4, prefix, sizeof(*ip4));
	*ip4 = be32toh(*ip4);
	return ip4;
}
