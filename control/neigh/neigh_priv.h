// SPDX-License-Identifier: BSD-3-Clause
// Internals shared by the neighbour files: the entry table (neigh.c), the resolution timers and
// hold queue (neigh_hold.c), ARP (arp.c) and ND (nd.c). Control thread only.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

enum neigh_state {
	NEIGH_STATIC,
	NEIGH_INCOMPLETE,	// request sent, no answer yet: packets are held
	NEIGH_REACHABLE,	// confirmed within neigh_timeout_ms
	NEIGH_STALE,		// unconfirmed for too long: still used, being probed (unicast)
	NEIGH_FAILED,		// no answer to the requests; a new packet starts over
};

#define NEIGH_HOLD_MAX 64		// upper bound on cfg->neigh_hold
#define NEIGH_PROBES 3			// requests per round (like Linux mcast/ucast_solicit)
#define NEIGH_RETRANS_NS UINT64_C(1000000000)	// one second between requests
#define NEIGH_FAILED_KEEP_NS (UINT64_C(10) * NEIGH_RETRANS_NS) // then the entry is dropped

struct neigh_entry {
	bool used;
	bool in_fast;		// owns the key of its IP in molt_dp.neigh (on-link lookups)
	uint8_t family;		// 4 or 6
	uint8_t state;		// enum neigh_state
	uint16_t port;
	uint8_t probes;		// requests sent in the current round
	uint8_t ip[16];		// network order; IPv4 in the first 4 bytes
	struct rte_ether_addr mac;	// valid unless INCOMPLETE/FAILED
	uint64_t state_ns;	// when the state was entered / last confirmed
	uint64_t probe_ns;	// when the last request went out
	uint16_t n_held;	// packets waiting, oldest at held[head]
	uint16_t head;
	struct rte_mbuf *held[NEIGH_HOLD_MAX];
};

// Control clock: the last now_ns neigh_poll was given (events between polls use it).
uint64_t neigh_clock(void);
void neigh_clock_set(uint64_t now_ns);
// Returns retired entry indexes to the free list once no worker can still use them.
void neigh_reclaim(void);

// Finds the entry for (family, ip, port), NULL if none.
struct neigh_entry *neigh_find(uint8_t family, const uint8_t *ip, uint16_t port);
// Creates an INCOMPLETE entry (no request sent). NULL when the table is full.
struct neigh_entry *neigh_create(uint8_t family, const uint8_t *ip, uint16_t port);
// Removes e: held packets dropped (counted), workers and slots told UNRESOLVED.
void neigh_delete(struct neigh_entry *e);
// Visits every used entry; cb may delete the entry it is given.
void neigh_foreach(void (*cb)(struct neigh_entry *e, void *arg), void *arg);

// Learns mac for e with the new state (REACHABLE, STALE or STATIC): publishes it to workers and
// live slots when it changed, and sends the held packets.
void neigh_update(struct neigh_entry *e, const struct rte_ether_addr *mac, enum neigh_state st);
// Publishes e's current forwarding word to molt_dp.neigh and every live slot's matching gateway.
void neigh_publish(struct neigh_entry *e);
// The word workers use for e: FORWARD + port + MAC when resolved, else UNRESOLVED.
uint64_t neigh_l2(const struct neigh_entry *e);

// neigh_hold.c: forgets its timers and rate limits (neigh_init).
void neigh_hold_reset(void);
// Sends e's held packets (TTL checked, headers rewritten) on e's port.
void neigh_flush(struct neigh_entry *e);
// Drops e's held packets, counted as neigh_unresolved; with host_unreach, answers each with a
// rate-limited ICMP host / address unreachable.
void neigh_drop_held(struct neigh_entry *e, bool host_unreach);
// Sends a request for e: broadcast / solicited-node multicast, or unicast to e->mac when
// probing a STALE entry. Counts it in e->probes.
void neigh_solicit(struct neigh_entry *e, bool unicast);

// arp.c / nd.c: send one request on port for ip; dst NULL for broadcast / multicast.
int arp_send_request(uint16_t port, const uint8_t ip[4], const struct rte_ether_addr *dst);
int nd_send_ns(uint16_t port, const uint8_t ip[16], const struct rte_ether_addr *dst);

// The control thread's own drop counter for port.
void neigh_count_drop(uint16_t port, unsigned reason);
