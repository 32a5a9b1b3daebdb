// SPDX-License-Identifier: BSD-3-Clause
// moltctl control-plane status [PORT] (moltd): the control-plane interfaces, their punt path and
// guard counters.
#include <string.h>

#include "tools/moltctl/moltctl.h"

// One block per port: the settings line, then its counters as aligned "name  value" lines.
static void print_status(const json_t *r)
{
	const json_t *ports = json_object_get(r, "ports"), *p;
	size_t i;

	if (!json_is_true(json_object_get(r, "enabled"))) {
		printf("no control plane (the config has no control_plane section)\n");
		return;
	}
	printf("netns %s, guard %s, punt rate %lld/s burst %lld per port\n",
	       json_string_value(json_object_get(r, "netns")),
	       json_is_true(json_object_get(r, "guard")) ? "on" : "off",
	       json_integer_value(json_object_get(r, "rate_per_sec")),
	       json_integer_value(json_object_get(r, "burst")));
	json_array_foreach(ports, i, p)
	{
		json_t *counters = json_deep_copy(p);

		printf("\nport %s: interface %s (ifindex %lld)\n",
		       json_string_value(json_object_get(p, "port")),
		       json_string_value(json_object_get(p, "interface")),
		       json_integer_value(json_object_get(p, "ifindex")));
		json_object_del(counters, "port");
		json_object_del(counters, "interface");
		json_object_del(counters, "ifindex");
		ctl_print_generic(counters);
		json_decref(counters);
	}
}

static int cp_status(struct ctl *c, int argc, char **argv)
{
	if (argc > 2)
		return ctl_usage_error("control-plane status takes at most a port name");
	return ctl_run(c, "control_plane.status",
		       argc == 2 ? json_pack("{s:s}", "port", argv[1]) : NULL, print_status);
}

int noun_control_plane(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "status", cp_status, "[PORT]",
		  "control-plane interfaces: punt path and guard counters" },
		{ 0 },
	};

	return ctl_dispatch(c, "control-plane", verbs, argc, argv);
}
