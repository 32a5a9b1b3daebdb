// SPDX-License-Identifier: BSD-3-Clause
// moltctl worker stats (moltd).
#include "tools/moltctl/moltctl.h"

static int worker_stats(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("worker stats takes no arguments");
	return ctl_run(c, "worker.stats", NULL, NULL);
}

int noun_worker(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "stats", worker_stats, "", "per-worker lcore, queues, packets, bursts" },
		{ 0 },
	};

	return ctl_dispatch(c, "worker", verbs, argc, argv);
}
