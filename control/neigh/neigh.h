// SPDX-License-Identifier: BSD-3-Clause
// Neighbours (ARP for IPv4, ND for IPv6): resolution, static entries, ageing, the hold queue,
// and pushing resolved MACs into every live slot's next-hop entries and the on-link table
// (molt_dp.neigh) with single atomic stores. Control thread only.
// Implemented by neigh_resolve.c (init, resolution, timers), neigh_table.c (static entries,
// slots, walk), arp.c and nd.c (input); the folder's other headers are its own.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <stdint.h>

#include "control/config/config.h"
#include "dataplane/dataplane.h"

// Creates the on-link lookup tables in molt_dp.neigh and loads cfg's static neighbours.
int neigh_init(const struct molt_config *cfg, uint32_t capacity);
void neigh_fini(void);

// Adds/removes a static (permanent) neighbour. port is a DPDK port id.
int neigh_add_static(uint8_t family, const uint8_t ip[16], const struct rte_ether_addr *mac,
		     uint16_t port);
int neigh_del_static(uint8_t family, const uint8_t ip[16], uint16_t port);

// A new slot becomes live: fill each gateway next hop's l2 from what is known (FORWARD when
// resolved, else UNRESOLVED) and keep it updated from now on. detach before the slot is freed.
void neigh_slot_attach(struct slot *s);
void neigh_slot_detach(struct slot *s);
// Next hops were added to an attached slot (live updates): fill them from what is known. Not
// attached yet: same as neigh_slot_attach.
void neigh_slot_refresh(struct slot *s);

// Handles a punted ARP packet or ND (NS/NA) packet received on in_port. Consumes m.
void neigh_input_arp(struct rte_mbuf *m, uint16_t in_port);
void neigh_input_nd(struct rte_mbuf *m, uint16_t in_port);

// A packet needs neighbour `ip` on `port`: start resolution (if not already) and hold the
// packet (up to cfg->neigh_hold per neighbour; oldest dropped, counted). Consumes m.
void neigh_resolve_and_hold(struct rte_mbuf *m, uint8_t family, const uint8_t ip[16],
			    uint16_t port);

// Timers: retransmit requests, expire unanswered ones (dropping held packets, counted), age
// reachable entries (re-probe before expiry). Call often from the control loop.
void neigh_poll(uint64_t now_ns);

// For neigh.list and telemetry: calls cb for each entry.
struct neigh_info {
	uint8_t family;
	uint8_t ip[16];
	struct rte_ether_addr mac;
	uint16_t port;
	const char *state; // "static", "reachable", "stale", "incomplete", "failed"
	uint64_t age_ms;
	uint32_t held; // packets waiting
};
void neigh_walk(void (*cb)(const struct neigh_info *n, void *arg), void *arg);
