// SPDX-License-Identifier: BSD-3-Clause
// The config's control_plane section: its settings (struct molt_cp_conf, a member of struct
// molt_config) and its parser, which config.c's get_root calls.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/json/json_check.h"

// control_plane: the kernel interfaces of the control-plane namespace (docs/control-plane.md).
#define MOLT_CP_MAX_PEERS 64
#define MOLT_CP_MAX_PROTOCOLS 16
#define MOLT_CP_NETNS_MAX 64

struct molt_cp_peer {
	uint8_t family;
	uint8_t ip[16]; // network order; IPv4 in the first 4 bytes
};

// An extra protocol for the control plane: IP protocol and port (0 for none).
struct molt_cp_proto {
	uint8_t proto;
	uint16_t port;
};

struct molt_cp_conf {
	bool enabled; // the section is present
	char netns[MOLT_CP_NETNS_MAX]; // control_plane.netns (required)
	uint16_t n_peers;
	struct molt_cp_peer peers[MOLT_CP_MAX_PEERS]; // control_plane.peers
	uint16_t n_protocols;
	struct molt_cp_proto protocols[MOLT_CP_MAX_PROTOCOLS]; // control_plane.protocols
	uint32_t rate_per_sec; // control_plane.rate_per_sec, per port, default 5000
	uint32_t burst; // control_plane.burst, default 500
	bool guard; // control_plane.guard, default true
};

// Parses v (the control_plane object) into cp, reporting the first mistake through c.
int config_get_control_plane(struct jcheck *c, struct molt_cp_conf *cp, const json_t *v);
