// SPDX-License-Identifier: BSD-3-Clause

#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/route.h"
#include "molt_tlib.h"

uint64_t tl_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void tl_init(struct ttable *t, int family)
{
	memset(t, 0, sizeof(*t));
	t->family = family;
	t->width = family == 4 ? 32 : 128;
}

void tl_free(struct ttable *t)
{
	free(t->r);
	free(t->a);
	memset(t, 0, sizeof(*t));
}

static void *grow(void *p, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return p;
	*cap = *cap ? *cap * 2 : 1024;
	if (*cap < need)
		*cap = need;
	p = realloc(p, *cap * sz);
	assert_non_null(p);
	return p;
}

void tl_mask(uint8_t a[16], unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;

		a[i] &= bits >= 8 ? 0xff : (uint8_t) ~(0xffu >> bits);
	}
}

void tl_fill_host(uint8_t a[16], unsigned plen, unsigned width)
{
	for (unsigned i = 0; i < width / 8; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;

		a[i] |= bits >= 8 ? 0 : (uint8_t)(0xffu >> bits);
	}
}

void tl_inc(uint8_t a[16], unsigned width)
{
	for (int i = (int)width / 8 - 1; i >= 0; i--)
		if (++a[i] != 0)
			break;
}

void tl_dec(uint8_t a[16], unsigned width)
{
	for (int i = (int)width / 8 - 1; i >= 0; i--)
		if (a[i]-- != 0)
			break;
}

void tl_add(struct ttable *t, const uint8_t p[16], uint8_t plen, uint32_t nh)
{
	struct trule *r;

	t->r = grow(t->r, &t->cap, t->n + 1, sizeof(*t->r));
	r = &t->r[t->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->p, p, t->width / 8);
	tl_mask(r->p, plen);
	r->plen = plen;
	r->nh = nh;
}

static int rule_cmp(const struct trule *a, const struct trule *b)
{
	int c = memcmp(a->p, b->p, 16);

	if (c != 0)
		return c;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

// qsort is not stable: the index breaks ties, so the rule added last is found last.
struct idx_rule {
	struct trule r;
	size_t i;
};

static int idx_cmp(const void *x, const void *y)
{
	const struct idx_rule *a = x, *b = y;
	int c = rule_cmp(&a->r, &b->r);

	return c != 0 ? c : (a->i > b->i) - (a->i < b->i);
}

void tl_unique(struct ttable *t)
{
	struct idx_rule *v = malloc((t->n + 1) * sizeof(*v));
	size_t m = 0;

	assert_non_null(v);
	for (size_t i = 0; i < t->n; i++)
		v[i] = (struct idx_rule){ .r = t->r[i], .i = i };
	qsort(v, t->n, sizeof(*v), idx_cmp);
	for (size_t i = 0; i < t->n; i++) {
		if (i + 1 < t->n && rule_cmp(&v[i].r, &v[i + 1].r) == 0)
			continue; // a later add of the same prefix/plen replaces it
		t->r[m++] = v[i].r;
	}
	t->n = m;
	free(v);
}

void tl_shuffle(struct ttable *t, uint64_t *seed)
{
	for (size_t i = t->n; i > 1; i--) {
		size_t j = (size_t)(tl_rand(seed) % i);
		struct trule x = t->r[i - 1];

		t->r[i - 1] = t->r[j];
		t->r[j] = x;
	}
}

void tl_addr(struct ttable *t, const uint8_t a[16])
{
	t->a = grow(t->a, &t->acap, t->na + 1, sizeof(*t->a));
	memset(t->a[t->na], 0, 16);
	memcpy(t->a[t->na++], a, t->width / 8);
}

void tl_boundary_addrs(struct ttable *t)
{
	for (size_t i = 0; i < t->n; i++) {
		uint8_t a[16];

		memcpy(a, t->r[i].p, 16);
		tl_addr(t, a);
		tl_dec(a, t->width);
		tl_addr(t, a);
		memcpy(a, t->r[i].p, 16);
		tl_fill_host(a, t->r[i].plen, t->width);
		tl_addr(t, a);
		tl_inc(a, t->width);
		tl_addr(t, a);
	}
}

void tl_random_addrs(struct ttable *t, size_t n, uint64_t *seed)
{
	for (size_t k = 0; k < n; k++) {
		uint8_t a[16];
		uint64_t x = tl_rand(seed), y = tl_rand(seed);

		memcpy(a, &x, 8);
		memcpy(a + 8, &y, 8);
		if (t->n > 0 && (tl_rand(seed) & 3) != 0) {
			const struct trule *r = &t->r[tl_rand(seed) % t->n];
			uint8_t m[16];

			// r's prefix bits, random host bits.
			memset(m, 0xff, sizeof(m));
			tl_mask(m, r->plen);
			for (unsigned i = 0; i < 16; i++)
				a[i] = (uint8_t)((r->p[i] & m[i]) | (a[i] & ~m[i]));
		}
		tl_addr(t, a);
	}
}

void tl_random_table(struct ttable *t, unsigned n, unsigned n_bases, uint32_t nh_lo, uint64_t *seed)
{
	uint8_t bases[64][16];

	for (unsigned b = 0; b < n_bases; b++)
		for (unsigned i = 0; i < 16; i += 8) {
			uint64_t x = tl_rand(seed);

			memcpy(bases[b] + i, &x, 8);
		}
	for (unsigned i = 0; i < n; i++) {
		uint8_t a[16];
		unsigned plen = (unsigned)(tl_rand(seed) % (t->width + 1));

		memcpy(a, bases[tl_rand(seed) % n_bases], 16);
		// Flip a few bits past a random depth: neighbours, not copies.
		for (unsigned f = 0; f < 3; f++) {
			unsigned bit = (unsigned)(tl_rand(seed) % t->width);

			if (bit >= plen / 2)
				a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		}
		tl_add(t, a, (uint8_t)plen,
		       nh_lo + (uint32_t)(tl_rand(seed) % (FIB_NH_MAX - nh_lo)));
	}
	tl_unique(t);
}

static uint32_t v4_host(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

struct molt_fib *tl_build(const struct ttable *t, uint64_t seed, unsigned flags)
{
	struct molt_fib *f;

	if (t->family == 4) {
		struct molt_rule4 *r = calloc(t->n + 1, sizeof(*r));

		assert_non_null(r);
		for (size_t i = 0; i < t->n; i++)
			r[i] = (struct molt_rule4){ .prefix = v4_host(t->r[i].p),
						    .nh = t->r[i].nh,
						    .plen = t->r[i].plen };
		f = molt4_build(r, t->n, seed, flags);
		free(r);
	} else {
		struct molt_rule6 *r = calloc(t->n + 1, sizeof(*r));

		assert_non_null(r);
		for (size_t i = 0; i < t->n; i++) {
			memcpy(r[i].prefix, t->r[i].p, 16);
			r[i].nh = t->r[i].nh;
			r[i].plen = t->r[i].plen;
		}
		f = molt6_build(r, t->n, seed, flags);
		free(r);
	}
	return f;
}

// Addresses as lookup_bulk takes them: uint32_t host order, or 16 bytes.
static void *api_addrs(const struct ttable *t)
{
	if (t->family == 6)
		return t->a;
	uint32_t *a = malloc((t->na + 1) * sizeof(*a));
	assert_non_null(a);
	for (size_t i = 0; i < t->na; i++)
		a[i] = v4_host(t->a[i]);
	return a;
}

static void free_api_addrs(const struct ttable *t, void *a)
{
	if (a != t->a)
		free(a);
}

void tl_oracle(const struct ttable *t, uint32_t *want)
{
	const struct fib_driver *d = fib_driver_find("reference");
	const struct fib_ops *ops;
	struct fib_conf conf = { .max_routes = (uint32_t)t->n + 1, .socket_id = -1 };
	struct fib *f;
	void *a = api_addrs(t);

	assert_non_null(d);
	ops = t->family == 4 ? d->v4 : d->v6;
	f = ops->create("tl-oracle", &conf);
	assert_non_null(f);
	for (size_t i = 0; i < t->n; i++) {
		uint32_t p4 = v4_host(t->r[i].p);
		const void *key = t->family == 4 ? (const void *)&p4 : t->r[i].p;

		assert_int_equal(ops->add(f, key, t->r[i].plen, t->r[i].nh), 0);
	}
	ops->lookup_bulk(f, a, want, (unsigned)t->na);
	ops->free_scrub(f);
	free_api_addrs(t, a);
}

// Burst sizes: 1, odd sizes, exactly a batch, more than a batch.
static const unsigned bursts[] = { 1, 7, 64, 65, 200, 3, 128, 1000 };

static void lookup_with(const struct ttable *t, const struct fib_ops *ops, const struct fib *fib,
			const struct molt_fib *f, uint32_t *got)
{
	void *a = api_addrs(t);
	size_t asz = t->family == 4 ? 4 : 16;

	for (size_t i = 0, k = 0; i < t->na; k++) {
		unsigned b = bursts[k % (sizeof(bursts) / sizeof(bursts[0]))];
		const void *ai = (const uint8_t *)a + i * asz;

		if (b > t->na - i)
			b = (unsigned)(t->na - i);
		if (ops != NULL)
			ops->lookup_bulk(fib, ai, got + i, b);
		else if (t->family == 4)
			molt4_lookup_bulk(f, ai, got + i, b);
		else
			molt6_lookup_bulk(f, ai, got + i, b);
		i += b;
	}
	free_api_addrs(t, a);
}

void tl_lookup(const struct ttable *t, const struct molt_fib *f, uint32_t *got)
{
	lookup_with(t, NULL, NULL, f, got);
}

static void compare(const struct ttable *t, const uint32_t *want, const uint32_t *got)
{
	for (size_t i = 0; i < t->na; i++) {
		if (want[i] == got[i])
			continue;
		char buf[64];
		uint8_t a[16] = { 0 };

		memcpy(a, t->a[i], 16);
		molt_addr_format((uint8_t)t->family, a, buf, sizeof(buf));
		fail_msg("address #%zu %s: got %u want %u (%zu rules)", i, buf, got[i], want[i],
			 t->n);
	}
}

static void check_with(const struct ttable *t, const struct fib_ops *ops, const struct fib *fib,
		       const struct molt_fib *f)
{
	uint32_t *want = malloc((t->na + 1) * sizeof(*want));
	uint32_t *got = malloc((t->na + 1) * sizeof(*got));

	assert_non_null(want);
	assert_non_null(got);
	tl_oracle(t, want);
	memset(got, 0x5a, (t->na + 1) * sizeof(*got));
	lookup_with(t, ops, fib, f, got);
	compare(t, want, got);
	free(want);
	free(got);
}

void tl_check(const struct ttable *t, const struct molt_fib *f)
{
	check_with(t, NULL, NULL, f);
}

void tl_check_fib(const struct ttable *t, const struct fib_ops *ops, const struct fib *f)
{
	check_with(t, ops, f, NULL);
}
