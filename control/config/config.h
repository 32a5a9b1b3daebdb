// SPDX-License-Identifier: BSD-3-Clause
// moltd's configuration (the JSON file given with -c), parsed and validated once at start.
#pragma once

#include <rte_ether.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/route.h"
#include "control/config/control_plane.h"
#include "dataplane/counters.h"

#define MOLT_MAX_ADDRS_PER_PORT 8
#define MOLT_MAX_STATIC_NEIGH 1024
#define MOLT_MAX_SLOT_DRIVERS 8
#define MOLT_DRIVER_NAME_MAX 32

struct molt_ifaddr {
	uint8_t addr[16]; // network order; IPv4 in the first 4 bytes
	uint8_t plen;
};

struct molt_port_conf {
	char name[MOLT_PORT_NAME_MAX];
	char devargs[512];
	uint16_t n_v4, n_v6;
	struct molt_ifaddr v4[MOLT_MAX_ADDRS_PER_PORT];
	struct molt_ifaddr v6[MOLT_MAX_ADDRS_PER_PORT];
	bool has_mac;
	struct rte_ether_addr mac; // from config, or the device's own once started
	// Filled at start-up, not from JSON:
	uint16_t port_id; // DPDK port id
	uint8_t ll6[16]; // IPv6 link-local address (EUI-64 of mac)
};

struct molt_neigh_conf {
	uint8_t family;
	uint8_t ip[16];
	struct rte_ether_addr mac;
	char port[MOLT_PORT_NAME_MAX];
};

struct molt_config {
	uint16_t n_ports;
	struct molt_port_conf ports[MOLT_MAX_PORTS];
	uint16_t n_neigh;
	struct molt_neigh_conf neigh[MOLT_MAX_STATIC_NEIGH];
	char feed_shm[256]; // feed.shm (required)
	char feed_key_file[256]; // feed.key_file: root-only key of the feed's MACs ("": none)
	char control_socket[256]; // control.socket (default /run/molt/moltd.sock)
	char control_group[64]; // control.group owning the socket (default: ours)
	// fib: each slot's FIBs are sized from the table they hold plus a headroom for live
	// updates (control/slot/slot_size.h); the maxima are optional caps, 0 for none
	uint32_t fib_max_routes_v4; // fib.max_routes_v4, default none
	uint32_t fib_max_routes_v6; // fib.max_routes_v6, default none
	uint32_t fib_tbl8_groups_v4; // fib.tbl8_groups_v4, default none
	uint32_t fib_headroom_percent; // fib.headroom_percent, default 25
	char driver[MOLT_DRIVER_NAME_MAX]; // fib.driver (default "molt")
	// metabolism: slots kept, rebuild period, FIB drivers to rotate through
	uint32_t slots; // default 3
	uint32_t interval_ms; // default 10000
	uint16_t
		n_drivers; // metabolism.drivers, default ["molt", "fib"], or fib.driver alone when it is set
	char drivers[MOLT_MAX_SLOT_DRIVERS][MOLT_DRIVER_NAME_MAX];
	uint32_t icmp_rate; // icmp.rate_per_sec per port per worker, default 100
	uint32_t icmp_burst; // icmp.burst, default 10
	uint32_t neigh_timeout_ms; // neighbor_timeout_ms, default 30000
	uint32_t neigh_hold; // packets held per unresolved neighbour, default 3
	struct molt_cp_conf cp; // control_plane, off unless present
	// integrity: the page-MAC audit of live slots (docs/integrity.md)
	uint32_t integrity_budget_percent; // integrity.budget_percent of a core, default 5 (0: off)
	uint32_t integrity_period_ms; // integrity.period_ms, default 1000
	char integrity_alg[16]; // integrity.algorithm: "auto" (default), "aes-cmac", "hmac-sha256"
};

// Parses and validates the config file. On error returns -EINVAL (or -errno for I/O) and
// writes a message naming the file, the key (JSON path like "ports[1].ipv4[0]") and the
// problem into err.
int molt_config_load(const char *path, struct molt_config *cfg, char *err, size_t errlen);

// Finds a configured port by name; NULL if none.
const struct molt_port_conf *molt_config_port(const struct molt_config *cfg, const char *name);
