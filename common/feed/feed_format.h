// SPDX-License-Identifier: BSD-3-Clause
// Layout of the route feed: a POSIX shared-memory object written only by molt-routeserver and
// mapped read-only by moltd. Nothing in it is a pointer; every region is found by offset from
// the start of the object. Version it on any incompatible change.
//
//   [ struct feed_header (one 4 KiB page) ]
//   [ snapshot buffer 0: snap_capacity x struct molt_route ]
//   [ snapshot buffer 1: snap_capacity x struct molt_route ]
//   [ journal: journal_size x struct feed_journal_entry ]
//
// Snapshot publication (double-buffered, seqlock per buffer): the writer picks the buffer that
// is not current, makes its `seq` odd, writes routes and the descriptor, makes `seq` even again,
// then stores `current` (release). A reader loads `current` (acquire), reads the buffer's `seq`
// (must be even), copies, and re-reads `seq`: a change means the writer reused the buffer under
// it, and it retries.
//
// Journal: a single-producer ring of route changes. Entry with sequence number S lives at index
// S & (journal_size - 1). The producer writes the entry, then stores its `seq` (release), then
// advances `journal_head` (release). A reader that wants S checks `seq == S` before and after
// copying the entry; anything else means it was lapped (overrun) and must resync from the
// snapshot.
//
// Multipath routes: a route of type MOLT_RT_MULTIPATH refers to a next-hop group whose paths
// are records of their own in the same table (family MOLT_FAMILY_GROUP, one per path, keyed by
// the group's content id and the path index: common/route.h). Snapshots and journal entries
// carry them like routes (so the MACs cover them); the route server adds a group's records
// before the first route that uses it and deletes them after the last one is gone. The
// snapshot's count_v6 counts every record that is not IPv4 (group records included).
//
// Authentication (when the route server runs with a key, `auth` = FEED_AUTH_HMAC_SHA256): each
// snapshot descriptor and each journal entry carries an HMAC-SHA-256 under a key derived from the
// key file both processes read at start (common/feed/feed_mac.h), so a reader detects content
// written by any other process that can map the object. What is covered:
//   snapshot: generation, buffer index, its (even) seq, count, covers_seq, digest, per-family
//             counts, published_ns and the SHA-256 of its routes;
//   journal entry: generation, seq, op, route.
// `key_check` (the MAC of the generation) lets a reader tell "another key" from "tampered".
// The header's other fields (current, journal_head, heartbeat, alive) are not covered: writing
// them can delay or stop the feed, never put a route in it.
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#include "common/route.h"

#define FEED_MAGIC 0x44454546544C4F4DULL // "MOLTFEED" little-endian
#define FEED_VERSION 3 // 2: MACs in descriptors and entries, auth, key_check; 3: next-hop groups
#define FEED_HEADER_SIZE 4096

struct feed_snapshot_desc {
	_Atomic uint64_t seq; // seqlock: odd while the writer fills this buffer
	uint64_t offset; // of the first route, from the start of the object
	uint64_t count; // routes in this buffer
	uint64_t covers_seq; // the journal sequence this snapshot includes (all entries < it)
	uint64_t digest; // sum of molt_route_hash() of its routes
	uint64_t count_v4;
	uint64_t count_v6;
	uint64_t published_ns; // CLOCK_REALTIME when published
	uint8_t mac[32]; // FEED_AUTH_HMAC_SHA256: see above; zero otherwise
};

enum feed_op { FEED_OP_ADD = 1, FEED_OP_DEL = 2 };

struct feed_journal_entry {
	_Atomic uint64_t seq; // sequence number of the update held; written last
	uint32_t op; // enum feed_op
	uint32_t reserved;
	struct molt_route route; // for DEL the route as it was, so readers can update digests
	uint8_t mac[32]; // FEED_AUTH_HMAC_SHA256: see above; zero otherwise
};

enum feed_auth { FEED_AUTH_NONE = 0, FEED_AUTH_HMAC_SHA256 = 1 };

struct feed_header {
	uint64_t magic; // FEED_MAGIC, written last at creation
	uint32_t version; // FEED_VERSION
	uint32_t header_size; // FEED_HEADER_SIZE
	uint64_t total_size; // size of the whole object in bytes
	uint64_t generation; // new random value each time the route server (re)creates the feed
	uint32_t route_size; // sizeof(struct molt_route)
	uint32_t journal_entry_size; // sizeof(struct feed_journal_entry)
	uint64_t snap_capacity; // routes per snapshot buffer
	uint64_t journal_offset;
	uint64_t journal_size; // entries, a power of two (0: no journal)
	_Atomic uint64_t journal_head; // next sequence number to be written
	_Atomic uint32_t current; // index of the current snapshot buffer (0 or 1)
	_Atomic uint32_t alive; // 1 while the route server runs; 0 after a clean exit
	_Atomic uint64_t heartbeat_ns; // CLOCK_MONOTONIC of the producer, refreshed ~every 100 ms
	uint8_t pad0[64];
	struct feed_snapshot_desc snap[2];
	uint32_t auth; // enum feed_auth
	uint32_t reserved;
	uint8_t key_check[32]; // FEED_AUTH_HMAC_SHA256: MAC of the generation
};
static_assert(sizeof(struct feed_header) <= FEED_HEADER_SIZE, "feed header fits its page");
