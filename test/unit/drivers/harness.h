// SPDX-License-Identifier: BSD-3-Clause
// Shared by the driver tests: EAL start-up and synthetic route tables.
#pragma once

#include <stdint.h>

#include "drivers/driver.h"

// Starts the EAL without hugepages, PCI or shared files; aborts the test binary on failure.
// mem_mb: size of the --no-huge memory pool.
void harness_eal_init(const char *prog, unsigned mem_mb);

// Deterministic PRNG (splitmix64) so a failing seed can be replayed.
uint64_t harness_rand(uint64_t *state);

// A route of either family: IPv4 uses addr[0..3] as a uint32_t in host order.
struct harness_route {
	union {
		uint32_t v4;
		uint8_t v6[16];
	};
	uint8_t plen;
	uint32_t nh;
};

// Fills r[0..n) with distinct, overlapping prefixes of an Internet-like length mix (IPv4:
// mostly /24, /16-/23, a few short ones and some /25-/32; IPv6: mostly /48 and /32-/44 inside
// RIR-like allocations). long_share: percent of routes longer than /24 (IPv4) or /48 (IPv6),
// to exercise tbl8 groups. Returns the number of distinct routes (<= n).
unsigned harness_gen_routes(int family, struct harness_route *r, unsigned n, unsigned long_share,
			    uint64_t *seed);

// Fills n lookup addresses: most inside a random route of r (host bits random), the rest
// random. IPv4 writes uint32_t[n], IPv6 uint8_t[n][16].
void harness_gen_addrs(int family, const struct harness_route *r, unsigned nr, void *addrs,
		       unsigned n, uint64_t *seed);

// Seconds since an arbitrary epoch, for the timing binary.
double harness_now(void);
