// SPDX-License-Identifier: BSD-3-Clause
// Synthetic prefixes for gen-routes. IPv4 lengths follow the shape of a full BGP table (60% /24,
// most of the rest /16-/23, ~1% /8-/15); IPv6 is mostly /48 with /32-/44 allocations and some
// /64. About a third of the longer prefixes are carved out of shorter ones already generated,
// so covering prefixes overlap as in real tables. Never generated: 0/8, 10/8 (our test
// subnets), 127/8, 224/3, 100.64/10, 169.254/16, 172.16/12, 192.168/16; IPv6 stays inside
// 2000::/3 (so never fe80::/10, fd00::/8, ff00::/8) and avoids 2001:db8::/32 and 2002::/16.
#pragma once

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);

// Uniform in [0, n).
uint32_t rng_below(struct rng *r, uint32_t n);

// A prefix of at most 64 significant bits: all IPv4 and all generated IPv6 prefixes fit.
struct pfx {
	uint64_t addr; // left-aligned: IPv4 in the top 32 bits, IPv6 its first 64 bits
	uint8_t plen;
};

// Fills out[0..n) with n distinct prefixes of family 4 or 6, deterministic for the state of r.
// Returns 0, -ENOMEM, or -ENOSPC when the address space runs out of unique prefixes.
int gen_prefixes(struct rng *r, int family, uint64_t n, struct pfx *out);
