// SPDX-License-Identifier: BSD-3-Clause
// feed.status and routes.load: the published feed as moltd sees it, and replacing the whole
// table from a file.
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "routeserver/rs_table.h"
#include "common/rpc/rpc.h"

static bool no_params(const json_t *params)
{
	return params == NULL || (json_is_object(params) && json_object_size(params) == 0) ||
	       (json_is_array(params) && json_array_size(params) == 0);
}

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

	if (!no_params(params))
		return rpc_fail(err, RPC_INVALID_PARAMS, "feed.status takes no parameters");
	cur = atomic_load_explicit(&h->current, memory_order_acquire) & 1;
	d = &h->snap[cur];
	snap = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:I}",
			 "count", (json_int_t)d->count,
			 "ipv4", (json_int_t)d->count_v4,
			 "ipv6", (json_int_t)d->count_v6,
			 "covers_seq", (json_int_t)d->covers_seq,
			 "digest", hex64(d->digest),
			 "published", rfc3339(d->published_ns),
			 "buffer", (json_int_t)cur);
	return json_pack("{s:s,s:o,s:I,s:o,s:I,s:I,s:I,s:b,s:I}",
			 "shm", rs_table.feed.name,
			 "generation", hex64(h->generation),
			 "sequence", (json_int_t)atomic_load(&h->journal_head),
			 "snapshot", snap,
			 "publishes", (json_int_t)rs_table.publishes,
			 "capacity", (json_int_t)h->snap_capacity,
			 "journal_size", (json_int_t)h->journal_size,
			 "alive", atomic_load(&h->alive) != 0,
			 "size", (json_int_t)h->total_size);
}
RPC_METHOD("feed.status", feed_status, "",
	   "the shared-memory feed: name, generation, journal sequence, current snapshot")

static json_t *routes_load(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	struct route_file_stats st = { 0 };
	struct timespec t0, t1;
	const json_t *file;
	const char *key;
	char msg[512];
	json_t *v;
	struct rib fresh;

	if (!json_is_object(params))
		return rpc_fail(err, RPC_INVALID_PARAMS, "params must be {\"file\": PATH}");
	json_object_foreach((json_t *)params, key, v)
		if (strcmp(key, "file") != 0)
			return rpc_fail(err, RPC_INVALID_PARAMS,
					"unknown parameter '%.64s' (expected file)", key);
	file = json_object_get(params, "file");
	if (!json_is_string(file) || json_string_length(file) == 0)
		return rpc_fail(err, RPC_INVALID_PARAMS, "'file' must be a path");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	// The file is parsed into a table of its own; the served one changes only once that
	// table is complete and published.
	if (rs_table_load(json_string_value(file), rs_table.capacity, &fresh, &st, msg,
			  sizeof(msg)) < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "%s; the table is unchanged", msg);
	if (rs_table_replace(&rs_table, &fresh, msg, sizeof(msg)) < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "%s; the table is unchanged", msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:f}",
			 "file", json_string_value(file),
			 "routes", (json_int_t)rs_table.rib.count,
			 "ipv4", (json_int_t)rs_table.rib.count_v4,
			 "ipv6", (json_int_t)(rs_table.rib.count - rs_table.rib.count_v4),
			 "lines", (json_int_t)st.lines,
			 "replaced", (json_int_t)st.replaced,
			 "ms", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}
RPC_METHOD("routes.load", routes_load, "{\"file\": PATH}",
	   "replace the whole table from a route file, atomically (a bad file changes nothing)")
