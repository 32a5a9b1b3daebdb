// SPDX-License-Identifier: BSD-3-Clause
// The packets held while a neighbour resolves (each entry's held[] ring): queued, sent once the
// entry resolves, or dropped. Control thread only; not for use outside control/neigh.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "control/neigh/neigh_entry.h"

// Forgets the rate limits of host unreachable errors (neigh_init).
void neigh_hold_reset(void);
// Queues m on e, up to the configured neigh_hold packets: the oldest beyond it is dropped
// (counted as neigh_unresolved on its ingress port). Consumes m.
void neigh_hold_push(struct neigh_entry *e, struct rte_mbuf *m);
// When e is resolved, sends its held packets (TTL checked, headers rewritten) on e's port.
void neigh_hold_flush(struct neigh_entry *e);
// Drops e's held packets, counted as neigh_unresolved; with host_unreach, answers each with a
// host / address unreachable, rate limited per ingress port at now_ns (the control clock).
void neigh_hold_drop(struct neigh_entry *e, bool host_unreach, uint64_t now_ns);
