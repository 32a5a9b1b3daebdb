// SPDX-License-Identifier: BSD-3-Clause
// Shared by the molt tests: family-neutral rule tables (an IPv4 address is the first 4 bytes
// of 16, network order), lookups through the engine, and the "reference" driver as the oracle.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "drivers/molt/molt.h"

struct trule {
	uint8_t p[16]; // network order, host bits zero
	uint8_t plen;
	uint32_t nh;
};

struct ttable {
	int family; // 4 or 6
	unsigned width; // 32 or 128 bits
	struct trule *r;
	size_t n, cap;
	uint8_t (*a)[16]; // lookup addresses
	size_t na, acap;
};

// splitmix64, so that a failing seed can be replayed.
uint64_t tl_rand(uint64_t *state);

void tl_init(struct ttable *t, int family);
void tl_free(struct ttable *t);
// Adds a rule; host bits of p past plen are cleared.
void tl_add(struct ttable *t, const uint8_t p[16], uint8_t plen, uint32_t nh);
// Sorts by (prefix, plen) and keeps one rule per prefix/plen (the one added last).
void tl_unique(struct ttable *t);
void tl_shuffle(struct ttable *t, uint64_t *seed);
// Adds about n random rules of every length 0..width (then tl_unique), clustered around
// n_bases (<= 64) random addresses so that they nest deeply and share nodes; next hops in
// [nh_lo, FIB_NH_MAX).
void tl_random_table(struct ttable *t, unsigned n, unsigned n_bases, uint32_t nh_lo,
		     uint64_t *seed);
void tl_addr(struct ttable *t, const uint8_t a[16]);
// Adds the first and last address of every rule and their neighbours (+-1, within the family).
void tl_boundary_addrs(struct ttable *t);
// Adds n addresses: uniform random, and random inside random rules.
void tl_random_addrs(struct ttable *t, size_t n, uint64_t *seed);

// Address helpers over the family's width (bits past it stay zero).
void tl_mask(uint8_t a[16], unsigned plen);
void tl_fill_host(uint8_t a[16], unsigned plen, unsigned width); // host bits to ones
void tl_inc(uint8_t a[16], unsigned width); // +1, wrapping
void tl_dec(uint8_t a[16], unsigned width); // -1, wrapping

// Builds the engine from t's rules (any order). NULL on failure, errno set.
struct molt_fib *tl_build(const struct ttable *t, uint64_t seed, unsigned flags);
// Looks up every address of t in f and in the reference driver loaded with t's rules, with
// bursts of varied sizes; fails the test on the first difference, naming the address.
void tl_check(const struct ttable *t, const struct molt_fib *f);
// Same, for any fib_ops FIB (the molt driver after seal) against the reference.
void tl_check_fib(const struct ttable *t, const struct fib_ops *ops, const struct fib *f);

// The answers of the reference driver for t's addresses, into want[t->na].
void tl_oracle(const struct ttable *t, uint32_t *want);
// The engine's answers, with bursts of varied sizes.
void tl_lookup(const struct ttable *t, const struct molt_fib *f, uint32_t *got);
