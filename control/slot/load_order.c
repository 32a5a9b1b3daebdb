// SPDX-License-Identifier: BSD-3-Clause
// LSD radix sort of (64-bit key, index) pairs: linear time, which matters at a million routes
// (qsort costs about as much as the adds it is meant to speed up).
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/slot/load_order.h"

struct item {
	uint64_t key;
	uint32_t idx;
};

// The key orders by address, and for IPv4 then by plen. For IPv6 the top 64 bits decide: a
// routing table's prefixes are almost all /64 or shorter; the few routes that tie are ordered
// afterwards (sort_ties), since slot_size.h counts in this order and relies on it.
static uint64_t key_of(const struct molt_route *r)
{
	uint64_t k;

	if (r->family == 4) {
		uint32_t a;

		memcpy(&a, r->prefix, 4);
		return (uint64_t)be32toh(a) << 8 | r->plen;
	}
	memcpy(&k, r->prefix, 8);
	return be64toh(k);
}

// Returns whichever of the two buffers ends up holding the sorted items. One read of the items
// counts all 8 bytes: counting before each pass read them 8 times, which cost more than the
// passes themselves (IPv4 keys use only 5 bytes).
static struct item *radix_sort(struct item *a, struct item *tmp, uint64_t n)
{
	uint64_t count[8][256] = { { 0 } };

	for (uint64_t i = 0; i < n; i++)
		for (unsigned d = 0; d < 8; d++)
			count[d][(a[i].key >> (d * 8)) & 0xff]++;
	for (unsigned d = 0; d < 8; d++) {
		unsigned shift = d * 8;
		uint64_t *c = count[d], pos = 0;
		struct item *t;

		// A byte that is the same in every key does not reorder anything.
		if (c[(a[0].key >> shift) & 0xff] == n)
			continue;
		for (unsigned b = 0; b < 256; b++) {
			uint64_t v = c[b];

			c[b] = pos;
			pos += v;
		}
		for (uint64_t i = 0; i < n; i++)
			tmp[c[(a[i].key >> shift) & 0xff]++] = a[i];
		t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

struct tie {
	uint8_t low[8]; // the address's last 8 bytes
	uint8_t plen;
	uint32_t idx;
};

static int tie_cmp(const void *a, const void *b)
{
	const struct tie *x = a, *y = b;
	int c = memcmp(x->low, y->low, sizeof(x->low));

	return c != 0 ? c : (int)x->plen - (int)y->plen;
}

// IPv6 routes whose top 64 bits are equal (longer than /64, or /64 and its more specifics)
// are ordered by the rest of the address, then plen. -ENOMEM leaves them as they are.
static int sort_ties(const struct molt_route *routes, const struct item *sorted, uint32_t *out,
		     uint64_t m)
{
	for (uint64_t i = 0, j; i < m; i = j) {
		struct tie *t;

		for (j = i + 1; j < m && sorted[j].key == sorted[i].key; j++)
			;
		if (j - i < 2)
			continue;
		if ((t = malloc((j - i) * sizeof(*t))) == NULL)
			return -ENOMEM;
		for (uint64_t k = i; k < j; k++) {
			memcpy(t[k - i].low, &routes[out[k]].prefix[8], 8);
			t[k - i].plen = routes[out[k]].plen;
			t[k - i].idx = out[k];
		}
		qsort(t, j - i, sizeof(*t), tie_cmp);
		for (uint64_t k = i; k < j; k++)
			out[k] = t[k - i].idx;
		free(t);
	}
	return 0;
}

uint32_t *load_order(const struct molt_route *routes, uint64_t n, const uint32_t *nhs,
		     uint8_t family, uint64_t *count)
{
	struct item *a, *tmp, *sorted;
	uint32_t *out;
	uint64_t m = 0;

	*count = 0;
	for (uint64_t i = 0; i < n; i++)
		m += routes[i].family == family && nhs[i] != UINT32_MAX;
	a = malloc((m ? m : 1) * sizeof(*a));
	tmp = malloc((m ? m : 1) * sizeof(*tmp));
	out = malloc((m ? m : 1) * sizeof(*out));
	if (a == NULL || tmp == NULL || out == NULL) {
		free(a);
		free(tmp);
		free(out);
		return NULL;
	}
	m = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (routes[i].family != family || nhs[i] == UINT32_MAX)
			continue;
		a[m].key = key_of(&routes[i]);
		a[m].idx = (uint32_t)i;
		m++;
	}
	sorted = m > 1 ? radix_sort(a, tmp, m) : a;
	for (uint64_t i = 0; i < m; i++)
		out[i] = sorted[i].idx;
	if (family == 6 && sort_ties(routes, sorted, out, m) < 0) {
		free(out);
		out = NULL;
	}
	free(a);
	free(tmp);
	*count = m;
	return out;
}
