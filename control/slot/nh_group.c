// SPDX-License-Identifier: BSD-3-Clause
// Next-hop group bucket tables (nh_group.h).
#include <errno.h>

#include "common/route.h"
#include "control/slot/nh_group.h"

int nh_group_buckets(const uint16_t *weights, unsigned n, uint8_t *buckets, uint32_t max)
{
	uint32_t total = 0, k, count = 0;
	uint64_t state = 0x6e68677270ULL; // "nhgrp"

	if (n == 0 || n > MOLT_MAX_PATHS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (weights[i] < 1 || weights[i] > MOLT_WEIGHT_MAX)
			return -EINVAL;
		total += weights[i];
		state = molt_mix64(state ^ weights[i]) + i;
	}
	k = total >= NH_GROUP_MIN_BUCKETS ? 1 : (NH_GROUP_MIN_BUCKETS + total - 1) / total;
	if ((uint64_t)total * k > max)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		for (uint32_t j = 0; j < weights[i] * k; j++)
			buckets[count++] = (uint8_t)i;
	// Fisher-Yates with a generator of molt's own (not rand(): the order must not depend on
	// the libc or on anything but the weights).
	for (uint32_t i = count - 1; i > 0; i--) {
		uint32_t j;
		uint8_t t;

		state = molt_mix64(state + 0x9e3779b97f4a7c15ULL);
		j = (uint32_t)(state % (i + 1));
		t = buckets[i];
		buckets[i] = buckets[j];
		buckets[j] = t;
	}
	return (int)count;
}
