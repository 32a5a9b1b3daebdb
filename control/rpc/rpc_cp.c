// SPDX-License-Identifier: BSD-3-Clause
// control_plane.status: the control-plane interfaces (control/cpif), their punt-path counters
// and their guard's.
#include <errno.h>
#include <stdio.h>

#include "control/cpif/cpif.h"
#include "control/cpif/guard.h"
#include "control/rpc/rpc_moltd.h"

static json_t *port_json(const struct molt_port_conf *pc, const struct cpif_info *ci)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "port", pc->name, "interface", ci->ifname,
			      "ifindex", ci->ifindex);

	for (unsigned i = 0; o != NULL && i < CPIF_CTR_MAX; i++)
		json_object_set_new(o, cpif_counter_name(i), json_integer((json_int_t)ci->ctr[i]));
	for (unsigned i = 0; o != NULL && ci->guard && i < GUARD_CTR_MAX; i++) {
		char name[64];

		snprintf(name, sizeof(name), "guard_%s", guard_counter_name(i));
		json_object_set_new(o, name, json_integer((json_int_t)ci->guard_ctr[i]));
	}
	return o;
}

static json_t *cp_status(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const keys[] = { "port", NULL };
	const struct molt_config *cfg = moltd_rpc.cfg;
	const struct molt_port_conf *only = NULL;
	const json_t *v;
	json_t *ports, *res;

	if (rpc_params_object(params, false, keys, err) < 0)
		return NULL;
	if ((v = json_object_get(params, "port")) != NULL &&
	    mrpc_param_port(v, "port", &only, err) < 0)
		return NULL;
	if (!cpif_enabled())
		return mrpc_result(json_pack("{s:b}", "enabled", false), err);
	ports = json_array();
	for (uint16_t i = 0; ports != NULL && cfg != NULL && i < cfg->n_ports; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];
		struct cpif_info ci;

		if ((only != NULL && only != pc) || cpif_info(pc->port_id, &ci) == -ENOENT)
			continue;
		json_array_append_new(ports, port_json(pc, &ci));
	}
	res = json_pack("{s:b, s:s, s:b, s:I, s:I, s:o?}", "enabled", true, "netns", cpif_netns(),
			"guard", cfg->cp.guard, "rate_per_sec", (json_int_t)cfg->cp.rate_per_sec,
			"burst", (json_int_t)cfg->cp.burst, "ports", ports);
	return mrpc_result(res, err);
}
RPC_METHOD("control_plane.status", cp_status, "[{\"port\": NAME}]",
	   "control-plane interfaces (control_plane.netns): punt path and guard counters")
