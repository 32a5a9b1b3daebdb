// SPDX-License-Identifier: BSD-3-Clause
// moltctl slot list (moltd).
#include "tools/moltctl/moltctl.h"

static int slot_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("slot list takes no arguments");
	return ctl_run(c, "slot.list", NULL, ctl_print_mib);
}

int noun_slot(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "list", slot_list, "", "id, state, driver, routes, memory (MiB), generation" },
		{ "metabolize", ctl_slot_metabolize, "[--no-wait] [--driver NAME]",
		  "build a fresh slot and flip to it; waits until it is ACTIVE" },
		{ 0 },
	};

	return ctl_dispatch(c, "slot", verbs, argc, argv);
}
