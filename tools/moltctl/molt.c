// SPDX-License-Identifier: BSD-3-Clause
// moltctl molt version|status (moltd).
#include "tools/moltctl/moltctl.h"

static int molt_version(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("molt version takes no arguments");
	return ctl_run(c, "molt.version", NULL, NULL);
}

static int molt_status(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("molt status takes no arguments");
	return ctl_run(c, "molt.status", NULL, ctl_print_mib);
}

int noun_molt(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "version", molt_version, "", "moltd, DPDK and jansson versions" },
		{ "status", molt_status, "",
		  "uptime, workers, active slot, routes, feed state, memory (MiB)" },
		{ 0 },
	};

	return ctl_dispatch(c, "molt", verbs, argc, argv);
}
