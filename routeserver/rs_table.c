// SPDX-License-Identifier: BSD-3-Clause
// The served table: loading, publishing and swapping whole tables (see table.h).
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"

#include "routeserver/rs_table.h"

struct rs_table rs_table;

int rs_table_load(const char *path, uint64_t capacity, struct rib *out, struct route_file_stats *st,
		  char *err, size_t errlen)
{
	struct stat sb;
	int ret;

	ret = rib_init(out, path != NULL && stat(path, &sb) == 0
				    ? route_file_size_hint((uint64_t)sb.st_size)
				    : 0);
	if (ret < 0) {
		snprintf(err, errlen, "no memory for the route table");
		return ret;
	}
	if (path == NULL)
		return 0;
	ret = route_file_load(path, out, st, err, errlen);
	if (ret == 0 && out->count > capacity) {
		snprintf(err, errlen, "%s: %u routes exceed the capacity of %llu (--capacity)",
			 path, out->count, (unsigned long long)capacity);
		ret = -ENOSPC;
	}
	if (ret < 0)
		rib_free(out);
	return ret;
}

void rs_table_journal(struct rs_table *t, enum feed_op op, const struct molt_route *r)
{
	// A feed without a journal (--journal 0) returns UINT64_MAX: readers rebuild from the
	// snapshot, which is published right after.
	feed_writer_append(&t->feed, op, r);
}

static int publish_snapshot(struct rs_table *t, char *err, size_t errlen)
{
	int ret = feed_writer_publish(&t->feed, t->rib.routes, t->rib.count, t->feed.next_seq);

	if (ret < 0) {
		snprintf(err, errlen, "publishing %u routes into %s: %s", t->rib.count,
			 t->feed.name,
			 ret == -ENOSPC ? "over the snapshot capacity" : strerror(-ret));
		return ret;
	}
	t->snap_seq = t->feed.next_seq;
	t->snap_ms = molt_now_ms();
	t->dirty = false;
	t->publishes++;
	return 0;
}

int rs_table_publish(struct rs_table *t, char *err, size_t errlen)
{
	const struct feed_header *h = t->feed.hdr;
	int ret = 0;

	t->version++;
	if (t->rib.count > t->capacity) {
		snprintf(err, errlen, "%u routes exceed the capacity of %llu (--capacity)",
			 t->rib.count, (unsigned long long)t->capacity);
		ret = -ENOSPC;
	} else if (t->publishes == 0 || h->journal_size == 0 ||
		   t->feed.next_seq - t->snap_seq > h->journal_size / 2) {
		// The snapshot claims every entry recorded so far, before they are committed: a
		// reader that builds from it waits for them; one replaying the journal sees them at
		// the commit.
		ret = publish_snapshot(t, err, errlen);
	} else {
		t->dirty = true;
	}
	if (ret < 0) {
		t->feed.next_seq = atomic_load_explicit(&h->journal_head, memory_order_relaxed);
		return ret;
	}
	feed_writer_commit(&t->feed);
	return 0;
}

void rs_table_flush(struct rs_table *t, uint64_t now_ms)
{
	const struct feed_header *h = t->feed.hdr;
	char err[512];

	if (!t->dirty ||
	    (now_ms - t->snap_ms < 1000 && t->feed.next_seq - t->snap_seq < h->journal_size / 4))
		return;
	if (publish_snapshot(t, err, sizeof(err)) < 0) {
		t->snap_ms = now_ms; // retry in a second, not in a tight loop
		LOG_ERR("routeserver", "%s (retrying)", err);
	}
}

// Journals what turns old into fresh: deletes of routes gone, adds of routes new or changed.
static void journal_diff(struct rs_table *t, const struct rib *old, const struct rib *fresh)
{
	const struct molt_route *f;
	uint32_t i;

	for (i = 0; i < old->count; i++)
		if (rib_find(fresh, &old->routes[i]) == NULL)
			rs_table_journal(t, FEED_OP_DEL, &old->routes[i]);
	for (i = 0; i < fresh->count; i++) {
		f = rib_find(old, &fresh->routes[i]);
		if (f == NULL || memcmp(f, &fresh->routes[i], sizeof(*f)) != 0)
			rs_table_journal(t, FEED_OP_ADD, &fresh->routes[i]);
	}
}

int rs_table_replace(struct rs_table *t, struct rib *fresh, char *err, size_t errlen)
{
	struct rib old = t->rib;
	int ret;

	// A diff larger than the ring laps every reader, which then resyncs from the snapshot:
	// correct, and no more work than the reader would do anyway.
	if (t->feed.hdr->journal_size > 0)
		journal_diff(t, &old, fresh);
	t->rib = *fresh;
	ret = rs_table_publish(t, err, errlen);
	if (ret < 0) {
		t->rib = old;
		rib_free(fresh);
		return ret;
	}
	rib_free(&old);
	return 0;
}
