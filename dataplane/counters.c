// SPDX-License-Identifier: BSD-3-Clause
// Counter storage and the read side: summing over worker columns happens only when someone
// asks (telemetry, moltctl, exit), never on the fast path.
#include <string.h>

#include "dataplane/counters.h"

const char *const molt_drop_names[MOLT_DROP_MAX] = {
#define X(e, s) [MOLT_DROP_##e] = s,
	MOLT_DROP_REASONS(X)
#undef X
};

struct port_counters molt_port_ctr[MOLT_MAX_PORTS][MOLT_MAX_WORKERS + 1];
struct worker_counters molt_worker_ctr[MOLT_MAX_WORKERS + 1];

void molt_port_counters_sum(uint16_t port, struct port_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (port >= MOLT_MAX_PORTS)
		return;
	for (unsigned w = 0; w < MOLT_MAX_WORKERS + 1; w++) {
		// Workers store plain uint64_t values; a volatile read keeps the compiler from
		// caching them across calls (a torn read is impossible for aligned 64-bit words).
		const volatile struct port_counters *c = &molt_port_ctr[port][w];
		out->rx += c->rx;
		out->tx += c->tx;
		out->forwarded += c->forwarded;
		out->punted += c->punted;
		out->rx_bytes += c->rx_bytes;
		out->tx_bytes += c->tx_bytes;
		for (unsigned r = 0; r < MOLT_DROP_MAX; r++)
			out->drops[r] += c->drops[r];
	}
}

void molt_port_counters_reset(uint16_t port)
{
	if (port >= MOLT_MAX_PORTS)
		return;
	for (unsigned w = 0; w < MOLT_MAX_WORKERS + 1; w++)
		memset(&molt_port_ctr[port][w], 0, sizeof(molt_port_ctr[port][w]));
}

uint64_t molt_port_drops_total(const struct port_counters *c)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < MOLT_DROP_MAX; r++)
		if (r != MOLT_DROP_ICMP_RATE_LIMITED)
			n += c->drops[r];
	return n;
}
