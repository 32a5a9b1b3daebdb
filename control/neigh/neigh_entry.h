// SPDX-License-Identifier: BSD-3-Clause
// A neighbour entry as the files of control/neigh share it: its states, the resolution
// constants, and the fields. neigh_table.c allocates and frees entries, and every change of what
// workers see (the MAC, resolved or not) goes through its neigh_update / neigh_delete; the timers
// (neigh_resolve.c) move between states that look the same to workers and count probes; the hold
// queue (neigh_hold.c) owns the held[] ring. Control thread only; not for use outside
// control/neigh.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

enum neigh_state {
	NEIGH_STATIC,
	NEIGH_INCOMPLETE, // request sent, no answer yet: packets are held
	NEIGH_REACHABLE, // confirmed within neigh_timeout_ms
	NEIGH_STALE, // unconfirmed for too long: still used, being probed (unicast)
	NEIGH_FAILED, // no answer to the requests; a new packet starts over
};

#define NEIGH_HOLD_MAX 64 // upper bound on cfg->neigh_hold
#define NEIGH_PROBES 3 // requests per round (like Linux mcast/ucast_solicit)
#define NEIGH_RETRANS_NS UINT64_C(1000000000) // one second between requests
#define NEIGH_FAILED_KEEP_NS (UINT64_C(10) * NEIGH_RETRANS_NS) // then the entry is dropped

struct neigh_entry {
	bool used;
	bool in_fast; // owns the key of its IP in molt_dp.neigh (on-link lookups)
	uint8_t family; // 4 or 6
	uint8_t state; // enum neigh_state
	uint16_t port;
	uint8_t probes; // requests sent in the current round
	uint8_t ip[16]; // network order; IPv4 in the first 4 bytes
	struct rte_ether_addr mac; // valid unless INCOMPLETE/FAILED
	uint64_t state_ns; // when the state was entered / last confirmed
	uint64_t probe_ns; // when the last request went out
	uint16_t n_held; // packets waiting, oldest at held[head]
	uint16_t head;
	struct rte_mbuf *held[NEIGH_HOLD_MAX];
};

// True when e's MAC may be used: workers forward to it and held packets go out.
static inline bool neigh_resolved(const struct neigh_entry *e)
{
	return e->state == NEIGH_STATIC || e->state == NEIGH_REACHABLE || e->state == NEIGH_STALE;
}
