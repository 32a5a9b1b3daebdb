// SPDX-License-Identifier: BSD-3-Clause
// route.add, route.del, route.count. A request is atomic: it is applied with an undo log, and
// any failure (a bad or absent route, the capacity, publishing) rolls the RIB back before the
// error goes out. One publish per request, however many routes it carries.
#include <stdlib.h>
#include <string.h>

#include "routeserver/rpc_routes.h"
#include "routeserver/rs_table.h"

struct undo {
	struct molt_route old; // the route before this item was applied
	bool existed; // false: the item created its key
};

// Undoes items [0, k) in reverse order. Neither step can fail: a delete never allocates, and
// re-adding a key the table held a moment ago fits in what it has already allocated.
static void rollback(const struct rs_routes *rs, const struct undo *u, size_t k, bool was_add)
{
	while (k-- > 0) {
		if (was_add && !u[k].existed)
			rib_del(&rs_table.rib, &rs->rt[k]);
		else
			rib_add(&rs_table.rib, &u[k].old);
	}
}

static bool same_next_hop(const struct molt_route *a, const struct molt_route *b)
{
	return a->type == b->type && memcmp(a->gateway, b->gateway, sizeof(a->gateway)) == 0 &&
	       strncmp(a->dev, b->dev, sizeof(a->dev)) == 0;
}

// Journals and publishes the changed table; on failure undoes items [0, n) and sets err.
static int commit(const struct rs_routes *rs, const struct undo *u, bool was_add,
		  struct rpc_error *err)
{
	char why[256];
	size_t i;

	for (i = 0; i < rs->n; i++)
		rs_table_journal(&rs_table, was_add ? FEED_OP_ADD : FEED_OP_DEL,
				 was_add ? &rs->rt[i] : &u[i].old);
	if (rs_table_publish(&rs_table, why, sizeof(why)) == 0)
		return 0;
	rollback(rs, u, rs->n, was_add);
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
	const struct molt_route *f;
	size_t i, added = 0;
	struct rs_routes rs;
	json_t *res = NULL;
	struct undo *u;
	char name[160];
	int ret;

	if ((u = parse_with_undo(params, false, &rs, err)) == NULL)
		return NULL;
	for (i = 0; i < rs.n; i++) {
		f = rib_find(rib, &rs.rt[i]);
		u[i].existed = f != NULL;
		if (f != NULL)
			u[i].old = *f;
		ret = rib_add(rib, &rs.rt[i]);
		if (ret < 0) {
			rollback(&rs, u, i, true);
			rs_routes_name(&rs, i, name, sizeof(name));
			rpc_fail(err, RPC_ERR_FAILED, "%s: %s; nothing changed", name,
				 strerror(-ret));
			goto out;
		}
		added += ret == 0;
	}
	if (rib->count > rs_table.capacity) {
		rpc_fail(err, RPC_ERR_FAILED,
			 "table full: %zu new routes would make %u, the capacity is %llu "
			 "(--capacity); nothing changed",
			 added, rib->count, (unsigned long long)rs_table.capacity);
		rollback(&rs, u, rs.n, true);
		goto out;
	}
	if (rs.n > 0 && commit(&rs, u, true, err) < 0)
		goto out;
	res = json_pack("{s:I,s:I}", "added", (json_int_t)added, "replaced",
			(json_int_t)(rs.n - added));
out:
	free(u);
	rs_routes_free(&rs);
	return res;
}
RPC_METHOD("route.add", route_add, "{\"route\": ROUTE} | {\"routes\": [ROUTE, ...]}",
	   "add or replace routes (route-file syntax); a batch is all or nothing")

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
		f = rib_find(&rs_table.rib, &rs.rt[i]);
		// A full route must match what is there: deleting "P via A" must not remove
		// "P via B" that someone else installed meanwhile.
		if (f == NULL || (!rs.key_only[i] && !same_next_hop(f, &rs.rt[i]))) {
			del_mismatch(&rs, i, f, err);
			rollback(&rs, u, i, false);
			goto out;
		}
		u[i].old = *f;
		u[i].existed = true;
		rib_del(&rs_table.rib, &u[i].old);
	}
	if (rs.n > 0 && commit(&rs, u, false, err) < 0)
		goto out;
	res = json_pack("{s:I}", "deleted", (json_int_t)i);
out:
	free(u);
	rs_routes_free(&rs);
	return res;
}
RPC_METHOD("route.del", route_del, "{\"route\": ROUTE|PREFIX} | {\"routes\": [...]}",
	   "delete routes (a prefix alone deletes whatever it points to); a batch is all or "
	   "nothing")

static json_t *route_count(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const struct rib *rib = &rs_table.rib;

	if (rpc_params_none(params, err) < 0)
		return NULL;
	return json_pack("{s:I,s:I,s:I}", "ipv4", (json_int_t)rib->count_v4, "ipv6",
			 (json_int_t)(rib->count - rib->count_v4), "total", (json_int_t)rib->count);
}
RPC_METHOD("route.count", route_count, "", "number of routes in the table (IPv4, IPv6, total)")
