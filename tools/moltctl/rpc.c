// SPDX-License-Identifier: BSD-3-Clause
// moltctl rpc list, and the raw escape moltctl call METHOD [JSON-PARAMS].
#include <string.h>

#include "tools/moltctl/moltctl.h"

static int rpc_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("rpc list takes no arguments");
	return ctl_run(c, "rpc.list", NULL, NULL);
}

int noun_rpc(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "list", rpc_list, "", "every method the daemon serves, with its params" },
		{ 0 },
	};

	return ctl_dispatch(c, "rpc", verbs, argc, argv);
}

// The result is printed as JSON even without --json: a raw call has no printer of its own.
int noun_call(struct ctl *c, int argc, char **argv)
{
	json_t *params = NULL, *res;
	json_error_t jerr;
	int ret;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: moltctl call METHOD [JSON-PARAMS]\n"
		       "  calls METHOD with the params given as one JSON argument and prints the\n"
		       "  result as JSON, e.g. moltctl call route.lookup '{\"addresses\": "
		       "[\"192.0.2.1\"]}'\n");
		return EXIT_OK;
	}
	if (argc < 2 || argc > 3)
		return ctl_usage_error("call needs METHOD [JSON-PARAMS]");
	if (argc == 3) {
		params = json_loads(argv[2], JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return ctl_usage_error("call: params are not JSON: %s (column %d)",
					       jerr.text, jerr.column);
	}
	ret = ctl_call(c, argv[1], params, &res);
	if (ret != EXIT_OK)
		return ret;
	ctl_print_json(res);
	json_decref(res);
	return EXIT_OK;
}
