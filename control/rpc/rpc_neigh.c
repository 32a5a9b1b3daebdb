// SPDX-License-Identifier: BSD-3-Clause
// neigh.list, neigh.add and neigh.del: the neighbour table and its static entries
// (control/neigh/neigh.h does the work, including telling workers and live slots).
#include <errno.h>
#include <string.h>

#include "control/neigh/neigh.h"
#include "control/rpc/rpc_moltd.h"

struct list_ctx {
	json_t *list;
	const struct molt_port_conf *only;
	bool failed;
};

static void add_entry(const struct neigh_info *n, void *arg)
{
	struct list_ctx *ctx = arg;
	bool resolved = strcmp(n->state, "incomplete") != 0 && strcmp(n->state, "failed") != 0;
	json_t *e;

	if (ctx->failed || (ctx->only != NULL && ctx->only->port_id != n->port))
		return;
	e = json_pack("{s:o, s:o, s:s?, s:s, s:I, s:I}", "ip", mrpc_addr_json(n->family, n->ip),
		      "mac", resolved ? mrpc_mac_json(&n->mac) : json_null(), "port",
		      mrpc_port_name(n->port), "state", n->state, "age_ms", (json_int_t)n->age_ms,
		      "held", (json_int_t)n->held);
	if (json_array_append_new(ctx->list, e) < 0)
		ctx->failed = true;
}

static json_t *neigh_list(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const keys[] = { "port", NULL };
	struct list_ctx ctx = { 0 };
	const json_t *v;

	if (rpc_params_object(params, false, keys, err) < 0)
		return NULL;
	if ((v = json_object_get(params, "port")) != NULL &&
	    mrpc_param_port(v, "port", &ctx.only, err) < 0)
		return NULL;
	ctx.list = json_array();
	neigh_walk(add_entry, &ctx);
	if (ctx.failed) {
		json_decref(ctx.list);
		ctx.list = NULL;
	}
	return mrpc_result(ctx.list, err);
}
RPC_METHOD("neigh.list", neigh_list, "[{\"port\": NAME}]",
	   "neighbours (ARP/ND and static): ip, mac, port, state, age, packets held")

// A neighbour is a unicast host: no multicast, broadcast or unspecified address.
static bool unicast_host(uint8_t family, const uint8_t *ip)
{
	static const uint8_t zero[16];

	if (family == 4)
		return ip[0] != 0 && ip[0] < 224;
	return ip[0] != 0xff && memcmp(ip, zero, 16) != 0;
}

// ip and port of neigh.add / neigh.del.
static int neigh_key(const json_t *params, uint8_t *family, uint8_t ip[16],
		     const struct molt_port_conf **pc, struct rpc_error *err)
{
	const json_t *v;

	if (rpc_param_get(params, "ip", &v, err) < 0 ||
	    mrpc_param_addr(v, "ip", family, ip, err) < 0)
		return -EINVAL;
	if (!unicast_host(*family, ip)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "ip: \"%s\" is not a unicast host address",
			 json_string_value(v));
		return -EINVAL;
	}
	if (rpc_param_get(params, "port", &v, err) < 0 || mrpc_param_port(v, "port", pc, err) < 0)
		return -EINVAL;
	return 0;
}

static json_t *neigh_add(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const keys[] = { "ip", "mac", "port", NULL };
	const struct molt_port_conf *pc;
	struct rte_ether_addr mac;
	uint8_t family, ip[16] = { 0 };
	const json_t *v;
	int ret;

	if (rpc_params_object(params, true, keys, err) < 0 ||
	    neigh_key(params, &family, ip, &pc, err) < 0 ||
	    rpc_param_get(params, "mac", &v, err) < 0 || mrpc_param_mac(v, "mac", &mac, err) < 0)
		return NULL;
	ret = neigh_add_static(family, ip, &mac, pc->port_id);
	if (ret < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "cannot add neighbour %s on %s: %s",
				json_string_value(json_object_get(params, "ip")), pc->name,
				ret == -ENOSPC ? "the neighbour table is full" : strerror(-ret));
	return mrpc_result(json_pack("{s:o, s:o, s:s, s:s}", "ip", mrpc_addr_json(family, ip),
				     "mac", mrpc_mac_json(&mac), "port", pc->name, "state",
				     "static"),
			   err);
}
RPC_METHOD("neigh.add", neigh_add, "{\"ip\": ADDR, \"mac\": MAC, \"port\": NAME}",
	   "add or replace a static neighbour")

static json_t *neigh_del(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const keys[] = { "ip", "port", NULL };
	const struct molt_port_conf *pc;
	uint8_t family, ip[16] = { 0 };
	int ret;

	if (rpc_params_object(params, true, keys, err) < 0 ||
	    neigh_key(params, &family, ip, &pc, err) < 0)
		return NULL;
	ret = neigh_del_static(family, ip, pc->port_id);
	if (ret == -ENOENT)
		return rpc_fail(err, RPC_ERR_FAILED, "no static neighbour %s on %s",
				json_string_value(json_object_get(params, "ip")), pc->name);
	if (ret < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "cannot delete neighbour %s on %s: %s",
				json_string_value(json_object_get(params, "ip")), pc->name,
				strerror(-ret));
	return mrpc_result(
		json_pack("{s:o, s:s}", "ip", mrpc_addr_json(family, ip), "port", pc->name), err);
}
RPC_METHOD("neigh.del", neigh_del, "{\"ip\": ADDR, \"port\": NAME}",
	   "delete a static neighbour (learned ones age out by themselves)")
