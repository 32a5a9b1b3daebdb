// SPDX-License-Identifier: BSD-3-Clause
// The bucket table of a next-hop group (dataplane/ecmp.h explains how workers use it).
#pragma once

#include <stdint.h>

#include "common/route.h"
#include "dataplane/ecmp.h"

// Buckets per table: at least this many, so that the flows of a path that cannot be used
// spread over the others rather than all moving to one neighbour in the table.
#define NH_GROUP_MIN_BUCKETS 64
// The largest table: 16 paths of weight 256, scaled to the smallest whole multiple.
#define NH_GROUP_MAX_BUCKETS ECMP_MAX_BUCKETS

// Fills buckets with path i (0..n) weights[i] * k times, k the smallest factor that gives at
// least NH_GROUP_MIN_BUCKETS (or 1), in an order shuffled by a generator seeded from the
// weights alone: the same group gives the same table everywhere. Returns the number of buckets,
// or -EINVAL (n outside 1..MOLT_MAX_PATHS, a weight outside 1..MOLT_WEIGHT_MAX, max too
// small).
int nh_group_buckets(const uint16_t *weights, unsigned n, uint8_t *buckets, uint32_t max);
