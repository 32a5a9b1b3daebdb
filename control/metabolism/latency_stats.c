// SPDX-License-Identifier: BSD-3-Clause
#include <stdlib.h>
#include <string.h>

#include "control/metabolism/latency_stats.h"

void latency_stats_add(struct latency_stats *l, uint64_t ns)
{
	l->v[l->n % LATENCY_SAMPLES] = ns;
	l->n++;
	l->sum += ns;
	if (ns > l->max)
		l->max = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

// Sorting a copy costs a few hundred microseconds at most: only status requests call this.
uint64_t latency_stats_pct(const struct latency_stats *l, double p)
{
	uint64_t n = l->n < LATENCY_SAMPLES ? l->n : LATENCY_SAMPLES, r;
	uint64_t *c;

	if (n == 0)
		return 0;
	c = malloc(n * sizeof(*c));
	if (c == NULL)
		return 0;
	memcpy(c, l->v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_u64);
	r = c[(uint64_t)((double)(n - 1) * p / 100.0 + 0.5)];
	free(c);
	return r;
}
