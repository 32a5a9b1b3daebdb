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

static const struct {
	const char *name;
	unsigned distance;
} sources[RS_SRC_COUNT] = {
	[RS_SRC_RPC] = { "rpc", 1 },
	[RS_SRC_FILE] = { "file", 2 },
	[RS_SRC_FPM] = { "fpm", 20 },
	[RS_SRC_FPM_STALE] = { "fpm-stale", 21 },
};

const char *rs_source_name(enum rs_source s)
{
	return s < RS_SRC_COUNT ? sources[s].name : "none";
}

unsigned rs_source_distance(enum rs_source s)
{
	return s < RS_SRC_COUNT ? sources[s].distance : 255;
}

int rs_table_init(struct rs_table *t)
{
	unsigned s;

	for (s = 0; s < RS_SRC_COUNT; s++)
		if (rib_init(&t->src[s], 0) < 0) {
			rs_table_free(t);
			return -ENOMEM;
		}
	return 0;
}

void rs_table_free(struct rs_table *t)
{
	unsigned s;

	rib_free(&t->rib);
	for (s = 0; s < RS_SRC_COUNT; s++)
		rib_free(&t->src[s]);
}

// The published table of the sources as they are: every source's routes, from the lowest
// precedence to the highest, so a later source's route replaces an earlier one's.
static int merge(const struct rs_table *t, struct rib *out)
{
	uint64_t n = 0;
	int s, ret;

	for (s = 0; s < RS_SRC_COUNT; s++)
		n += t->src[s].count;
	if (rib_init(out, n > 0xfffffffeULL ? 0xfffffffeU : (uint32_t)n) < 0)
		return -ENOMEM;
	for (s = RS_SRC_COUNT - 1; s >= 0; s--) {
		ret = rib_add_bulk(out, t->src[s].routes, t->src[s].count);
		if (ret < 0) {
			rib_free(out);
			return ret;
		}
	}
	return 0;
}

int rs_table_rebuild(struct rs_table *t)
{
	struct rib fresh;
	int ret = merge(t, &fresh);

	if (ret < 0)
		return ret;
	rib_free(&t->rib);
	t->rib = fresh;
	return 0;
}

enum rs_source rs_table_source_of(const struct rs_table *t, const struct molt_route *key)
{
	unsigned s;

	for (s = 0; s < RS_SRC_COUNT; s++)
		if (rib_find(&t->src[s], key) != NULL)
			return (enum rs_source)s;
	return RS_SRC_COUNT;
}

// Brings the published route for key's prefix in line with the sources. Returns 1 when it
// changed, 0, or -ENOMEM (unchanged).
static int refresh(struct rs_table *t, const struct molt_route *key, bool journal)
{
	const struct molt_route *best = NULL, *cur = rib_find(&t->rib, key);
	struct molt_route gone;
	unsigned s;
	int ret;

	for (s = 0; s < RS_SRC_COUNT && best == NULL; s++)
		best = rib_find(&t->src[s], key);
	if (best == NULL) {
		if (cur == NULL)
			return 0;
		gone = *cur;
		rib_del(&t->rib, &gone);
		if (journal)
			rs_table_journal(t, FEED_OP_DEL, &gone);
		return 1;
	}
	if (cur != NULL && memcmp(cur, best, sizeof(*cur)) == 0)
		return 0;
	ret = rib_add(&t->rib, best);
	if (ret < 0)
		return ret;
	if (journal)
		rs_table_journal(t, FEED_OP_ADD, best);
	return 1;
}

int rs_table_set(struct rs_table *t, enum rs_source s, const struct molt_route *r, bool del)
{
	const struct molt_route *f = rib_find(&t->src[s], r);
	struct molt_route old;
	bool had = f != NULL;
	int ret;

	if (had)
		old = *f;
	if (del) {
		if (!had)
			return -ENOENT;
		rib_del(&t->src[s], r);
	} else if ((ret = rib_add(&t->src[s], r)) < 0) {
		return ret;
	}
	ret = refresh(t, r, true);
	if (ret < 0) {
		// Neither step allocates: the key was just there, or was just added.
		if (had)
			rib_add(&t->src[s], &old);
		else
			rib_del(&t->src[s], r);
	}
	return ret;
}

void rs_table_abort(struct rs_table *t)
{
	t->feed.next_seq = atomic_load_explicit(&t->feed.hdr->journal_head, memory_order_relaxed);
}

uint32_t rs_table_fpm_stale(struct rs_table *t)
{
	struct rib *cur = &t->src[RS_SRC_FPM], *st = &t->src[RS_SRC_FPM_STALE], tmp;
	struct molt_route r;

	// The published table does not change: each route moves to the source just below with
	// the same content. The common case (nothing stale yet) is a swap.
	if (st->count == 0) {
		tmp = *st;
		*st = *cur;
		*cur = tmp;
		return st->count;
	}
	while (cur->count > 0) {
		r = cur->routes[cur->count - 1];
		if (rib_add(st, &r) < 0) {
			LOG_ERR("routeserver",
				"no memory to mark %u FPM routes stale; they stay current",
				cur->count);
			break;
		}
		rib_del(cur, &r);
	}
	return st->count;
}

uint32_t rs_table_fpm_sweep(struct rs_table *t)
{
	struct rib *st = &t->src[RS_SRC_FPM_STALE];
	struct molt_route r;
	uint32_t n = 0;

	while (st->count > 0) {
		r = st->routes[st->count - 1];
		rib_del(st, &r);
		// The lowest source going away never adds a route: refresh cannot fail here.
		refresh(t, &r, true);
		n++;
	}
	return n;
}

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
	struct rib old = t->rib, old_file = t->src[RS_SRC_FILE], old_rpc = t->src[RS_SRC_RPC];
	struct rib merged, empty;
	int ret;

	if (rib_init(&empty, 0) < 0) {
		rib_free(fresh);
		snprintf(err, errlen, "no memory for the route table");
		return -ENOMEM;
	}
	t->src[RS_SRC_FILE] = *fresh;
	t->src[RS_SRC_RPC] = empty;
	ret = merge(t, &merged);
	if (ret < 0) {
		snprintf(err, errlen, "no memory for the route table");
		goto fail;
	}
	// A diff larger than the ring laps every reader, which then resyncs from the snapshot:
	// correct, and no more work than the reader would do anyway.
	if (t->feed.hdr->journal_size > 0)
		journal_diff(t, &old, &merged);
	t->rib = merged;
	ret = rs_table_publish(t, err, errlen);
	if (ret < 0) {
		t->rib = old;
		rib_free(&merged);
		goto fail;
	}
	rib_free(&old);
	rib_free(&old_file);
	rib_free(&old_rpc);
	return 0;
fail:
	t->src[RS_SRC_FILE] = old_file;
	t->src[RS_SRC_RPC] = old_rpc;
	rib_free(fresh);
	rib_free(&empty);
	return ret;
}
