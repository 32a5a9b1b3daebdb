// SPDX-License-Identifier: BSD-3-Clause
// From the caller's rules to the builder's: validation, one key form for both families, and a
// sort when the list does not come sorted (the wrapper's rule hash has no order).

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/molt/molt_build.h"

// The digits of a key, most significant first: 16 address bytes, then plen.
#define KEY_DIGITS 17

static inline unsigned key_digit(const struct molt_key *k, unsigned d)
{
	if (d == 16)
		return k->plen;
	return (unsigned)((d < 8 ? k->hi >> (56 - 8 * d) : k->lo >> (120 - 8 * d)) & 0xff);
}

static inline int key_cmp(const struct molt_key *a, const struct molt_key *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

struct molt_key *molt_sort_keys(struct molt_key *k, struct molt_key *tmp, size_t n)
{
	uint32_t count[KEY_DIGITS][256];
	unsigned digits[KEY_DIGITS], nd = 0;
	uint64_t vh = 0, vl = 0;
	unsigned vp = 0;

	if (n == 0)
		return k;
	// A digit every key shares (IPv4's last 12 bytes, the zero tail of most IPv6 prefixes)
	// orders nothing: only the digits that vary are counted and sorted on.
	for (size_t i = 1; i < n; i++) {
		vh |= k[i].hi ^ k[0].hi;
		vl |= k[i].lo ^ k[0].lo;
		vp |= (unsigned)(k[i].plen ^ k[0].plen);
	}
	for (unsigned d = 0; d < KEY_DIGITS; d++) {
		uint64_t v = d < 8 ? vh >> (56 - 8 * d) : d < 16 ? vl >> (120 - 8 * d) : vp;

		if ((v & 0xff) != 0)
			digits[nd++] = d;
	}
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < nd; j++)
			count[digits[j]][key_digit(&k[i], digits[j])]++;
	// Least significant digit first.
	while (nd-- > 0) {
		unsigned d = digits[nd];
		uint32_t at = 0;

		for (unsigned v = 0; v < 256; v++) {
			uint32_t c = count[d][v];

			count[d][v] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[d][key_digit(&k[i], d)]++] = k[i];
		struct molt_key *t = k;
		k = tmp;
		tmp = t;
	}
	return k;
}

// Builds from keys that are valid but in any order.
static struct molt_fib *build_keys(uint8_t family, struct molt_key *k, size_t n, bool sorted,
				   uint64_t seed, unsigned flags)
{
	struct molt_key *tmp = NULL, *s = k;
	struct molt_fib *f = NULL;

	if (!sorted) {
		tmp = malloc(n * sizeof(*tmp));
		if (tmp == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		s = molt_sort_keys(k, tmp, n);
	}
	for (size_t i = 1; i < n; i++)
		if (key_cmp(&s[i - 1], &s[i]) == 0) {
			errno = EINVAL;
			goto out;
		}
	f = molt_build_keys(family, s, n, seed, flags);
out:
	if (tmp != NULL) {
		explicit_bzero(tmp, n * sizeof(*tmp));
		free(tmp);
	}
	return f;
}

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

// Whether the bits of the 128-bit (hi, lo) past plen are all zero.
static bool host_bits_zero(uint64_t hi, uint64_t lo, uint8_t plen)
{
	if (plen >= 64)
		return plen == 128 || (lo << (plen - 64)) == 0;
	return (plen == 0 ? hi : hi << plen) == 0 && lo == 0;
}

// An IPv4 rule as one word, prefix, plen and next hop from the top, so that an IPv4 sort moves
// 8 bytes a rule rather than a key's 24.
static inline uint64_t rule4_word(const struct molt_rule4 *r)
{
	return (uint64_t)r->prefix << 32 | (uint64_t)r->plen << 24 | r->nh;
}

// Sorts w[0..n) on bytes 3 to 7 (prefix, then plen), least significant first, skipping the
// bytes every word shares. Returns the sorted array, w or tmp.
static uint64_t *sort_words(uint64_t *w, uint64_t *tmp, size_t n)
{
	uint64_t vary = 0;

	for (size_t i = 1; i < n; i++)
		vary |= w[i] ^ w[0];
	for (unsigned shift = 24; shift < 64; shift += 8) {
		uint32_t count[256] = { 0 }, at = 0;

		if ((vary >> shift & 0xff) == 0)
			continue;
		for (size_t i = 0; i < n; i++)
			count[w[i] >> shift & 0xff]++;
		for (unsigned v = 0; v < 256; v++) {
			uint32_t c = count[v];

			count[v] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[w[i] >> shift & 0xff]++] = w[i];
		uint64_t *t = w;
		w = tmp;
		tmp = t;
	}
	return w;
}

static struct molt_fib *build_rules4(const struct molt_rule4 *rules, size_t n, uint64_t seed,
				     unsigned flags)
{
	struct molt_key *k = malloc((n + 1) * sizeof(*k));
	uint64_t *w = NULL, *s = NULL;
	struct molt_fib *f = NULL;
	bool sorted = true;

	errno = ENOMEM;
	if (k == NULL)
		goto out;
	errno = EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct molt_rule4 *r = &rules[i];

		if (r->plen > 32 || r->nh >= FIB_NH_MAX ||
		    !host_bits_zero((uint64_t)r->prefix << 32, 0, r->plen))
			goto out;
		sorted = sorted &&
			 (i == 0 || rule4_word(&rules[i - 1]) >> 24 <= rule4_word(r) >> 24);
	}
	// Sorted (a slot build's feed): straight into keys; else through words, sorted first.
	if (!sorted) {
		errno = ENOMEM;
		if ((w = malloc(2 * (n + 1) * sizeof(*w))) == NULL)
			goto out;
		for (size_t i = 0; i < n; i++)
			w[i] = rule4_word(&rules[i]);
		s = sort_words(w, w + n + 1, n);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t x = s != NULL ? s[i] : rule4_word(&rules[i]);

		k[i] = (struct molt_key){ .hi = x >> 32 << 32,
					  .nh = (uint32_t)x & 0xffffff,
					  .plen = (uint8_t)(x >> 24) };
	}
	f = build_keys(4, k, n, true, seed, flags);
out:
	if (w != NULL)
		explicit_bzero(w, 2 * (n + 1) * sizeof(*w));
	if (k != NULL)
		explicit_bzero(k, (n + 1) * sizeof(*k));
	free(w);
	free(k);
	return f;
}

static struct molt_fib *build_rules6(const struct molt_rule6 *rules, size_t n, uint64_t seed,
				     unsigned flags)
{
	// One extra so that n == 0 still gets an allocation to free.
	struct molt_key *k = malloc((n + 1) * sizeof(*k));
	struct molt_fib *f = NULL;
	bool sorted = true;

	if (k == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct molt_rule6 *r = &rules[i];

		k[i] = (struct molt_key){ .hi = load_be64(r->prefix),
					  .lo = load_be64(r->prefix + 8),
					  .nh = r->nh,
					  .plen = r->plen };
		if (r->plen > 128 || r->nh >= FIB_NH_MAX ||
		    !host_bits_zero(k[i].hi, k[i].lo, r->plen)) {
			errno = EINVAL;
			goto out;
		}
		sorted = sorted && (i == 0 || key_cmp(&k[i - 1], &k[i]) <= 0);
	}
	f = build_keys(6, k, n, sorted, seed, flags);
out:
	explicit_bzero(k, (n + 1) * sizeof(*k));
	free(k);
	return f;
}

static bool bad_args(const void *rules, size_t n, unsigned flags)
{
	if ((rules == NULL && n > 0) || (flags & ~(MOLT_BUILD_NO_THP | MOLT_BUILD_NO_AVX2)) != 0) {
		errno = EINVAL;
		return true;
	}
	return false;
}

struct molt_fib *molt4_build(const struct molt_rule4 *rules, size_t n, uint64_t seed,
			     unsigned flags)
{
	return bad_args(rules, n, flags) ? NULL : build_rules4(rules, n, seed, flags);
}

struct molt_fib *molt6_build(const struct molt_rule6 *rules, size_t n, uint64_t seed,
			     unsigned flags)
{
	return bad_args(rules, n, flags) ? NULL : build_rules6(rules, n, seed, flags);
}

struct molt_fib *molt_build_keys(uint8_t family, const struct molt_key *k, size_t n, uint64_t seed,
				 unsigned flags)
{
	if (n > MOLT_INDEX_MAX) {
		errno = E2BIG;
		return NULL;
	}
	return molt_image_build(family, k, n, seed, flags);
}
