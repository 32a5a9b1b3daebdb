// SPDX-License-Identifier: BSD-3-Clause
// Per-worker, per-ingress-port token buckets for ICMP errors (time exceeded, unreachable), so
// a flood of expiring or unroutable packets cannot turn into a flood of control-thread work
// and ICMP. Time comes from the TSC: no syscalls on the fast path.
#include <rte_cycles.h>

#include "dataplane/dp_priv.h"

bool dp_icmp_allow(struct dp_ctx *c)
{
	struct dp_icmp_bucket *b = &c->ws->icmp[c->in_port];
	uint64_t rate = molt_dp.icmp_tokens_per_sec;
	uint64_t burst = molt_dp.icmp_burst;
	uint64_t now, cost, cap, elapsed;

	if (rate == 0 || burst == 0)
		return false;
	// Division is fine here: this is the slow branch taken only for packets owed an error.
	cost = rte_get_tsc_hz() / rate;
	if (cost == 0)
		cost = 1;
	cap = burst > UINT64_MAX / cost ? UINT64_MAX : burst * cost;
	now = rte_rdtsc();
	elapsed = now - b->last_tsc;
	b->last_tsc = now;
	if (b->credit > cap) // the rate was lowered
		b->credit = cap;
	// A bucket never used starts full (last_tsc 0 makes elapsed huge).
	b->credit = elapsed >= cap - b->credit ? cap : b->credit + elapsed;
	if (b->credit < cost)
		return false;
	b->credit -= cost;
	return true;
}

void dp_icmp_reset(uint16_t worker_id)
{
	if (worker_id < MOLT_MAX_WORKERS)
		memset(dp_wstate[worker_id].icmp, 0, sizeof(dp_wstate[worker_id].icmp));
}
