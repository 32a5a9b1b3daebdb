// SPDX-License-Identifier: BSD-3-Clause
// Per-port, per-worker counters: each worker writes only its own cache-aligned block, so no
// atomics or locks; readers (control, telemetry) sum over workers and accept slightly stale
// values.
#pragma once

#include <rte_common.h>
#include <stdint.h>

#define MOLT_MAX_PORTS 32
#define MOLT_MAX_WORKERS 64

// Why a packet did not leave as forwarded. Names are stable: telemetry, moltctl and tests use
// them.
#define MOLT_DROP_REASONS(X) \
	X(ETH_TOO_SHORT, "eth_too_short") \
	X(L2_NOT_FOR_US, "l2_not_for_us") \
	X(ETHERTYPE_UNKNOWN, "ethertype_unknown") \
	X(IP4_TOO_SHORT, "ip4_too_short") \
	X(IP4_BAD_VERSION, "ip4_bad_version") \
	X(IP4_BAD_IHL, "ip4_bad_ihl") \
	X(IP4_BAD_TOTAL_LENGTH, "ip4_bad_total_length") \
	X(IP4_BAD_CHECKSUM, "ip4_bad_checksum") \
	X(IP4_BAD_SOURCE, "ip4_bad_source") \
	X(IP6_TOO_SHORT, "ip6_too_short") \
	X(IP6_BAD_VERSION, "ip6_bad_version") \
	X(IP6_BAD_PAYLOAD_LENGTH, "ip6_bad_payload_length") \
	X(IP6_BAD_SOURCE, "ip6_bad_source") \
	X(TTL_EXCEEDED, "ttl_exceeded") \
	X(NO_ROUTE, "no_route") \
	X(BLACKHOLE, "blackhole") \
	X(NOT_FORWARDABLE, "not_forwardable") \
	X(NEIGH_UNRESOLVED, "neigh_unresolved") \
	X(PUNT_RING_FULL, "punt_ring_full") \
	X(ICMP_RATE_LIMITED, "icmp_rate_limited") \
	X(TX_FULL, "tx_full") \
	X(NO_SLOT, "no_slot") \
	X(LOCAL_DROPPED, "local_dropped")

enum molt_drop_reason {
#define X(e, s) MOLT_DROP_##e,
	MOLT_DROP_REASONS(X)
#undef X
		MOLT_DROP_MAX
};

extern const char *const molt_drop_names[MOLT_DROP_MAX];

struct port_counters {
	uint64_t rx; // packets received on this port
	uint64_t tx; // packets sent out of this port (forwarded + generated)
	uint64_t forwarded; // received here and sent on (any egress)
	uint64_t punted; // handed to the control thread
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t drops[MOLT_DROP_MAX]; // by reason, counted on the ingress port
} __rte_cache_aligned;

struct worker_counters {
	uint64_t bursts; // non-empty rx bursts
	uint64_t idle_polls; // rx polls that returned nothing
	uint64_t flips_seen; // times this worker saw a new active slot
	uint64_t busy_cycles; // TSC cycles of polling passes that received packets (rx included)
} __rte_cache_aligned;

// [port][worker], plus one extra "worker" column for the control thread's own tx/drops.
extern struct port_counters molt_port_ctr[MOLT_MAX_PORTS][MOLT_MAX_WORKERS + 1];
extern struct worker_counters molt_worker_ctr[MOLT_MAX_WORKERS + 1];

// Sums a port's counters over all columns into *out.
void molt_port_counters_sum(uint16_t port, struct port_counters *out);
// Packets dropped, over all reasons but icmp_rate_limited, which is a sub-count of
// ttl_exceeded / no_route (the ICMP error those drops owed was suppressed), not a drop of its own.
uint64_t molt_port_drops_total(const struct port_counters *c);
// Zeroes a port's counters (racy against workers by design: a reset is best effort).
void molt_port_counters_reset(uint16_t port);
