// SPDX-License-Identifier: BSD-3-Clause
// Latency samples for the metabolism's status report (flip and update latency): the last
// LATENCY_SAMPLES values and the all-time max. Single-threaded (control).
#pragma once

#include <stdint.h>

#define LATENCY_SAMPLES 16384

struct latency_stats {
	uint64_t v[LATENCY_SAMPLES];
	uint64_t n; // samples recorded since start (v holds the last min(n, SAMPLES))
	uint64_t max;
	uint64_t sum;
};

void latency_stats_add(struct latency_stats *l, uint64_t ns);

// Percentile p (0..100) over the retained samples; 0 when there are none.
uint64_t latency_stats_pct(const struct latency_stats *l, double p);
