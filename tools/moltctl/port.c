// SPDX-License-Identifier: BSD-3-Clause
// moltctl port list|stats [PORT] [--reset] (moltd).
#include <string.h>

#include "tools/moltctl/moltctl.h"

static int port_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("port list takes no arguments");
	return ctl_run(c, "port.list", NULL, NULL);
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
	return ctl_run(c, "port.stats", params, NULL);
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
