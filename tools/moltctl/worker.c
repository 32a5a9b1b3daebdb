// SPDX-License-Identifier: BSD-3-Clause
// moltctl worker stats (moltd).
#include "tools/moltctl/moltctl.h"

static void print_worker_stats(const json_t *r)
{
	static const char *const hdr[] = { "WORKER",     "LCORE",       "BURSTS", "IDLE_POLLS",
					   "FLIPS_SEEN", "BUSY_CYCLES", "QUEUES" };
	struct table *t = table_new(7, hdr);
	char buf[32];
	size_t i, j;
	json_t *w, *q;

	json_array_foreach(r, i, w)
	{
		char queues[512];
		size_t used = 0;

		table_addf(t, "%lld", json_integer_value(json_object_get(w, "id")));
		table_addf(t, "%lld", json_integer_value(json_object_get(w, "lcore")));
		table_add(t, ctl_count((uint64_t)json_integer_value(json_object_get(w, "bursts")),
				       buf, sizeof(buf)));
		table_add(t,
			  ctl_count((uint64_t)json_integer_value(json_object_get(w, "idle_polls")),
				    buf, sizeof(buf)));
		table_add(t,
			  ctl_count((uint64_t)json_integer_value(json_object_get(w, "flips_seen")),
				    buf, sizeof(buf)));
		table_add(t,
			  ctl_count((uint64_t)json_integer_value(json_object_get(w, "busy_cycles")),
				    buf, sizeof(buf)));
		queues[0] = '\0';
		json_array_foreach(json_object_get(w, "rx_queues"), j, q)
		{
			int n = snprintf(queues + used, sizeof(queues) - used, "%s%s:%lld",
					 used ? " " : "",
					 json_string_value(json_object_get(q, "port")) ?: "?",
					 json_integer_value(json_object_get(q, "queue")));

			if (n < 0 || (size_t)n >= sizeof(queues) - used)
				break;
			used += (size_t)n;
		}
		table_add(t, queues);
	}
	table_print(t, stdout);
	table_free(t);
}

static int worker_stats(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("worker stats takes no arguments");
	return ctl_run(c, "worker.stats", NULL, print_worker_stats);
}

int noun_worker(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "stats", worker_stats, "", "per-worker lcore, queues, packets, bursts" },
		{ 0 },
	};

	return ctl_dispatch(c, "worker", verbs, argc, argv);
}
