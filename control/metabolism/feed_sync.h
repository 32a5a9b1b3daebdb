// SPDX-License-Identifier: BSD-3-Clause
// moltd's mirror of the route server's canonical table: loaded from the feed snapshot, then kept
// current from the journal. Detects being lapped (overrun), the route server leaving (alive 0 or
// a heartbeat older than FEED_SYNC_DEAD_NS) and coming back as a new object (new generation),
// and resyncs from the snapshot. While the route server is gone the mirror stays as it was: the
// slots keep being rebuilt from it. Control thread only.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/feed/feed.h"
#include "common/rib/rib.h"

#define FEED_SYNC_DEAD_NS 1000000000ull // heartbeat older: route server gone
#define FEED_SYNC_REOPEN_NS 500000000ull // how often to look for it again
#define FEED_SYNC_RETRY_NS 100000000ull // snapshot retry while resyncing
#define FEED_SYNC_REFUSED_NS 1000000000ull // snapshot retry after one was refused

// Called for every journal entry applied to the mirror, in sequence order: old is the route the
// mirror held for the key (NULL: none), new_ what it holds now (NULL: deleted). Both pointers
// are valid only during the call.
typedef void (*feed_sync_cb)(void *arg, const struct molt_route *old,
			     const struct molt_route *new_);

struct feed_sync {
	char name[256]; // shm name, to reopen
	struct feed_key *key; // feed.key_file's key, NULL: unauthenticated; owned
	struct feed_reader rd; // hdr NULL when nothing is open
	struct rib mirror; // the canonical table as of next_seq
	uint64_t generation; // feed generation the mirror follows
	uint64_t next_seq; // next journal entry to apply
	uint64_t snap_seq; // covers_seq of the snapshot last loaded
	uint64_t snap_digest; // digest the route server published with it
	bool lost; // route server gone: the mirror is frozen
	bool need_resync; // lapped, corrupt entry, or a new generation: reload the snapshot
	uint64_t next_try_ns; // next reopen / snapshot attempt
	// A journal entry whose MAC failed (when refused_entry): resync waits for a snapshot
	// that covers it instead of replaying into the same bad entry again.
	bool refused_entry;
	uint64_t refused_seq;
	// counters (feed.status); refused: snapshots, entries and feeds refused by the MAC check
	uint64_t applied, overruns, resyncs, corrupt, reopens, losses, refused;
	uint64_t last_batch_ns; // when entries were last applied (molt_now_ns)
	char last_error[256];
	char refusal[256]; // the last refusal logged: the same one again is retried silently
};

// Opens the feed NAME and loads its snapshot into the mirror. key_file (NULL or "": none) is
// read at the first call; with it every snapshot and journal entry must carry a valid MAC.
// -EAGAIN when the route server has not published a table yet (fs stays open: call again);
// -ENOKEY / -EKEYREJECTED when the feed and key_file disagree about the key; other -errno,
// all with err.
int feed_sync_open(struct feed_sync *fs, const char *name, const char *key_file, char *err,
		   size_t errlen);

// Applies at most max journal entries (calling cb for each), checks the route server's
// liveness, and reopens/resyncs when needed. Returns the number of entries applied, and sets
// *resynced when the mirror was replaced by a new snapshot (every slot built before is stale).
int feed_sync_poll(struct feed_sync *fs, uint64_t now_ns, unsigned max, feed_sync_cb cb, void *arg,
		   bool *resynced);

// Entries committed by the route server but not yet applied (0 when lost or not open).
uint64_t feed_sync_lag(const struct feed_sync *fs);

void feed_sync_close(struct feed_sync *fs);
