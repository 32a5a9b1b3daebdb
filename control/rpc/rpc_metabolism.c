// SPDX-License-Identifier: BSD-3-Clause
// slot.metabolize, metabolism.status, metabolism.set and feed.status: the operator's view of
// and hand on the slot manager (control/metabolism/metabolism.h).
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "control/metabolism/metabolism.h"
#include "common/clock.h"
#include "control/rpc/rpc_moltd.h"
#include "control/slot/slot_lifecycle.h"

static json_t *slot_done_json(const struct slot *s)
{
	return json_pack("{s:I, s:I, s:s, s:f}", "id", (json_int_t)s->id, "generation",
			 (json_int_t)s->generation, "driver", s->driver->name, "build_ms",
			 (double)s->build_ns / 1e6);
}

static void metabolize_done(void *arg, int ret, const char *err, const struct slot *s)
{
	struct rpc_pending *p = arg;

	if (ret == 0)
		rpc_complete(p, slot_done_json(s));
	else
		rpc_complete_error(p, RPC_ERR_FAILED, err != NULL ? err : strerror(-ret));
}

static void metabolize_ignore(void *arg, int ret, const char *err, const struct slot *s)
{
	(void)arg;
	(void)ret;
	(void)err;
	(void)s;
}

static json_t *slot_metabolize(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const keys[] = { "wait", "driver", NULL };
	const char *driver = NULL;
	struct rpc_pending *p;
	const json_t *v;
	bool wait = true;
	bool joined = metabolism_building();
	int ret;

	if (rpc_params_object(params, false, keys, err) < 0)
		return NULL;
	if (params != NULL && (v = json_object_get(params, "wait")) != NULL &&
	    mrpc_param_bool(v, "wait", &wait, err) < 0)
		return NULL;
	if (params != NULL && (v = json_object_get(params, "driver")) != NULL) {
		if (!json_is_string(v))
			return rpc_fail(err, RPC_INVALID_PARAMS,
					"driver: expected a driver name "
					"such as \"fib-lpm6\", \"fib\", \"lpm\" or \"reference\"");
		driver = json_string_value(v);
		if (fib_driver_find(driver) == NULL)
			return rpc_fail(err, RPC_INVALID_PARAMS,
					"driver: \"%s\" is not a "
					"known driver (try \"fib-lpm6\", \"fib\", \"lpm\", "
					"\"reference\")",
					driver);
	}
	if (!wait) {
		ret = metabolism_request(driver, metabolize_ignore, NULL);
		if (ret < 0)
			return rpc_fail(err, RPC_ERR_BUSY,
					"too many metabolism requests waiting; "
					"try again once the running build ends");
		return mrpc_result(json_pack("{s:b, s:b}", "started", !joined, "joined", joined),
				   err);
	}
	p = rpc_defer(call);
	if (p == NULL)
		return rpc_fail(err, RPC_INTERNAL_ERROR, "cannot defer the reply");
	ret = metabolism_request(driver, metabolize_done, p);
	if (ret < 0)
		rpc_complete_error(p, RPC_ERR_BUSY,
				   "too many metabolism requests waiting; try "
				   "again once the running build ends");
	return NULL;
}
RPC_METHOD("slot.metabolize", slot_metabolize, "{\"wait\"?: bool, \"driver\"?: NAME}",
	   "build a fresh slot and flip to it (wait: reply once it is ACTIVE, default true)")

static json_t *ms(uint64_t ns)
{
	return json_real((double)ns / 1e6);
}

static json_t *transitions_json(void)
{
	json_t *o = json_object();

	for (unsigned f = 0; o != NULL && f < SLOT_STATE_MAX; f++) {
		for (unsigned t = 0; t < SLOT_STATE_MAX; t++) {
			char name[48];

			if (!slot_edge_legal(f, t))
				continue;
			snprintf(name, sizeof(name), "%s->%s", slot_state_name(f),
				 slot_state_name(t));
			json_object_set_new(o, name,
					    json_integer((json_int_t)slot_edge_count(f, t)));
		}
	}
	return o;
}

static json_t *metabolism_status(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	const struct metabolism_stats *st = metabolism_stats();
	const struct slot_set_stats *ss = metabolism_slot_stats();
	uint64_t built = st->builds_ok;

	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	return mrpc_result(
		json_pack(
			"{s:I, s:b, s:b, s:{s:I, s:I, s:I, s:I, s:s, s:o, s:o}, s:I, s:I, s:I, s:I, s:I, s:o, "
			"s:{s:I, s:o, s:o, s:o}, s:{s:I, s:o, s:o, s:o}, s:{s:I, s:o, s:o, s:o}, "
			"s:{s:I, s:I, s:I, s:I}, "
			"s:{s:I, s:I}}",
			"interval_ms", (json_int_t)metabolism_interval_ms(), "paused",
			metabolism_paused(), "building", metabolism_building(), "builds", "ok",
			(json_int_t)st->builds_ok, "failed", (json_int_t)st->builds_failed, "stale",
			(json_int_t)st->builds_stale, "outgrown", (json_int_t)st->builds_outgrown,
			"last_error", st->last_error, "last_ms", ms(st->build_ns_last), "avg_ms",
			ms(built ? st->build_ns_sum / built : 0), "flips", (json_int_t)ss->flips,
			"update_flips", (json_int_t)ss->update_flips, "resyncs",
			(json_int_t)metabolism_feed()->resyncs, "overruns",
			(json_int_t)metabolism_feed()->overruns, "erased", (json_int_t)ss->erased,
			"transitions", transitions_json(), "flip_latency", "samples",
			(json_int_t)ss->flip_ns.n, "p50_ms",
			ms(latency_stats_pct(&ss->flip_ns, 50)), "p99_ms",
			ms(latency_stats_pct(&ss->flip_ns, 99)), "max_ms", ms(ss->flip_ns.max),
			"update_latency", "samples", (json_int_t)st->update_ns.n, "p50_ms",
			ms(latency_stats_pct(&st->update_ns, 50)), "p99_ms",
			ms(latency_stats_pct(&st->update_ns, 99)), "max_ms", ms(st->update_ns.max),
			"seal_latency", "samples", (json_int_t)ss->seal_ns.n, "p50_ms",
			ms(latency_stats_pct(&ss->seal_ns, 50)), "p99_ms",
			ms(latency_stats_pct(&ss->seal_ns, 99)), "max_ms", ms(ss->seal_ns.max),
			"updates", "applied", (json_int_t)st->updates_applied, "per_second",
			(json_int_t)st->update_rate, "peak_per_second",
			(json_int_t)st->update_rate_peak, "slot_errors",
			(json_int_t)ss->slot_update_errors, "audits", "ok",
			(json_int_t)(st->audits - st->audits_failed), "failed",
			(json_int_t)st->audits_failed),
		err);
}
RPC_METHOD("metabolism.status", metabolism_status, "",
	   "interval, builds, flips, transitions, flip, update and seal latency, update rate")

static json_t *metabolism_set_rpc(struct rpc_call *call, const json_t *params,
				  struct rpc_error *err)
{
	static const char *const keys[] = { "interval_ms", "paused", NULL };
	int64_t interval = -1;
	const json_t *v;
	bool paused;
	int p = -1;

	if (rpc_params_object(params, true, keys, err) < 0)
		return NULL;
	if ((v = json_object_get(params, "interval_ms")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 86400000)
			return rpc_fail(err, RPC_INVALID_PARAMS,
					"interval_ms: expected 0 (on "
					"demand only) to 86400000");
		interval = json_integer_value(v);
	}
	if ((v = json_object_get(params, "paused")) != NULL) {
		if (mrpc_param_bool(v, "paused", &paused, err) < 0)
			return NULL;
		p = paused;
	}
	metabolism_set(interval, p);
	return mrpc_result(json_pack("{s:I, s:b}", "interval_ms",
				     (json_int_t)metabolism_interval_ms(), "paused",
				     metabolism_paused()),
			   err);
}
RPC_METHOD("metabolism.set", metabolism_set_rpc, "{\"interval_ms\"?: N, \"paused\"?: bool}",
	   "change the metabolism period or pause/resume it")

static json_t *feed_status_rpc(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	const struct feed_sync *fs = metabolism_feed();
	uint64_t now = molt_now_ns(), hb = 0, head = 0;
	bool alive = false;

	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	if (fs->rd.hdr != NULL) {
		hb = atomic_load_explicit(&fs->rd.hdr->heartbeat_ns, memory_order_relaxed);
		alive = atomic_load_explicit(&fs->rd.hdr->alive, memory_order_relaxed) != 0;
		head = feed_reader_head(&fs->rd);
	}
	return mrpc_result(
		json_pack(
			"{s:s, s:o, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:s, "
			"s:b, s:I}",
			"shm", fs->name, "generation", json_sprintf("%016" PRIx64, fs->generation),
			"alive", alive && !fs->lost, "resyncing", fs->need_resync,
			"heartbeat_age_ms",
			(json_int_t)(hb != 0 && now > hb ? (now - hb) / 1000000 : 0),
			"sequence_applied", (json_int_t)fs->next_seq, "head", (json_int_t)head,
			"lag", (json_int_t)feed_sync_lag(fs), "entries_applied",
			(json_int_t)fs->applied, "overruns", (json_int_t)fs->overruns, "resyncs",
			(json_int_t)fs->resyncs, "reopens", (json_int_t)fs->reopens,
			"mirror_routes", (json_int_t)fs->mirror.count, "mirror_digest",
			json_sprintf("%016" PRIx64, fs->mirror.digest), "snapshot_digest",
			json_sprintf("%016" PRIx64, fs->snap_digest), "last_error", fs->last_error,
			"authenticated", fs->key != NULL, "refused", (json_int_t)fs->refused),
		err);
}
RPC_METHOD("feed.status", feed_status_rpc, "",
	   "route feed: generation, liveness, sequence applied, lag, overruns, resyncs, mirror, "
	   "authentication and refused MACs")
