// SPDX-License-Identifier: BSD-3-Clause
// fpm.status: the FPM listener, zebra's session and what became of the messages it sent.
#include "common/rpc/rpc.h"
#include "routeserver/fpm_server.h"
#include "routeserver/rs_table.h"

static json_t *fpm_status(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const skip_names[FPM_SKIP_COUNT] = {
		[FPM_SKIP_NONE] = NULL,
		[FPM_SKIP_MSG_TYPE] = "other_message_type",
		[FPM_SKIP_FAMILY] = "other_family",
		[FPM_SKIP_TABLE] = "other_table",
		[FPM_SKIP_ROUTE_TYPE] = "other_route_type",
		[FPM_SKIP_SOURCE_ROUTE] = "source_specific",
		[FPM_SKIP_ENCAP] = "encapsulation",
	};
	const struct fpm_stats *st;
	struct fpm_info in;
	json_t *skipped, *counters;
	unsigned i;

	if (rpc_params_none(params, err) < 0)
		return NULL;
	if (fpm_server == NULL)
		return json_pack("{s:b}", "enabled", 0);
	fpm_server_info(fpm_server, &in);
	st = in.stats;
	skipped = json_object();
	for (i = 1; i < FPM_SKIP_COUNT; i++)
		json_object_set_new(skipped, skip_names[i],
				    json_integer((json_int_t)st->skipped[i]));
	counters = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"connections", (json_int_t)st->connections, "disconnects",
		(json_int_t)st->disconnects, "malformed", (json_int_t)st->malformed, "bytes",
		(json_int_t)st->bytes, "frames", (json_int_t)st->frames, "messages",
		(json_int_t)st->messages, "route_adds", (json_int_t)st->route_adds, "route_dels",
		(json_int_t)st->route_dels, "nexthop_adds", (json_int_t)st->nh_adds, "nexthop_dels",
		(json_int_t)st->nh_dels, "unresolved_nexthop", (json_int_t)st->unresolved_nh,
		"unusable_nexthop", (json_int_t)st->unusable_nh, "no_gateway",
		(json_int_t)st->no_gateway, "link_local_gateway", (json_int_t)st->link_local_gw,
		"gateway_other_family", (json_int_t)st->gw_family, "multipath",
		(json_int_t)st->multipath, "paths_truncated", (json_int_t)st->paths_truncated,
		"capacity_refused", (json_int_t)st->capacity_refused, "reresolved",
		(json_int_t)st->reresolved, "stale_marked", (json_int_t)st->stale_marked, "swept",
		(json_int_t)st->swept);
	json_object_set_new(counters, "nexthop_deleted_routes",
			    json_integer((json_int_t)st->nh_del_routes));
	json_object_set_new(counters, "skipped", skipped);
	return json_pack("{s:b,s:s,s:b,s:s,s:I,s:I,s:I,s:I,s:b,s:I,s:s,s:o}", "enabled", 1,
			 "listen", in.listen, "connected", in.connected, "peer", in.peer,
			 "session_ms", (json_int_t)in.session_ms, "routes",
			 (json_int_t)rib_routes(&rs_table.src[RS_SRC_FPM]), "stale",
			 (json_int_t)rib_routes(&rs_table.src[RS_SRC_FPM_STALE]), "nexthops",
			 (json_int_t)in.nexthops, "sweep_pending", in.sweep_pending, "stale_hold_s",
			 (json_int_t)in.hold_s, "last_error", in.last_error, "counters", counters);
}
RPC_METHOD("fpm.status", fpm_status, "",
	   "the FPM listener (--fpm): zebra's session, FPM routes (current, stale), counters")
