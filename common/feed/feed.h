// SPDX-License-Identifier: BSD-3-Clause
// Route feed access: the writer (molt-routeserver only) and the read-only reader (moltd).
// Layout and publication protocol: common/feed/feed_format.h.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/feed/feed_format.h"
#include "common/feed/feed_mac.h"

struct feed_writer {
	int fd;
	struct feed_header *hdr;
	size_t size;
	uint64_t next_seq; // sequence number the next appended entry gets
	uint64_t generation; // this object's, as written at creation
	struct feed_key *key; // NULL: unauthenticated feed; borrowed, the caller frees it
	char name[256];
};

// Creates (or replaces) the shared-memory object NAME ("/molt" style; a leading '/' is added
// when missing) sized for snap_capacity routes per snapshot buffer and journal_size journal
// entries (a power of two, or 0). A fresh random generation is written. Mode 0644: readers
// need only read access. With a key (NULL: none) every snapshot and journal entry is MACed
// under it; the writer keeps the pointer. Returns 0 or -errno with a message in err.
int feed_writer_create(struct feed_writer *w, const char *name, uint64_t snap_capacity,
		       uint64_t journal_size, struct feed_key *key, char *err, size_t errlen);

// Publishes a full table into the spare snapshot buffer and makes it current. covers_seq is
// the journal sequence the table includes. Returns 0, -ENOSPC when count > snap_capacity, or
// -ENOMEM (no room for the MAC's chunk tree; nothing was changed).
int feed_writer_publish(struct feed_writer *w, const struct molt_route *routes, uint64_t count,
			uint64_t covers_seq);

// Appends one update to the journal ring and returns its sequence number. Never waits for
// readers (the feed is one way): a reader that is lapped notices and resyncs. Entries become
// visible to readers at the next feed_writer_commit, so a batch is published with one store.
// Returns UINT64_MAX when the feed has no journal.
uint64_t feed_writer_append(struct feed_writer *w, enum feed_op op, const struct molt_route *r);
void feed_writer_commit(struct feed_writer *w);

// Unmaps; when unlink is set also removes the object (clean shutdown marks alive = 0 first).
void feed_writer_close(struct feed_writer *w, int unlink);

struct feed_reader {
	int fd;
	const struct feed_header *hdr;
	size_t size;
	uint64_t generation; // generation seen at open
	struct feed_key *key; // NULL: the feed must be unauthenticated; borrowed
	char name[256];
};

// Opens NAME O_RDONLY and maps it PROT_READ. Validates magic, version, header and element
// sizes, and that every region lies inside the object. Errors (with a message in err):
// -ENOENT no such object, -EPROTO wrong magic, -EPROTONOSUPPORT wrong version, -EBADMSG
// inconsistent layout, other -errno from the system. The feed and the reader must agree on
// authentication: -ENOKEY when the feed is authenticated and key is NULL, -EKEYREJECTED when
// the reader has a key and the feed is unauthenticated or was made under another key.
int feed_reader_open(struct feed_reader *r, const char *name, struct feed_key *key, char *err,
		     size_t errlen);

// Copies the current snapshot into a malloc'ed array (*routes, caller frees) and its
// descriptor into *desc, retrying while the writer reuses the buffer. Validates every route
// (family, plen, host bits, type) so a corrupt feed is refused, not loaded.
// With a key, the copy's MAC is checked first. Returns 0, -EAGAIN when no snapshot was ever
// published, -EKEYREJECTED when the MAC does not match (written by someone without the key),
// -EBADMSG on a corrupt snapshot, -ENOMEM.
int feed_reader_snapshot(struct feed_reader *r, struct molt_route **routes,
			 struct feed_snapshot_desc *desc, char *err, size_t errlen);

void feed_reader_close(struct feed_reader *r);

// The sequence number the route server will write next: entries [.., head) exist.
uint64_t feed_reader_head(const struct feed_reader *r);

// Copies journal entry `seq` into *e and validates its route. Returns 0; -EAGAIN when seq has
// not been committed yet; -ERANGE when the producer lapped the reader (the entry was
// overwritten: resync from the snapshot); -EKEYREJECTED when its MAC does not match and
// -EBADMSG for a corrupt entry (message in err).
int feed_reader_entry(const struct feed_reader *r, uint64_t seq, struct feed_journal_entry *e,
		      char *err, size_t errlen);

// Checks a route read from the feed or a file: family, plen range, host bits zero, type,
// NUL-terminated dev. Returns 0 or -EINVAL with a reason in err.
int molt_route_validate(const struct molt_route *r, char *err, size_t errlen);
