// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for the molt engine's builders (molt4_build, molt6_build) and lookups. The
// input is a route list, valid or not, in any order; a valid one must build, and every lookup
// must give what a linear scan of the list gives (the longest matching rule's next hop, or
// FIB_NH_MISS); an invalid one must fail with EINVAL.
//
// Input: byte 0 is flags, byte 1 the build seed, then one record per rule:
//   IPv4 (8 bytes):  ctl, plen, 4 address bytes, 2 next-hop bytes (little endian)
//   IPv6 (12 bytes): ctl, plen, 8 address bytes, 2 next-hop bytes
// flags: bit 0 IPv6; bit 1 rules go in as they come (else sorted, the feed's order); bit 2
// MOLT_BUILD_NO_THP; bits 3+4 both: an unknown build flag; bits 5+6 both: rules NULL; bit 7
// MOLT_BUILD_NO_AVX2.
// ctl: bit 0 the address bytes are XORed into the previous rule's prefix (a neighbour, a
// nested or an enclosing rule) rather than into zero; bits 1-3 how far right (IPv4: 4 bits a
// step) or down (IPv6: 9 bits a step, the 8 bytes being 64 address bits) the bytes go; bit 6
// host bits past plen are kept (else cleared); bit 7 the previous rule's prefix and plen again
// (a duplicate). plen: a byte >= 0xf8 gives width + 1 + (byte & 7) (out of range), else
// byte % (width + 1). Next hop: a 16-bit n below 0xc000 is itself; above, FIB_NH_MAX - 1 -
// (n & 0xff), or FIB_NH_MAX + (n & 0xff) (out of range) when bit 13 is set.
//
// Looked up: every rule's first and last address and their neighbours (+-1), random addresses
// inside every rule, uniform random addresses and the family's first and last address, in
// bursts of varied sizes.

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/molt/molt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef unsigned __int128 u128;

// One rule of either family: IPv4 addresses are the top 32 bits of a 128-bit value, so that
// one reference serves both.
struct frule {
	u128 prefix;
	uint32_t nh;
	uint8_t plen;
};

#define MAX_RULES 1024
#define MAX_ADDRS (MAX_RULES * 8 + 256)

static struct frule rules[MAX_RULES];
static u128 addrs[MAX_ADDRS];
static uint32_t got[MAX_ADDRS];
static struct molt_rule4 r4[MAX_RULES];
static struct molt_rule6 r6[MAX_RULES];
static uint32_t a4[MAX_ADDRS];
static uint8_t a6[MAX_ADDRS][16];

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

// The address bits a plen covers, within the family's width (from the top of 128 bits).
static u128 net_mask(unsigned plen)
{
	return plen == 0 ? 0 : ~(u128)0 << (128 - plen);
}

static u128 width_mask(unsigned width)
{
	return net_mask(width);
}

static void die(const char *what, unsigned width, u128 a, uint32_t g, uint32_t w, size_t n)
{
	fprintf(stderr, "fuzz_molt: %s: IPv%u address %016llx%016llx: got %u want %u (%zu rules)\n",
		what, width == 32 ? 4u : 6u, (unsigned long long)(a >> 64), (unsigned long long)a,
		g, w, n);
	abort();
}

// The reference: the longest rule containing a, by a scan of every rule.
static uint32_t scan(const struct frule *r, size_t n, u128 a)
{
	int best = -1;
	uint32_t nh = FIB_NH_MISS;

	for (size_t i = 0; i < n; i++) {
		if ((int)r[i].plen > best && ((a ^ r[i].prefix) & net_mask(r[i].plen)) == 0) {
			best = r[i].plen;
			nh = r[i].nh;
		}
	}
	return nh;
}

static int rule_cmp(const void *x, const void *y)
{
	const struct frule *a = x, *b = y;

	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

// Whether the builder must accept the list: every field in range, no host bit set, no
// prefix/plen twice. Sorts a copy to find duplicates.
static bool list_valid(const struct frule *r, size_t n, unsigned width)
{
	static struct frule s[MAX_RULES];

	for (size_t i = 0; i < n; i++)
		if (r[i].plen > width || r[i].nh >= FIB_NH_MAX ||
		    (r[i].prefix & ~net_mask(r[i].plen)) != 0)
			return false;
	memcpy(s, r, n * sizeof(*s));
	qsort(s, n, sizeof(*s), rule_cmp);
	for (size_t i = 1; i < n; i++)
		if (rule_cmp(&s[i - 1], &s[i]) == 0)
			return false;
	return true;
}

// Parses the records into rules[]. Returns how many.
static size_t parse(const uint8_t *p, size_t size, unsigned width)
{
	size_t rec = width == 32 ? 8 : 12, n = 0;

	for (size_t off = 0; off + rec <= size && n < MAX_RULES; off += rec, n++) {
		const uint8_t *q = p + off;
		uint8_t ctl = q[0], pb = q[1];
		uint16_t nb = (uint16_t)(q[rec - 2] | q[rec - 1] << 8);
		struct frule *r = &rules[n];
		u128 prev = n > 0 ? rules[n - 1].prefix : 0, v = 0;
		unsigned shift = (ctl >> 1) & 7;

		if (width == 32) {
			for (unsigned i = 0; i < 4; i++)
				v = v << 8 | q[2 + i];
			v = (v >> (4 * shift)) << 96;
		} else {
			for (unsigned i = 0; i < 8; i++)
				v = v << 8 | q[2 + i];
			v = (v << 64) >> (9 * shift);
		}
		r->prefix = ((ctl & 1) ? prev ^ v : v) & width_mask(width);
		r->plen = pb >= 0xf8 ? (uint8_t)(width + 1 + (pb & 7))
				     : (uint8_t)(pb % (width + 1));
		if (!(ctl & 0x40))
			r->prefix &= net_mask(r->plen > width ? width : r->plen);
		if ((ctl & 0x80) && n > 0) {
			r->prefix = prev;
			r->plen = rules[n - 1].plen;
		}
		if (nb < 0xc000)
			r->nh = nb;
		else if (nb & 0x2000)
			r->nh = FIB_NH_MAX + (nb & 0xff);
		else
			r->nh = FIB_NH_MAX - 1 - (nb & 0xff);
	}
	return n;
}

// Lookup addresses for the list: see the file comment.
static size_t make_addrs(const struct frule *r, size_t n, unsigned width, uint64_t *rng)
{
	u128 wm = width_mask(width), one = (u128)1 << (128 - width);
	size_t na = 0;

	addrs[na++] = 0;
	addrs[na++] = wm;
	for (size_t i = 0; i < n; i++) {
		u128 first = r[i].prefix & wm, last = (first | ~net_mask(r[i].plen)) & wm;
		u128 x = ((u128)next_rand(rng) << 64 | next_rand(rng)) & wm;

		addrs[na++] = first;
		addrs[na++] = (first - one) & wm;
		addrs[na++] = last;
		addrs[na++] = (last + one) & wm;
		addrs[na++] = first | (x & ~net_mask(r[i].plen));
		addrs[na++] = x;
	}
	for (unsigned i = 0; i < 64; i++)
		addrs[na++] = ((u128)next_rand(rng) << 64 | next_rand(rng)) & wm;
	return na;
}

static const unsigned bursts[] = { 1, 64, 3, 65, 200, 7, 128 };

static void lookup(const struct molt_fib *f, unsigned width, size_t na)
{
	for (size_t i = 0; i < na; i++) {
		if (width == 32) {
			a4[i] = (uint32_t)(addrs[i] >> 96);
		} else {
			for (unsigned b = 0; b < 16; b++)
				a6[i][b] = (uint8_t)(addrs[i] >> (120 - 8 * b));
		}
	}
	for (size_t i = 0, k = 0; i < na; k++) {
		unsigned m = bursts[k % (sizeof(bursts) / sizeof(bursts[0]))];

		if (m > na - i)
			m = (unsigned)(na - i);
		if (width == 32)
			molt4_lookup_bulk(f, a4 + i, got + i, m);
		else
			molt6_lookup_bulk(f, (const uint8_t(*)[16])a6 + i, got + i, m);
		i += m;
	}
	// n == 0 is allowed and writes nothing.
	if (width == 32)
		molt4_lookup_bulk(f, a4, got + na, 0);
	else
		molt6_lookup_bulk(f, (const uint8_t(*)[16])a6, got + na, 0);
}

static struct molt_fib *build(unsigned width, size_t n, uint64_t seed, unsigned flags,
			      bool null_rules)
{
	for (size_t i = 0; i < n; i++) {
		if (width == 32) {
			r4[i] = (struct molt_rule4){ .prefix = (uint32_t)(rules[i].prefix >> 96),
						     .nh = rules[i].nh,
						     .plen = rules[i].plen };
		} else {
			r6[i] = (struct molt_rule6){ .nh = rules[i].nh, .plen = rules[i].plen };
			for (unsigned b = 0; b < 16; b++)
				r6[i].prefix[b] = (uint8_t)(rules[i].prefix >> (120 - 8 * b));
		}
	}
	if (width == 32)
		return molt4_build(null_rules ? NULL : r4, n, seed, flags);
	return molt6_build(null_rules ? NULL : r6, n, seed, flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t fl = data[0];
	unsigned width = (fl & 1) ? 128 : 32;
	unsigned flags = ((fl & 4) ? MOLT_BUILD_NO_THP : 0) |
			 ((fl & 0x80) ? MOLT_BUILD_NO_AVX2 : 0);
	bool bad_flags = (fl & 0x18) == 0x18, null_rules = (fl & 0x60) == 0x60;
	size_t n = parse(data + 2, size - 2, width);
	uint64_t rng = data[1];
	struct molt_fib *f;

	for (size_t i = 0; i < size; i++)
		rng = rng * 131 + data[i];
	if (!(fl & 2))
		qsort(rules, n, sizeof(rules[0]), rule_cmp);
	bool valid = list_valid(rules, n, width) && !bad_flags && !(null_rules && n > 0);

	errno = 0;
	f = build(width, n, data[1], flags | (bad_flags ? 0x100u : 0), null_rules);
	if (!valid) {
		if (f != NULL || errno != EINVAL) {
			fprintf(stderr, "fuzz_molt: an invalid list of %zu rules: %s, errno %d\n",
				n, f != NULL ? "built" : "failed", errno);
			abort();
		}
		return 0;
	}
	if (f == NULL) {
		fprintf(stderr, "fuzz_molt: a valid list of %zu rules failed: %s\n", n,
			strerror(errno));
		abort();
	}
	struct molt_stats st;
	molt_get_stats(f, &st);
	if (st.rules != n || st.family != (width == 32 ? 4 : 6))
		abort();

	size_t na = make_addrs(rules, n, width, &rng);
	lookup(f, width, na);
	for (size_t i = 0; i < na; i++) {
		uint32_t want = scan(rules, n, addrs[i]);

		if (got[i] != want)
			die("lookup", width, addrs[i], got[i], want, n);
	}
	molt_free(f);
	return 0;
}
