// SPDX-License-Identifier: BSD-3-Clause
// The slot lifecycle as a table of legal edges. Every state change of a slot goes through
// slot_transition, which refuses anything else (a programmer error: abort), logs and counts.
// Control thread only.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/slot.h"

// Whether from -> to is a legal edge. Pure: the unit test walks every pair.
bool slot_edge_legal(enum slot_state from, enum slot_state to);

// Moves *state (the slot manager's record; s->state follows when s is not NULL) to `to`.
// Aborts on an illegal edge. id and generation are for the log line.
void slot_transition(enum slot_state *state, struct slot *s, unsigned id, enum slot_state to);

// Times from -> to was taken since start.
uint64_t slot_edge_count(enum slot_state from, enum slot_state to);
