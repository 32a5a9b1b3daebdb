// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by moltd's methods: params checks whose messages name the parameter and the
// bad value (an operator must be able to fix the call from the message alone), and formatting
// of addresses, MACs and port names.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "control/config/mac.h"
#include "control/rpc/rpc_moltd.h"

struct moltd_rpc_state moltd_rpc;

json_t *mrpc_result(json_t *result, struct rpc_error *err)
{
	if (result == NULL)
		rpc_fail(err, RPC_INTERNAL_ERROR, "out of memory building the answer");
	return result;
}

// rpc_fail for params, as an int for the helpers' 0 / -EINVAL convention.
#define INVALID(err, ...) (rpc_fail(err, RPC_INVALID_PARAMS, __VA_ARGS__), -EINVAL)

int mrpc_param_bool(const json_t *v, const char *name, bool *out, struct rpc_error *err)
{
	struct jcheck c = rpc_params_check(err);

	return jcheck_bool(&c, name, v, out);
}

int mrpc_param_addr(const json_t *v, const char *name, uint8_t *family, uint8_t ip[16],
		    struct rpc_error *err)
{
	char buf[64];

	if (!json_is_string(v) || molt_addr_parse(json_string_value(v), family, ip) != 0)
		return INVALID(err, "%s: %s is not an IPv4 or IPv6 address", name,
			       jcheck_show(v, buf, sizeof(buf)));
	return 0;
}

int mrpc_param_mac(const json_t *v, const char *name, struct rte_ether_addr *mac,
		   struct rpc_error *err)
{
	char buf[64];

	if (!json_is_string(v) || mac_parse(json_string_value(v), mac) != 0)
		return INVALID(err, "%s: %s is not a MAC address (xx:xx:xx:xx:xx:xx)", name,
			       jcheck_show(v, buf, sizeof(buf)));
	if (rte_is_zero_ether_addr(mac) || rte_is_multicast_ether_addr(mac))
		return INVALID(err, "%s: %s is not a unicast MAC address", name,
			       jcheck_show(v, buf, sizeof(buf)));
	return 0;
}

int mrpc_param_port(const json_t *v, const char *name, const struct molt_port_conf **pc,
		    struct rpc_error *err)
{
	const struct molt_config *cfg = moltd_rpc.cfg;
	char buf[64], ports[512] = "";
	size_t n = 0;

	if (!json_is_string(v))
		return INVALID(err, "%s: %s is not a port name", name,
			       jcheck_show(v, buf, sizeof(buf)));
	*pc = molt_config_port(cfg, json_string_value(v));
	if (*pc != NULL)
		return 0;
	for (uint16_t i = 0; i < cfg->n_ports; i++)
		n += (size_t)snprintf(ports + n, n < sizeof(ports) ? sizeof(ports) - n : 0, "%s%s",
				      i ? ", " : "", cfg->ports[i].name);
	return INVALID(err, "port '%s' does not exist (ports: %s)", json_string_value(v), ports);
}

json_t *mrpc_addr_json(uint8_t family, const uint8_t ip[16])
{
	char buf[64];

	return json_string(molt_addr_format(family, ip, buf, sizeof(buf)));
}

json_t *mrpc_mac_json(const struct rte_ether_addr *mac)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	return json_string(mac_format(mac, buf, sizeof(buf)));
}

const char *mrpc_port_name(uint16_t port_id)
{
	const struct molt_config *cfg = moltd_rpc.cfg;

	for (uint16_t i = 0; cfg != NULL && i < cfg->n_ports; i++)
		if (cfg->ports[i].port_id == port_id)
			return cfg->ports[i].name;
	return NULL;
}
