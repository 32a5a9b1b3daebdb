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

// Where a route comes from, in precedence order: for a prefix held by several sources, the
// first one in this order is the route published (an administrative distance, docs/routing.md).
// The operator's runtime changes (RPC) override the route file, and both override what the
// routing protocols bring through FPM; stale FPM routes (zebra gone, kept until the resend
// after its reconnect has refreshed them or the hold has swept them) come last.
enum rs_source {
	RS_SRC_RPC,
	RS_SRC_FILE,
	RS_SRC_FPM,
	RS_SRC_FPM_STALE,
	RS_SRC_COUNT,
};

// "rpc", "file", "fpm", "fpm-stale"; and the administrative distance the docs give each.
const char *rs_source_name(enum rs_source s);
unsigned rs_source_distance(enum rs_source s);

struct rs_table {
	struct rib rib; // the published table: per prefix, the route of the best source
	struct rib src[RS_SRC_COUNT]; // every source's own routes (rib is derived from them)
	struct feed_writer feed;
	// The table's limits: routes (--capacity) and next-hop group records (--group-records);
	// a snapshot buffer holds capacity + group_capacity records.
	uint64_t capacity;
	uint64_t group_capacity;
	uint64_t version; // bumped on every change; route.list's sorted view follows it
	uint64_t publishes; // snapshots published since start
	uint64_t snap_seq; // journal sequence the last published snapshot covers
	uint64_t snap_ms; // when it was published (monotonic ms)
	uint32_t snap_groups, snap_group_ids; // group records and groups the snapshot holds
	bool dirty; // committed changes the snapshot does not hold yet
};

extern struct rs_table rs_table;

// Prepares the source tables (empty). Returns 0 or -ENOMEM.
int rs_table_init(struct rs_table *t);

// Frees rib and the source tables.
void rs_table_free(struct rs_table *t);

// Rebuilds rib from the source tables (before the feed exists: nothing is journaled). Returns 0
// or -ENOMEM.
int rs_table_rebuild(struct rs_table *t);

// Sets source s's route for r's prefix (r = the route) or removes it (del: only the key of r
// is used), then brings the published route for that prefix in line, journaling what changed
// there (not yet committed: rs_table_publish or rs_table_abort follows). Returns 1 when the
// published table changed, 0 when not, -ENOENT for a delete of a route the source does not
// have, -ENOMEM (nothing changed).
int rs_table_set(struct rs_table *t, enum rs_source s, const struct molt_route *r, bool del);

// Adds the records of a next-hop group (molt_route_set_paths) to source s, ahead of the
// rs_table_set of a multipath route that uses it. Unused groups are dropped before the next
// snapshot. Returns 0 or -ENOMEM.
int rs_table_add_group(struct rs_table *t, enum rs_source s, const struct molt_route *recs,
		       unsigned n);

// The source whose route for r's prefix is published, or RS_SRC_COUNT when none.
enum rs_source rs_table_source_of(const struct rs_table *t, const struct molt_route *key);

// Drops the journal entries recorded since the last commit (a caller that rolled its changes
// back, without journaling, after a failure).
void rs_table_abort(struct rs_table *t);

// FPM session ends: every FPM route becomes stale (still published). Returns the number of
// stale routes.
uint32_t rs_table_fpm_stale(struct rs_table *t);

// Removes every stale FPM route (what the resend did not refresh), journaling the changes.
// Returns the number removed; the caller publishes.
uint32_t rs_table_fpm_sweep(struct rs_table *t);

// Checks rib against t's limits: -ENOSPC with "N routes exceed the capacity of C (--capacity)"
// (or the same of group records) in err, else 0.
int rs_table_check_room(const struct rs_table *t, const struct rib *rib, char *err, size_t errlen);

// Loads a route file into a fresh rib (*out) and checks it against t's limits. On error *out
// is left freed and err has "FILE:LINE: reason" (or the system error): the caller's table is
// untouched. path NULL gives an empty table.
int rs_table_load(const struct rs_table *t, const char *path, struct rib *out,
		  struct route_file_stats *st, char *err, size_t errlen);

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

// Replaces the operator's routes: fresh (a route file's routes) becomes the file source and
// the routes added by RPC are dropped; FPM routes stay. On success the published table is
// rebuilt and the journal gets the difference, on failure fresh is freed and everything stays
// as it was.
int rs_table_replace(struct rs_table *t, struct rib *fresh, char *err, size_t errlen);
