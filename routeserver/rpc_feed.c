// SPDX-License-Identifier: BSD-3-Clause
// feed.status and routes.load: the published feed as moltd sees it, and replacing the whole
// table from a file.
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/rpc/rpc.h"
#include "routeserver/rs_table.h"

// 64-bit values that JSON numbers (doubles in most readers) cannot carry exactly.
static json_t *hex64(uint64_t v)
{
	char buf[17];

	snprintf(buf, sizeof(buf), "%016" PRIx64, v);
	return json_string(buf);
}

static json_t *rfc3339(uint64_t ns)
{
	char buf[64];
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	size_t n;

	if (ns == 0)
		return json_null();
	gmtime_r(&s, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03uZ", (unsigned)(ns / 1000000 % 1000));
	return json_string(buf);
}

static json_t *feed_status(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const struct feed_header *h = rs_table.feed.hdr;
	const struct feed_snapshot_desc *d;
	json_t *snap;
	unsigned cur;

	if (rpc_params_none(params, err) < 0)
		return NULL;
	cur = atomic_load_explicit(&h->current, memory_order_acquire) & 1;
	d = &h->snap[cur];
	// The descriptor counts records; the group records (all counted as IPv6 there) are the
	// route server's own count of what it published.
	snap = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:I}", "count",
			 (json_int_t)(d->count - rs_table.snap_groups), "ipv4",
			 (json_int_t)d->count_v4, "ipv6",
			 (json_int_t)(d->count_v6 - rs_table.snap_groups), "groups",
			 (json_int_t)rs_table.snap_group_ids, "group_records",
			 (json_int_t)rs_table.snap_groups, "records", (json_int_t)d->count,
			 "covers_seq", (json_int_t)d->covers_seq, "digest", hex64(d->digest),
			 "published", rfc3339(d->published_ns), "buffer", (json_int_t)cur);
	return json_pack("{s:s,s:o,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:b}", "shm",
			 rs_table.feed.name, "generation", hex64(h->generation), "sequence",
			 (json_int_t)atomic_load(&h->journal_head), "snapshot", snap, "publishes",
			 (json_int_t)rs_table.publishes, "capacity", (json_int_t)rs_table.capacity,
			 "group_capacity", (json_int_t)rs_table.group_capacity, "record_capacity",
			 (json_int_t)h->snap_capacity, "journal_size", (json_int_t)h->journal_size,
			 "alive", atomic_load(&h->alive) != 0, "size", (json_int_t)h->total_size,
			 "authenticated", rs_table.feed.key != NULL);
}
RPC_METHOD("feed.status", feed_status, "",
	   "the shared-memory feed: name, generation, journal sequence, current snapshot (routes, "
	   "next-hop groups and their records), capacities, authenticated (--feed-key)")

static json_t *routes_load(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const known[] = { "file", NULL };
	struct jcheck c = rpc_params_check(err);
	struct route_file_stats st = { 0 };
	char msg[512], path[PATH_MAX];
	const json_t *file;
	struct rib fresh;
	uint64_t t0;

	if (rpc_params_object(params, true, known, err) < 0 ||
	    rpc_param_get(params, "file", &file, err) < 0 ||
	    jcheck_string(&c, "file", file, path, sizeof(path)) < 0)
		return NULL;
	t0 = molt_now_ns();
	// The file is parsed into a table of its own; the served one changes only once that
	// table is complete and published.
	if (rs_table_load(&rs_table, path, &fresh, &st, msg, sizeof(msg)) < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "%s; the table is unchanged", msg);
	if (rs_table_replace(&rs_table, &fresh, msg, sizeof(msg)) < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "%s; the table is unchanged", msg);
	return json_pack(
		"{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "file", path, "routes",
		(json_int_t)rib_routes(&rs_table.rib), "ipv4", (json_int_t)rs_table.rib.count_v4,
		"ipv6", (json_int_t)(rib_routes(&rs_table.rib) - rs_table.rib.count_v4), "groups",
		(json_int_t)rs_table.rib.count_group_ids, "lines", (json_int_t)st.lines, "replaced",
		(json_int_t)st.replaced, "ms", (double)(molt_now_ns() - t0) / 1e6);
}
RPC_METHOD("routes.load", routes_load, "{\"file\": PATH}",
	   "replace the whole table from a route file, atomically (a bad file changes nothing)")
