// SPDX-License-Identifier: BSD-3-Clause
// The planner's state, shared by slot_plan.c (the rules) and slot_build.c (which also uses its
// next-hop set and connected keys while loading a slot). Control or builder thread.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "control/slot/nh_set.h"
#include "control/slot/slot_build.h"

#define MAX_KEYS (MOLT_MAX_PORTS * (MOLT_MAX_ADDRS_PER_PORT * 4 + 1) + 8)

struct key {
	uint8_t family;
	uint8_t plen;
	uint16_t port_id;	// for connected subnets
	uint32_t nh;
	uint8_t prefix[16];	// host bits zero
};

#define GW_MEMO_SIZE 64	// power of two

// One remembered onlink_port answer (slot_plan.c).
struct gw_memo {
	uint8_t family;		// 0: empty
	uint8_t gw[16];
	int port;
};

struct slot_planner {
	const struct molt_config *cfg;
	struct nh_set set;
	uint32_t nh_drop, nh_local, nh_blackhole;
	uint32_t port_nh[MOLT_MAX_PORTS];	// NH_CONNECTED entry, by config port index
	struct key keys[MAX_KEYS];		// connected subnets first, then local routes
	unsigned n_keys, n_subnets;
	bool plen_used[2][129];			// [family == 6][plen]: "could be shadowed"
	char last_dev[MOLT_PORT_NAME_MAX];	// one-entry cache for the port name lookup
	int last_port;
	struct gw_memo gw_memo[GW_MEMO_SIZE];	// by gateway hash: a feed has few gateways
	uint64_t rej[SLOT_REJECT_MAX];
	struct molt_route rej_example[SLOT_REJECT_MAX];
};
