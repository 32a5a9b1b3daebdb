// SPDX-License-Identifier: BSD-3-Clause
// Control-plane interfaces: for each port, a kernel interface (DPDK net_tap) of the same name,
// MAC and addresses in the namespace control_plane.netns, where FRR runs. Routing-protocol
// packets for the router go up to it, rate-limited per port; what the kernel sends on it leaves
// through the port. The guard (bpf/) sits on each of these interfaces. Control thread only,
// except cpif_info (any thread: the counters are read racily, as the port counters are).
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/guard.h"
#include "control/config/config.h"

// Per-port counters (names are stable: moltctl, telemetry and tests use them).
#define CPIF_COUNTERS(X) \
	X(UP, "up") \
	X(UP_BYTES, "up_bytes") \
	X(UP_NEIGH, "up_neigh") \
	X(UP_RATE_LIMITED, "up_drop_rate_limited") \
	X(UP_TAP_FULL, "up_drop_tap_full") \
	X(UP_NO_MBUF, "up_drop_no_mbuf") \
	X(DOWN, "down") \
	X(DOWN_SENT, "down_sent") \
	X(DOWN_NOT_PROTOCOL, "down_drop_not_protocol") \
	X(DOWN_BAD_SOURCE, "down_drop_bad_source")

enum cpif_counter {
#define X(e, s) CPIF_##e,
	CPIF_COUNTERS(X)
#undef X
		CPIF_CTR_MAX
};

// Creates the interfaces (net_tap, in control_plane.netns, with the ports' MACs and addresses),
// starts them and attaches the guard. Nothing when the config has no control_plane. mp is the
// pool the taps receive into and neighbour copies come from. 0 or -errno with err.
int cpif_init(const struct molt_config *cfg, struct rte_mempool *mp, char *err, size_t errlen);
// Closes the interfaces (the kernel removes them) and unloads the guards.
void cpif_fini(void);

// A packet addressed to the router, received on port: when it is routing-protocol traffic and
// port has a control-plane interface, sends it up (or drops it over the rate, counted) and
// returns true (m consumed); else false and m is the caller's.
bool cpif_punt_local(struct rte_mbuf *m, uint16_t port);
// A punted ARP or ND packet received on port, before moltd's own neighbour code takes it: ARP
// replies and neighbour advertisements to the router are copied up, so that the kernel can
// resolve its peers. m stays the caller's.
void cpif_neigh_copy(const struct rte_mbuf *m, uint16_t port);
// Reads what the kernel sent on the interfaces and sends the admitted frames out of their
// ports. Returns how many frames it read.
unsigned cpif_poll(void);

struct cpif_info {
	char ifname[16];
	int ifindex; // in control_plane.netns
	uint16_t tap_port; // DPDK port id of the tap
	uint64_t ctr[CPIF_CTR_MAX];
	bool guard; // a guard is attached
	uint64_t guard_ctr[GUARD_CTR_MAX];
};

// True when the config has a control plane (its namespace: cpif_netns()).
bool cpif_enabled(void);
const char *cpif_netns(void);
// The interface of DPDK port `port`: 0, or -ENOENT when it has none.
int cpif_info(uint16_t port, struct cpif_info *out);
const char *cpif_counter_name(unsigned c);
