// SPDX-License-Identifier: BSD-3-Clause
// route.add, route.del, route.count. route.add and route.del change the RPC source (route.del
// the route file's too: both are the operator's), which overrides the others (rs_table.h). A
// request is atomic: it is applied with an undo log, and any failure (a bad or absent route,
// the capacity, publishing) rolls the tables back before the error goes out. One publish per
// request, however many routes it carries.
#include <stdlib.h>
#include <string.h>

#include "routeserver/rpc_routes.h"
#include "routeserver/rs_table.h"

// What an item found before it was applied: the RPC source's and the file source's route for its
// prefix (route.add changes only the first, route.del both).
struct undo {
	struct molt_route rpc, file;
	bool had_rpc, had_file;
};

static void undo_record(struct undo *u, const struct molt_route *key)
{
	const struct molt_route *f;

	f = rib_find(&rs_table.src[RS_SRC_RPC], key);
	u->had_rpc = f != NULL;
	if (f != NULL)
		u->rpc = *f;
	f = rib_find(&rs_table.src[RS_SRC_FILE], key);
	u->had_file = f != NULL;
	if (f != NULL)
		u->file = *f;
}

// Puts source s's route for key back as it was (absent when !had).
static void undo_source(enum rs_source s, const struct molt_route *key, bool had,
			const struct molt_route *old)
{
	if (had)
		rs_table_set(&rs_table, s, old, false);
	else
		rs_table_set(&rs_table, s, key, true);
}

// Undoes items [0, k) in reverse order, then drops every journal entry since the last commit
// (the ones of the items and of the undo itself): the feed is left exactly as it was. Neither
// step can fail: a delete never allocates, and re-adding a key the tables held a moment ago
// fits in what they have already allocated.
static void rollback(const struct rs_routes *rs, const struct undo *u, size_t k)
{
	while (k-- > 0) {
		undo_source(RS_SRC_RPC, &rs->rt[k], u[k].had_rpc, &u[k].rpc);
		undo_source(RS_SRC_FILE, &rs->rt[k], u[k].had_file, &u[k].file);
	}
	rs_table_abort(&rs_table);
}

static bool same_next_hop(const struct molt_route *a, const struct molt_route *b)
{
	return a->type == b->type && memcmp(a->gateway, b->gateway, sizeof(a->gateway)) == 0 &&
	       strncmp(a->dev, b->dev, sizeof(a->dev)) == 0;
}

// Publishes the changed table (the items journaled their changes as they were applied); on
// failure undoes items [0, n) and sets err.
static int commit(const struct rs_routes *rs, const struct undo *u, struct rpc_error *err)
{
	char why[256];

	if (rs_table_publish(&rs_table, why, sizeof(why)) == 0)
		return 0;
	rollback(rs, u, rs->n);
	rpc_fail(err, RPC_ERR_FAILED, "%s; nothing changed", why);
	return -1;
}

// Parses the request's routes and allocates one undo record per route (a batch is all or
// nothing). NULL with err set on failure; otherwise the caller frees both.
static struct undo *parse_with_undo(const json_t *params, bool allow_prefix, struct rs_routes *rs,
				    struct rpc_error *err)
{
	struct undo *u;

	if (rs_routes_parse(params, allow_prefix, rs, err) < 0)
		return NULL;
	u = malloc((rs->n > 0 ? rs->n : 1) * sizeof(*u));
	if (u == NULL) {
		rpc_fail(err, RPC_INTERNAL_ERROR, "no memory for %zu routes", rs->n);
		rs_routes_free(rs);
	}
	return u;
}

static json_t *route_add(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	struct rib *rib = &rs_table.rib;
	size_t i, added = 0;
	struct rs_routes rs;
	json_t *res = NULL;
	struct undo *u;
	char name[160], why[256];
	bool existed;
	int ret;

	if ((u = parse_with_undo(params, false, &rs, err)) == NULL)
		return NULL;
	for (i = 0; i < rs.n; i++) {
		undo_record(&u[i], &rs.rt[i]);
		existed = rib_find(rib, &rs.rt[i]) != NULL;
		ret = rs_table_add_group(&rs_table, RS_SRC_RPC, &rs.grp[i * MOLT_MAX_PATHS],
					 rs.ngrp[i]);
		if (ret == 0)
			ret = rs_table_set(&rs_table, RS_SRC_RPC, &rs.rt[i], false);
		if (ret < 0) {
			rollback(&rs, u, i);
			rs_routes_name(&rs, i, name, sizeof(name));
			rpc_fail(err, RPC_ERR_FAILED, "%s: %s; nothing changed", name,
				 strerror(-ret));
			goto out;
		}
		added += !existed;
	}
	if (rib_routes(rib) > rs_table.capacity) {
		rpc_fail(err, RPC_ERR_FAILED,
			 "table full: %zu new routes would make %u, the capacity is %llu "
			 "(--capacity); nothing changed",
			 added, rib_routes(rib), (unsigned long long)rs_table.capacity);
		rollback(&rs, u, rs.n);
		goto out;
	}
	if (rs_table_check_room(&rs_table, rib, why, sizeof(why)) < 0) {
		rpc_fail(err, RPC_ERR_FAILED, "table full: %s; nothing changed", why);
		rollback(&rs, u, rs.n);
		goto out;
	}
	if (rs.n > 0 && commit(&rs, u, err) < 0)
		goto out;
	res = json_pack("{s:I,s:I}", "added", (json_int_t)added, "replaced",
			(json_int_t)(rs.n - added));
out:
	free(u);
	rs_routes_free(&rs);
	return res;
}
RPC_METHOD("route.add", route_add, "{\"route\": ROUTE} | {\"routes\": [ROUTE, ...]}",
	   "add or replace routes; ROUTE is a route-file line or {\"prefix\": P, \"paths\": "
	   "[{\"via\": A, \"dev\"?: PORT, \"weight\"?: 1-256}, ...]} (1-16 paths); a batch is "
	   "all or nothing. They override the route file's and FPM's routes for the same prefixes")

// The message for an item of route.del that does not match the table.
static void del_mismatch(const struct rs_routes *rs, size_t i, const struct molt_route *f,
			 struct rpc_error *err)
{
	char name[160], have[128];

	rs_routes_name(rs, i, name, sizeof(name));
	if (f == NULL) {
		rpc_fail(err, RPC_ERR_FAILED, "%s: no such route%s", name,
			 rs->batch ? "; nothing deleted" : "");
		return;
	}
	molt_route_format(f, have, sizeof(have));
	rpc_fail(err, RPC_ERR_FAILED,
		 "%s: the table has '%s' (give the prefix alone to delete "
		 "whatever it is)%s",
		 name, have, rs->batch ? "; nothing deleted" : "");
}

static json_t *route_del(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const struct molt_route *f;
	json_t *res = NULL;
	struct rs_routes rs;
	struct undo *u;
	size_t i;

	if ((u = parse_with_undo(params, true, &rs, err)) == NULL)
		return NULL;
	for (i = 0; i < rs.n; i++) {
		// The operator's route for the prefix (RPC's, else the file's) is what is deleted;
		// routes from FPM belong to zebra and are not the operator's to delete.
		undo_record(&u[i], &rs.rt[i]);
		f = u[i].had_rpc ? &u[i].rpc : u[i].had_file ? &u[i].file : NULL;
		// A full route must match what is there: deleting "P via A" must not remove
		// "P via B" that someone else installed meanwhile.
		if (f == NULL || (!rs.key_only[i] && !same_next_hop(f, &rs.rt[i]))) {
			del_mismatch(&rs, i, f, err);
			rollback(&rs, u, i);
			goto out;
		}
		// Neither can fail: a delete only removes or replaces a published route in place.
		if (u[i].had_rpc)
			rs_table_set(&rs_table, RS_SRC_RPC, &rs.rt[i], true);
		if (u[i].had_file)
			rs_table_set(&rs_table, RS_SRC_FILE, &rs.rt[i], true);
	}
	if (rs.n > 0 && commit(&rs, u, err) < 0)
		goto out;
	res = json_pack("{s:I}", "deleted", (json_int_t)i);
out:
	free(u);
	rs_routes_free(&rs);
	return res;
}
RPC_METHOD("route.del", route_del, "{\"route\": ROUTE|PREFIX} | {\"routes\": [...]}",
	   "delete the operator's routes (RPC and route file; a prefix alone deletes whatever it "
	   "points to); a batch is all or nothing")

static json_t *route_count(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const struct rib *rib = &rs_table.rib;

	if (rpc_params_none(params, err) < 0)
		return NULL;
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "ipv4", (json_int_t)rib->count_v4, "ipv6",
			 (json_int_t)(rib_routes(rib) - rib->count_v4), "total",
			 (json_int_t)rib_routes(rib), "groups", (json_int_t)rib->count_group_ids,
			 "group_records", (json_int_t)rib->count_groups);
}
RPC_METHOD("route.count", route_count, "",
	   "number of routes in the table (IPv4, IPv6, total), and of next-hop groups and their "
	   "records (one per path)")
