// SPDX-License-Identifier: BSD-3-Clause
// The journal changes one slot still has to take: kept while the slot cannot be modified (ACTIVE
// with an unsafe driver, DRAINING) or is being built (its catch-up). Control thread only.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/route.h"

#define UPD_MAX (1u << 20) // entries one slot may wait for (about 120 MB)

// One journal change as the mirror saw it (feed_sync_cb).
struct upd {
	struct molt_route old, new_;
	bool has_old, has_new;
	uint64_t seq; // journal sequence number
};

struct upd_list {
	struct upd *v;
	uint32_t n, cap;
	bool overflow; // could not grow: the slot cannot be brought up to date
};

// Appends a change (old or new_ NULL: none). -ENOMEM, with overflow set, past UPD_MAX entries
// or when memory runs out.
int upd_push(struct upd_list *l, const struct molt_route *old, const struct molt_route *new_,
	     uint64_t seq);

// Empties l (and clears overflow), keeping its memory.
void upd_clear(struct upd_list *l);

// Frees l's memory; l is empty afterwards.
void upd_free(struct upd_list *l);
