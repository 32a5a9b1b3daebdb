// SPDX-License-Identifier: BSD-3-Clause
// The one clock of molt's control code: CLOCK_MONOTONIC in nanoseconds. Timers, ages and
// latencies all use it, so any two of them compare (the route server's feed heartbeat too: the
// same host's monotonic clock). Never on the fast path (workers use the TSC).
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t molt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

// Wall-clock time (CLOCK_REALTIME) in nanoseconds, for timestamps a person reads.
static inline uint64_t molt_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static inline uint64_t molt_now_ms(void)
{
	return molt_now_ns() / UINT64_C(1000000);
}
