// SPDX-License-Identifier: BSD-3-Clause
// moltctl port list|stats [PORT] [--reset] (moltd).
#include <string.h>

#include "tools/moltctl/moltctl.h"

// "a b c" from a JSON array of strings.
static void join(const json_t *a, char *buf, size_t len)
{
	size_t used = 0;
	size_t i;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v)
	{
		int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
				 json_is_string(v) ? json_string_value(v) : "?");

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static void print_port_list(const json_t *r)
{
	static const char *const hdr[] = { "NAME", "ID",     "DRIVER",   "MAC",
					   "LINK", "QUEUES", "ADDRESSES" };
	struct table *t = table_new(7, hdr);
	size_t i;
	json_t *p;

	json_array_foreach(r, i, p)
	{
		const json_t *link = json_object_get(p, "link");
		char v4[512], v6[512];

		join(json_object_get(p, "ipv4"), v4, sizeof(v4));
		join(json_object_get(p, "ipv6"), v6, sizeof(v6));
		table_add(t, json_string_value(json_object_get(p, "name")));
		table_addf(t, "%lld", json_integer_value(json_object_get(p, "id")));
		table_add(t, json_string_value(json_object_get(p, "driver")));
		table_add(t, json_string_value(json_object_get(p, "mac")));
		if (json_is_true(json_object_get(link, "up")))
			table_addf(t, "up %lldM",
				   json_integer_value(json_object_get(link, "speed_mbps")));
		else
			table_add(t, "down");
		table_addf(t, "%lld/%lld", json_integer_value(json_object_get(p, "rx_queues")),
			   json_integer_value(json_object_get(p, "tx_queues")));
		table_addf(t, "%s%s%s %s", v4, v4[0] ? " " : "", v6,
			   json_string_value(json_object_get(p, "link_local")) ?: "");
	}
	table_print(t, stdout);
	table_free(t);
}

static int port_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("port list takes no arguments");
	return ctl_run(c, "port.list", NULL, print_port_list);
}

// Counters per port, then every non-zero drop reason under it (all of them: --json).
static void print_port_stats(const json_t *r)
{
	static const char *const hdr[] = { "PORT",   "RX",      "TX",       "FORWARDED",
					   "PUNTED", "DROPPED", "RX_BYTES", "TX_BYTES" };
	static const char *const keys[] = { "rx",      "tx",       "forwarded", "punted",
					    "dropped", "rx_bytes", "tx_bytes" };
	struct table *t = table_new(8, hdr), *d = table_new(3, NULL);
	char buf[32];
	size_t i;
	json_t *p;

	json_array_foreach(r, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *reason;
		json_t *n;

		table_add(t, name);
		for (unsigned k = 0; k < 7; k++)
			table_add(t, ctl_count((uint64_t)json_integer_value(
						       json_object_get(p, keys[k])),
					       buf, sizeof(buf)));
		json_object_foreach(json_object_get(p, "drops"), reason, n)
		{
			if (json_integer_value(n) == 0)
				continue;
			table_addf(d, "  %s drop", name);
			table_add(d, reason);
			table_add(d, ctl_count((uint64_t)json_integer_value(n), buf, sizeof(buf)));
		}
	}
	table_print(t, stdout);
	table_print(d, stdout);
	table_free(t);
	table_free(d);
}

static int port_stats(struct ctl *c, int argc, char **argv)
{
	json_t *params = json_object();
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reset") == 0) {
			json_object_set_new(params, "reset", json_true());
		} else if (argv[i][0] != '-' && json_object_get(params, "port") == NULL) {
			json_object_set_new(params, "port", json_string(argv[i]));
		} else {
			json_decref(params);
			return ctl_usage_error("port stats: unexpected '%s'", argv[i]);
		}
	}
	return ctl_run(c, "port.stats", params, print_port_stats);
}

int noun_port(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "list", port_list, "", "name, devargs, MAC, addresses, link" },
		{ "stats", port_stats, "[PORT] [--reset]",
		  "rx/tx/forwarded and drops by reason; --reset zeroes them after reading" },
		{ 0 },
	};

	return ctl_dispatch(c, "port", verbs, argc, argv);
}
