// SPDX-License-Identifier: BSD-3-Clause
// port.list and port.stats. Counters are summed over workers while they run: each word is
// consistent, the sum slightly stale (dataplane/counters.h).
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "control/rpc/rpc_moltd.h"
#include "control/port/ports.h"

static json_t *ifaddrs(uint8_t family, const struct molt_ifaddr *a, uint16_t n)
{
	json_t *list = json_array();

	for (uint16_t i = 0; i < n; i++) {
		char buf[64];

		molt_addr_format(family, a[i].addr, buf, sizeof(buf));
		json_array_append_new(list, json_sprintf("%s/%u", buf, a[i].plen));
	}
	return list;
}

static json_t *link_json(uint16_t port_id)
{
	struct rte_eth_link l;

	// nowait: the control thread must not sleep on a PHY that takes seconds to answer.
	if (!rte_eth_dev_is_valid_port(port_id) || rte_eth_link_get_nowait(port_id, &l) != 0)
		return json_null();
	return json_pack("{s:b, s:I, s:s, s:b}", "up", l.link_status == RTE_ETH_LINK_UP,
			 "speed_mbps",
			 (json_int_t)(l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed),
			 "duplex", l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half",
			 "autoneg", l.link_autoneg == RTE_ETH_LINK_AUTONEG);
}

static json_t *port_json(const struct molt_port_conf *pc)
{
	static const uint8_t zero[16];
	struct rte_eth_dev_info info;
	bool have_info = rte_eth_dev_is_valid_port(pc->port_id) &&
			 rte_eth_dev_info_get(pc->port_id, &info) == 0;

	return json_pack("{s:s, s:I, s:s, s:s?, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "name",
			 pc->name, "id", (json_int_t)pc->port_id, "devargs", pc->devargs, "driver",
			 have_info ? info.driver_name : NULL, "mac", mrpc_mac_json(&pc->mac),
			 "ipv4", ifaddrs(4, pc->v4, pc->n_v4), "ipv6", ifaddrs(6, pc->v6, pc->n_v6),
			 "link_local",
			 memcmp(pc->ll6, zero, 16) != 0 ? mrpc_addr_json(6, pc->ll6) : json_null(),
			 "link", link_json(pc->port_id), "rx_queues",
			 (json_int_t)(have_info ? info.nb_rx_queues : 0), "tx_queues",
			 (json_int_t)(have_info ? info.nb_tx_queues : 0));
}

static json_t *port_list(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	const struct molt_config *cfg = moltd_rpc.cfg;
	json_t *list;

	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	list = json_array();
	for (uint16_t i = 0; list != NULL && i < cfg->n_ports; i++)
		if (json_array_append_new(list, port_json(&cfg->ports[i])) < 0) {
			json_decref(list);
			list = NULL;
		}
	return mrpc_result(list, err);
}
RPC_METHOD("port.list", port_list, "", "ports: name, devargs, MAC, addresses, link, queues")

static json_t *stats_json(const struct molt_port_conf *pc)
{
	struct port_counters c;
	json_t *drops = json_object();
	uint64_t dropped;

	molt_port_counters_sum(pc->port_id, &c);
	dropped = molt_port_drops_total(&c);
	// Every reason, zero or not: scripts and tables rely on a fixed set of keys.
	for (unsigned r = 0; r < MOLT_DROP_MAX; r++) {
		json_object_set_new(drops, molt_drop_names[r],
				    json_integer((json_int_t)c.drops[r]));
	}
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "name", pc->name,
			 "id", (json_int_t)pc->port_id, "rx", (json_int_t)c.rx, "tx",
			 (json_int_t)c.tx, "forwarded", (json_int_t)c.forwarded, "punted",
			 (json_int_t)c.punted, "rx_bytes", (json_int_t)c.rx_bytes, "tx_bytes",
			 (json_int_t)c.tx_bytes, "dropped", (json_int_t)dropped, "drops", drops);
}

static json_t *port_stats(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const keys[] = { "port", "reset", NULL };
	const struct molt_config *cfg = moltd_rpc.cfg;
	const struct molt_port_conf *only = NULL;
	const json_t *v;
	bool reset = false;
	json_t *list;

	if (rpc_params_object(params, false, keys, err) < 0)
		return NULL;
	if ((v = json_object_get(params, "port")) != NULL &&
	    mrpc_param_port(v, "port", &only, err) < 0)
		return NULL;
	if ((v = json_object_get(params, "reset")) != NULL &&
	    mrpc_param_bool(v, "reset", &reset, err) < 0)
		return NULL;
	list = json_array();
	for (uint16_t i = 0; list != NULL && i < cfg->n_ports; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];

		if (only != NULL && pc != only)
			continue;
		if (json_array_append_new(list, stats_json(pc)) < 0) {
			json_decref(list);
			return mrpc_result(NULL, err);
		}
		// After reading: the caller gets what was counted up to the reset.
		if (reset)
			molt_port_counters_reset(pc->port_id);
	}
	return mrpc_result(list, err);
}
RPC_METHOD("port.stats", port_stats, "[{\"port\": NAME, \"reset\": true}]",
	   "per-port rx, tx, forwarded, punted, bytes, drops by reason; optional reset")
