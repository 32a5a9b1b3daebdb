// SPDX-License-Identifier: BSD-3-Clause
// moltctl neigh list [PORT] | add IP MAC PORT | del IP PORT (moltd).
#include "tools/moltctl/moltctl.h"

static int neigh_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 2)
		return ctl_usage_error("neigh list takes at most a port name");
	return ctl_run(c, "neigh.list", argc == 2 ? json_pack("{s:s}", "port", argv[1]) : NULL,
		       NULL);
}

static int neigh_add(struct ctl *c, int argc, char **argv)
{
	if (argc != 4)
		return ctl_usage_error("neigh add needs IP MAC PORT");
	return ctl_run(c, "neigh.add",
		       json_pack("{s:s,s:s,s:s}", "ip", argv[1], "mac", argv[2], "port", argv[3]),
		       NULL);
}

static int neigh_del(struct ctl *c, int argc, char **argv)
{
	if (argc != 3)
		return ctl_usage_error("neigh del needs IP PORT");
	return ctl_run(c, "neigh.del", json_pack("{s:s,s:s}", "ip", argv[1], "port", argv[2]),
		       NULL);
}

int noun_neigh(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "list", neigh_list, "[PORT]", "neighbour entries (learned and static)" },
		{ "add", neigh_add, "IP MAC PORT", "add or replace a static entry" },
		{ "del", neigh_del, "IP PORT", "delete an entry" },
		{ 0 },
	};

	return ctl_dispatch(c, "neigh", verbs, argc, argv);
}
