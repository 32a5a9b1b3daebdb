// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by moltd's methods: params checks whose messages name the parameter and the
// bad value (an operator must be able to fix the call from the message alone), and formatting
// of addresses, MACs and port names.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/rpc/rpc_moltd.h"

struct moltd_rpc_state moltd_rpc;

uint64_t mrpc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

json_t *mrpc_result(json_t *result, struct rpc_error *err)
{
	if (result == NULL)
		rpc_fail(err, RPC_INTERNAL_ERROR, "out of memory building the answer");
	return result;
}

// rpc_fail for params, as an int for the helpers' 0 / -EINVAL convention.
#define INVALID(err, ...) (rpc_fail(err, RPC_INVALID_PARAMS, __VA_ARGS__), -EINVAL)

// A short rendering of a bad value for a message; strings keep their quotes.
static const char *show(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	snprintf(buf, len, "%s", s != NULL ? s : "?");
	if (s != NULL && strlen(s) >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	free(s);
	return buf;
}

int mrpc_params_object(const json_t *params, bool required, const char *const *allowed,
		       struct rpc_error *err)
{
	char known[256] = "";
	const char *key;
	json_t *v;

	if (params == NULL && !required)
		return 0;
	if (!json_is_object(params))
		return INVALID(err, "params: expected an object%s",
			       params == NULL ? ", got none" : "");
	for (size_t i = 0, n = 0; allowed[i] != NULL; i++)
		n += (size_t)snprintf(known + n, n < sizeof(known) ? sizeof(known) - n : 0,
				      "%s%s", i ? ", " : "", allowed[i]);
	json_object_foreach((json_t *)params, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i] == NULL)
			return INVALID(err, "params: unknown parameter \"%s\" (known: %s)", key,
				       known[0] ? known : "none");
	}
	return 0;
}

int mrpc_param_get(const json_t *params, const char *name, const json_t **v,
		   struct rpc_error *err)
{
	*v = json_object_get(params, name);
	if (*v == NULL)
		return INVALID(err, "params: missing \"%s\"", name);
	return 0;
}

int mrpc_param_bool(const json_t *v, const char *name, bool *out, struct rpc_error *err)
{
	char buf[64];

	if (!json_is_boolean(v))
		return INVALID(err, "%s: %s is not true or false", name, show(v, buf, sizeof(buf)));
	*out = json_is_true(v);
	return 0;
}

int mrpc_param_addr(const json_t *v, const char *name, uint8_t *family, uint8_t ip[16],
		    struct rpc_error *err)
{
	char buf[64];

	if (!json_is_string(v) || molt_addr_parse(json_string_value(v), family, ip) != 0)
		return INVALID(err, "%s: %s is not an IPv4 or IPv6 address", name,
			       show(v, buf, sizeof(buf)));
	return 0;
}

// Strict "xx:xx:xx:xx:xx:xx", the form the config and every listing use.
static int parse_mac(const char *s, struct rte_ether_addr *mac)
{
	for (int i = 0; i < 6; i++) {
		unsigned hi, lo;
		const char *p = s + 3 * i;

		if (sscanf(p, "%1x%1x", &hi, &lo) != 2 || p[0] == '+' || p[0] == '-' ||
		    p[1] == '+' || p[1] == '-' || p[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac->addr_bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int mrpc_param_mac(const json_t *v, const char *name, struct rte_ether_addr *mac,
		   struct rpc_error *err)
{
	char buf[64];

	if (!json_is_string(v) || parse_mac(json_string_value(v), mac) != 0)
		return INVALID(err, "%s: %s is not a MAC address (xx:xx:xx:xx:xx:xx)", name,
			       show(v, buf, sizeof(buf)));
	if (rte_is_zero_ether_addr(mac) || rte_is_multicast_ether_addr(mac))
		return INVALID(err, "%s: %s is not a unicast MAC address", name,
			       show(v, buf, sizeof(buf)));
	return 0;
}

int mrpc_param_port(const json_t *v, const char *name, const struct molt_port_conf **pc,
		    struct rpc_error *err)
{
	const struct molt_config *cfg = moltd_rpc.cfg;
	char buf[64], ports[512] = "";
	size_t n = 0;

	if (!json_is_string(v))
		return INVALID(err, "%s: %s is not a port name", name, show(v, buf, sizeof(buf)));
	*pc = molt_config_port(cfg, json_string_value(v));
	if (*pc != NULL)
		return 0;
	for (uint16_t i = 0; i < cfg->n_ports; i++)
		n += (size_t)snprintf(ports + n, n < sizeof(ports) ? sizeof(ports) - n : 0,
				      "%s%s", i ? ", " : "", cfg->ports[i].name);
	return INVALID(err, "port '%s' does not exist (ports: %s)", json_string_value(v), ports);
}

json_t *mrpc_addr_json(uint8_t family, const uint8_t ip[16])
{
	char buf[64];

	return json_string(molt_addr_format(family, ip, buf, sizeof(buf)));
}

json_t *mrpc_mac_json(const struct rte_ether_addr *mac)
{
	const uint8_t *b = mac->addr_bytes;

	// Lower case, as ip(8) and the config examples write MACs.
	return json_sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
			    b[5]);
}

const char *mrpc_port_name(uint16_t port_id)
{
	const struct molt_config *cfg = moltd_rpc.cfg;

	for (uint16_t i = 0; cfg != NULL && i < cfg->n_ports; i++)
		if (cfg->ports[i].port_id == port_id)
			return cfg->ports[i].name;
	return NULL;
}
