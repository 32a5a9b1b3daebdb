// SPDX-License-Identifier: BSD-3-Clause
// The neighbour entry table as the other files of control/neigh use it: find, create, learn,
// delete, and the clock. neigh_table.c also implements neigh.h's static entries, slot
// attachment and walk. Control thread only; not for use outside control/neigh.
#pragma once

#include <stdint.h>

#include <rte_ether.h>

#include "control/neigh/neigh_entry.h"

// Allocates an empty table of cap entries and the on-link lookup tables in molt_dp.neigh (a
// table already there is freed first) and sets the clock to 0. -ENOMEM.
int neigh_table_init(uint32_t cap);
// Frees them; held packets are dropped (counted). Workers must be stopped.
void neigh_table_fini(void);

// Control clock: the last now_ns neigh_poll was given (events between polls use it).
uint64_t neigh_clock(void);
// Moves the clock to now_ns; it never goes back.
void neigh_clock_set(uint64_t now_ns);
// Returns retired entry indexes to the free list once no worker can still use them.
void neigh_reclaim(void);

// Finds the entry for (family, ip, port), NULL if none.
struct neigh_entry *neigh_find(uint8_t family, const uint8_t *ip, uint16_t port);
// Creates an INCOMPLETE entry (no request sent). NULL when the table is full.
struct neigh_entry *neigh_create(uint8_t family, const uint8_t *ip, uint16_t port);
// neigh_find, else neigh_create.
struct neigh_entry *neigh_get(uint8_t family, const uint8_t *ip, uint16_t port);
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
