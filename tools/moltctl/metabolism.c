// SPDX-License-Identifier: BSD-3-Clause
// moltctl metabolism status|set and slot metabolize (moltd).
#include <stdlib.h>
#include <string.h>

#include "tools/moltctl/moltctl.h"

static int metabolism_status(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("metabolism status takes no arguments");
	return ctl_run(c, "metabolism.status", NULL, NULL);
}

// metabolism set interval MS | pause | resume
static int metabolism_set(struct ctl *c, int argc, char **argv)
{
	json_t *p;
	char *end;
	long long ms;

	if (argc == 2 && (strcmp(argv[1], "pause") == 0 || strcmp(argv[1], "resume") == 0))
		return ctl_run(c, "metabolism.set",
			       json_pack("{s:b}", "paused", strcmp(argv[1], "pause") == 0), NULL);
	if (argc != 3 || strcmp(argv[1], "interval") != 0)
		return ctl_usage_error("metabolism set takes: interval MS | pause | resume");
	ms = strtoll(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || ms < 0)
		return ctl_usage_error("interval: \"%s\" is not a number of milliseconds "
				       "(0: on demand only)",
				       argv[2]);
	p = json_pack("{s:I}", "interval_ms", (json_int_t)ms);
	return ctl_run(c, "metabolism.set", p, NULL);
}

int noun_metabolism(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "status", metabolism_status, "",
		  "interval, builds, flips, transitions, flip/update latency, update rate" },
		{ "set", metabolism_set, "interval MS | pause | resume",
		  "change the metabolism period (0: on demand only), pause or resume it" },
		{ 0 },
	};

	return ctl_dispatch(c, "metabolism", verbs, argc, argv);
}

// slot metabolize [--no-wait] [--driver NAME]
int ctl_slot_metabolize(struct ctl *c, int argc, char **argv)
{
	json_t *p = json_object();

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-wait") == 0) {
			json_object_set_new(p, "wait", json_false());
		} else if (strcmp(argv[i], "--driver") == 0 && i + 1 < argc) {
			json_object_set_new(p, "driver", json_string(argv[++i]));
		} else {
			json_decref(p);
			return ctl_usage_error("slot metabolize: unexpected \"%s\" (takes "
					       "[--no-wait] [--driver NAME])",
					       argv[i]);
		}
	}
	return ctl_run(c, "slot.metabolize", p, NULL);
}
