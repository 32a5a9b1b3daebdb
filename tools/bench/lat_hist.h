// SPDX-License-Identifier: BSD-3-Clause
// Latency histogram with log-linear buckets (the HdrHistogram idea): exact below 128, then 64
// buckets per power of two, so any value from one TSC cycle to 2^64 is kept within 1.6 %
// in 3776 counters. Adding is a few instructions: it runs per packet on the generator lcore.
#pragma once

#include <stdint.h>

#define LAT_HIST_HALF 64u // buckets per power of two
#define LAT_HIST_BUCKETS (LAT_HIST_HALF * 59) // shifts 0..57, plus the exact range

struct lat_hist {
	uint64_t count, min, max;
	double sum;
	uint64_t bucket[LAT_HIST_BUCKETS];
};

// Values below 2 * LAT_HIST_HALF are their own bucket; above, the value's top 7 bits (the
// leading one and 6 more) pick one of 64 buckets in its power of two.
static inline unsigned lat_hist_index(uint64_t v)
{
	unsigned shift;

	if (v < 2 * LAT_HIST_HALF)
		return (unsigned)v;
	shift = (unsigned)(63 - __builtin_clzll(v)) - 6;
	return LAT_HIST_HALF * shift + (unsigned)(v >> shift);
}

static inline void lat_hist_add(struct lat_hist *h, uint64_t v)
{
	h->bucket[lat_hist_index(v)]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += (double)v;
}

void lat_hist_reset(struct lat_hist *h);

// Highest value of bucket idx (what a value in it is reported as).
uint64_t lat_hist_bucket_high(unsigned idx);

// The value at quantile q (0..1): the high end of the bucket holding the ceil(q * count)-th
// smallest value, never above the exact maximum. 0 for an empty histogram.
uint64_t lat_hist_quantile(const struct lat_hist *h, double q);
