// SPDX-License-Identifier: BSD-3-Clause
// The served table: loading, publishing and swapping whole tables (see table.h).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int rs_table_add_group(struct rs_table *t, enum rs_source s, const struct molt_route *recs,
		       unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (rib_find(&t->src[s], &recs[i]) == NULL && rib_add(&t->src[s], &recs[i]) < 0)
			return -ENOMEM;
	return 0;
}

// Puts the records of multipath route r's group (held by src) into the published table, ahead
// of r in the journal. Records already there are shared with another route.
static int publish_group(struct rs_table *t, const struct rib *src, const struct molt_route *r,
			 bool journal)
{
	unsigned i, n = molt_route_group_size(r);
	struct molt_route key, rec;
	const struct molt_route *g;

	for (i = 0; i < n; i++) {
		molt_route_group_key(r, i, &key);
		if (rib_find(&t->rib, &key) != NULL)
			continue;
		g = rib_find(src, &key);
		if (g == NULL)
			return -ENOENT; // the caller did not add the group (rs_table_add_group)
		rec = *g;
		if (rib_add(&t->rib, &rec) < 0)
			return -ENOMEM;
		if (journal)
			rs_table_journal(t, FEED_OP_ADD, &rec);
	}
	return 0;
}

// Brings the published route for key's prefix in line with the sources. Returns 1 when it
// changed, 0, or -ENOMEM (unchanged). Group records follow the routes that use them
// (publish_group, gc_groups), never a key of their own.
static int refresh(struct rs_table *t, const struct molt_route *key, bool journal)
{
	const struct molt_route *best = NULL, *cur = rib_find(&t->rib, key);
	struct molt_route gone;
	unsigned s;
	int ret;

	if (key->family == MOLT_FAMILY_GROUP)
		return 0;
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
	if (best->type == MOLT_RT_MULTIPATH) {
		ret = publish_group(t, &t->src[s - 1], best, journal);
		if (ret < 0)
			return ret;
	}
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

static uint32_t gc_rib(struct rs_table *t, struct rib *rib, bool journal);

void rs_table_abort(struct rs_table *t)
{
	t->feed.next_seq = atomic_load_explicit(&t->feed.hdr->journal_head, memory_order_relaxed);
	// Group records published with the dropped entries must go too, or a later route using
	// the group would find them published and not journal them. Unused groups whose deletes
	// were not journaled yet go with them: readers keep those until they resync, unused.
	gc_rib(t, &t->rib, false);
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
		return rib_routes(st);
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
	return rib_routes(st);
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
		n += r.family != MOLT_FAMILY_GROUP;
	}
	return n;
}

int rs_table_check_room(const struct rs_table *t, const struct rib *rib, char *err, size_t errlen)
{
	if (rib_routes(rib) > t->capacity) {
		snprintf(err, errlen, "%u routes exceed the capacity of %llu (--capacity)",
			 rib_routes(rib), (unsigned long long)t->capacity);
		return -ENOSPC;
	}
	if (rib->count_groups > t->group_capacity) {
		snprintf(err, errlen,
			 "%u next-hop group records (one per path of each group) exceed the "
			 "capacity of %llu (--group-records)",
			 rib->count_groups, (unsigned long long)t->group_capacity);
		return -ENOSPC;
	}
	return 0;
}

int rs_table_load(const struct rs_table *t, const char *path, struct rib *out,
		  struct route_file_stats *st, char *err, size_t errlen)
{
	char why[256];

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
	if (ret == 0 && (ret = rs_table_check_room(t, out, why, sizeof(why))) < 0)
		snprintf(err, errlen, "%s: %s", path, why);
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
		snprintf(err, errlen,
			 "publishing %u routes (%u records with the groups') into %s: %s",
			 rib_routes(&t->rib), t->rib.count, t->feed.name,
			 ret == -ENOSPC ? "over the snapshot capacity" : strerror(-ret));
		return ret;
	}
	t->snap_seq = t->feed.next_seq;
	t->snap_groups = t->rib.count_groups;
	t->snap_group_ids = t->rib.count_group_ids;
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
	ret = rs_table_check_room(t, &t->rib, err, errlen);
	if (ret == 0 && (t->publishes == 0 || h->journal_size == 0 ||
			 t->feed.next_seq - t->snap_seq > h->journal_size / 2))
		// The snapshot claims every entry recorded so far, before they are committed: a
		// reader that builds from it waits for them; one replaying the journal sees them at
		// the commit.
		ret = publish_snapshot(t, err, errlen);
	else if (ret == 0)
		t->dirty = true;
	if (ret < 0) {
		t->feed.next_seq = atomic_load_explicit(&h->journal_head, memory_order_relaxed);
		return ret;
	}
	feed_writer_commit(&t->feed);
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

// Removes from rib the group records no route of it refers to (journaled when rib is the
// published table). Returns the number removed.
static uint32_t gc_rib(struct rs_table *t, struct rib *rib, bool journal)
{
	uint32_t i, n = 0, groups = 0, removed = 0;
	struct molt_route rec;
	uint64_t *ids, id;

	for (i = 0; i < rib->count; i++)
		groups += rib->routes[i].family == MOLT_FAMILY_GROUP;
	if (groups == 0)
		return 0;
	ids = malloc(sizeof(*ids) * (rib->count - groups + 1));
	if (ids == NULL)
		return 0; // tried again at the next flush
	for (i = 0; i < rib->count; i++)
		if (rib->routes[i].type == MOLT_RT_MULTIPATH)
			ids[n++] = molt_route_group_id(&rib->routes[i]);
	qsort(ids, n, sizeof(*ids), id_cmp);
	// Backwards: rib_del moves the last record into the hole.
	for (i = rib->count; i-- > 0;) {
		rec = rib->routes[i];
		if (rec.family != MOLT_FAMILY_GROUP)
			continue;
		id = molt_route_group_id(&rec);
		if (bsearch(&id, ids, n, sizeof(*ids), id_cmp) != NULL)
			continue;
		rib_del(rib, &rec);
		if (journal)
			rs_table_journal(t, FEED_OP_DEL, &rec);
		removed++;
	}
	free(ids);
	return removed;
}

// Drops the next-hop groups no route uses any more, from the sources and from the published
// table; done before a snapshot rather than on every delete, since a group is often reused
// (zebra replaces a route's group with the same one).
static void gc_groups(struct rs_table *t)
{
	unsigned s;

	for (s = 0; s < RS_SRC_COUNT; s++)
		gc_rib(t, &t->src[s], false);
	if (gc_rib(t, &t->rib, true) > 0) {
		// Deletes of records nothing refers to: safe to show readers at once.
		feed_writer_commit(&t->feed);
		t->version++;
	}
}

void rs_table_flush(struct rs_table *t, uint64_t now_ms)
{
	const struct feed_header *h = t->feed.hdr;
	char err[512];

	if (!t->dirty ||
	    (now_ms - t->snap_ms < 1000 && t->feed.next_seq - t->snap_seq < h->journal_size / 4))
		return;
	gc_groups(t);
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

	int pass;

	// Routes go before the groups they leave, groups before the routes that come to use them.
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < old->count; i++)
			if ((old->routes[i].family == MOLT_FAMILY_GROUP) == (pass == 1) &&
			    rib_find(fresh, &old->routes[i]) == NULL)
				rs_table_journal(t, FEED_OP_DEL, &old->routes[i]);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < fresh->count; i++) {
			if ((fresh->routes[i].family == MOLT_FAMILY_GROUP) != (pass == 0))
				continue;
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
