// SPDX-License-Identifier: BSD-3-Clause
// Latency samples for status reports: the last LATENCY_SAMPLES values and the all-time max.
// Single-threaded (control).
#pragma once

#include <stdint.h>

#define LATENCY_SAMPLES 16384

struct latency {
	uint64_t v[LATENCY_SAMPLES];
	uint64_t n;	// samples recorded since start (v holds the last min(n, SAMPLES))
	uint64_t max;
	uint64_t sum;
};

void latency_add(struct latency *l, uint64_t ns);

// Percentile p (0..100) over the retained samples; 0 when there are none.
uint64_t latency_pct(const struct latency *l, double p);
