// SPDX-License-Identifier: BSD-3-Clause
// EMPTY -> BUILDING -> READY -> ACTIVE -> DRAINING -> ERASED -> EMPTY is the metabolic cycle.
// Three more edges, each a shortcut for a slot no worker can reach:
//  - DRAINING -> READY: after its grace period a former active slot takes the updates queued
//    for it and becomes the standby again (update flips, docs/metabolism.md "Live updates").
//  - BUILDING -> ERASED: a build failed or went stale; it was never published.
//  - READY -> ERASED: a standby is retired (oldest of the live slots, stale after a resync, or
//    at shutdown); READY slots were never published or are past their grace period.
#include <inttypes.h>
#include <stdlib.h>

#include "common/log.h"
#include "control/slot/slot_lifecycle.h"

static const bool legal[SLOT_STATE_MAX][SLOT_STATE_MAX] = {
	[SLOT_EMPTY][SLOT_BUILDING] = true,  [SLOT_BUILDING][SLOT_READY] = true,
	[SLOT_BUILDING][SLOT_ERASED] = true, [SLOT_READY][SLOT_ACTIVE] = true,
	[SLOT_READY][SLOT_ERASED] = true,    [SLOT_ACTIVE][SLOT_DRAINING] = true,
	[SLOT_DRAINING][SLOT_ERASED] = true, [SLOT_DRAINING][SLOT_READY] = true,
	[SLOT_ERASED][SLOT_EMPTY] = true,
};

static uint64_t counts[SLOT_STATE_MAX][SLOT_STATE_MAX]; // control only

bool slot_edge_legal(enum slot_state from, enum slot_state to)
{
	return (unsigned)from < SLOT_STATE_MAX && (unsigned)to < SLOT_STATE_MAX && legal[from][to];
}

void slot_transition(enum slot_state *state, struct slot *s, unsigned id, enum slot_state to)
{
	enum slot_state from = *state;

	if (!slot_edge_legal(from, to)) {
		LOG_ERR("slot", "slot %u: illegal transition %s -> %s", id, slot_state_name(from),
			slot_state_name(to));
		abort();
	}
	counts[from][to]++;
	*state = to;
	if (s != NULL)
		s->state = to;
	LOG_INFO("slot", "slot %u: %s -> %s (generation %" PRIu64 ")", id, slot_state_name(from),
		 slot_state_name(to), s != NULL ? s->generation : 0);
}

uint64_t slot_edge_count(enum slot_state from, enum slot_state to)
{
	return slot_edge_legal(from, to) ? counts[from][to] : 0;
}
