// SPDX-License-Identifier: BSD-3-Clause
// The table this route server serves: the RIB, the feed it is published into, and the
// bookkeeping the control socket reports. One per process; main.c sets it up and tears it
// down, the RPC methods (rpc_*.c) change it. Single-threaded: everything runs on the main loop.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/feed/feed.h"
#include "common/rib/rib.h"
#include "routeserver/route_file.h"

struct rs_table {
	struct rib rib;
	struct feed_writer feed;
	uint64_t capacity; // routes per snapshot buffer (--capacity): the table's limit
	uint64_t version; // bumped on every change; route.list's sorted view follows it
	uint64_t publishes; // snapshots published since start
	uint64_t snap_seq; // journal sequence the last published snapshot covers
	uint64_t snap_ms; // when it was published (monotonic ms)
	bool dirty; // committed changes the snapshot does not hold yet
};

extern struct rs_table rs_table;

// Loads a route file into a fresh rib (*out) and checks it against capacity. On error *out is
// left freed and err has "FILE:LINE: reason" (or the system error): the caller's table is
// untouched. path NULL gives an empty table.
int rs_table_load(const char *path, uint64_t capacity, struct rib *out, struct route_file_stats *st,
		  char *err, size_t errlen);

// Records one change in the feed's journal (ADD: the new route, DEL: the route as it was).
// Entries become visible to readers with the next rs_table_publish, all at once.
void rs_table_journal(struct rs_table *t, enum feed_op op, const struct molt_route *r);

// Makes the changes recorded so far visible and bumps version. Normally that is one store: the
// journal entries are committed and the snapshot is republished later (rs_table_flush), so an
// update reaches readers without waiting for a full-table copy. When the journal would no
// longer hold every entry since the last snapshot (a reader resyncing from it could not catch
// up) or the feed has no journal, the snapshot is published first, then the entries committed.
// Returns 0 or -errno with a message in err (table over capacity, /dev/shm full); then the
// entries recorded since the last commit are dropped, so a caller that rolls its rib back
// leaves the feed exactly as it was.
int rs_table_publish(struct rs_table *t, char *err, size_t errlen);

// Republishes the snapshot if changes are pending and it is due: 1 s after the last one, or at
// once when a quarter of the journal has gone by since. Called from the main loop; now_ms is
// CLOCK_MONOTONIC. A failure is logged and retried at the next call.
void rs_table_flush(struct rs_table *t, uint64_t now_ms);

// Publishes fresh; on success it becomes the table (the old one is freed) and the journal gets
// the difference between the two, on failure fresh is freed and the table stays as it was.
int rs_table_replace(struct rs_table *t, struct rib *fresh, char *err, size_t errlen);
