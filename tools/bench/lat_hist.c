// SPDX-License-Identifier: BSD-3-Clause
// Quantiles of a lat_hist (tools/bench/lat_hist.h); read once, after the run.
#include <math.h>
#include <string.h>

#include "lat_hist.h"

void lat_hist_reset(struct lat_hist *h)
{
	memset(h, 0, sizeof(*h));
}

uint64_t lat_hist_bucket_high(unsigned idx)
{
	unsigned shift;
	uint64_t top;

	if (idx < 2 * LAT_HIST_HALF)
		return idx;
	shift = idx / LAT_HIST_HALF - 1;
	top = idx % LAT_HIST_HALF + LAT_HIST_HALF;
	return ((top + 1) << shift) - 1;
}

uint64_t lat_hist_quantile(const struct lat_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank > h->count)
		rank = h->count;
	for (unsigned i = 0; i < LAT_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t v = lat_hist_bucket_high(i);

			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
