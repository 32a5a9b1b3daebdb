// SPDX-License-Identifier: BSD-3-Clause
// moltctl main: global options, then a table of nouns, each implemented in its own file.
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/moltctl/moltctl.h"

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *help;
} nouns[] = {
	{ "molt", noun_molt, "moltd version and status" },
	{ "port", noun_port, "ports and their counters (moltd)" },
	{ "worker", noun_worker, "worker lcores and their counters (moltd)" },
	{ "neigh", noun_neigh, "neighbours: list, static entries (moltd)" },
	{ "route", noun_route, "count, lookup (moltd); add, del, list, load (route server)" },
	{ "slot", noun_slot, "forwarding slots (moltd)" },
	{ "feed", noun_feed, "the shared-memory route feed (route server)" },
	{ "metabolism", noun_metabolism, "slot replacement: status, interval, pause (moltd)" },
	{ "integrity", noun_integrity, "page-MAC audit of live slots: status (moltd)" },
	{ "control-plane", noun_control_plane, "control-plane interfaces and guard (moltd)" },
	{ "rpc", noun_rpc, "methods the daemon serves" },
	{ "call", noun_call, "raw call: moltctl call METHOD [JSON-PARAMS]" },
};

static int usage(FILE *f, int code)
{
	size_t i;

	fprintf(f,
		"usage: moltctl [-s SOCKET | -r] [--json] [--timeout S] NOUN VERB [ARGS...]\n"
		"\n"
		"  -s, --socket PATH  control socket (default $MOLT_SOCKET, else %s)\n"
		"  -r, --routeserver  the route server's default socket, %s\n"
		"  -j, --json         print results as JSON, as the daemon returns them\n"
		"  -t, --timeout S    seconds to wait for an answer (default 10)\n"
		"  -h, --help         this help; `moltctl NOUN --help`, `moltctl NOUN VERB --help`\n"
		"\n"
		"nouns:\n",
		MOLTD_SOCKET, ROUTESERVER_SOCKET);
	for (i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
		fprintf(f, "  %-8s %s\n", nouns[i].name, nouns[i].help);
	fprintf(f,
		"\n"
		"exit status: 0 done, 1 the daemon refused (its message on stderr), 2 bad command\n"
		"line, 3 no answer (daemon not running, timeout, broken reply).\n");
	return code;
}

bool ctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

int ctl_verb_usage(const char *noun, const struct ctl_verb *v, FILE *f, int code)
{
	fprintf(f, "usage: moltctl %s %s%s%s\n  %s\n", noun, v->name, v->args[0] ? " " : "",
		v->args, v->help);
	return code;
}

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("moltctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	return EXIT_USAGE;
}

static int noun_usage(const char *noun, const struct ctl_verb *verbs, FILE *f, int code)
{
	const struct ctl_verb *v;

	fprintf(f, "usage: moltctl %s VERB [ARGS...]\n\nverbs:\n", noun);
	for (v = verbs; v->name != NULL; v++)
		fprintf(f, "  %s %s%s%s\n      %s\n", noun, v->name, v->args[0] ? " " : "", v->args,
			v->help);
	return code;
}

int ctl_dispatch(struct ctl *c, const char *noun, const struct ctl_verb *verbs, int argc,
		 char **argv)
{
	const struct ctl_verb *v;

	if (argc < 2)
		return noun_usage(noun, verbs, stderr, EXIT_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return noun_usage(noun, verbs, stdout, EXIT_OK);
	for (v = verbs; v->name != NULL; v++) {
		if (strcmp(v->name, argv[1]) != 0)
			continue;
		if (ctl_wants_help(argc - 1, argv + 1))
			return ctl_verb_usage(noun, v, stdout, EXIT_OK);
		return v->fn(c, argc - 1, argv + 1);
	}
	fprintf(stderr, "moltctl: unknown verb '%s %s'\n", noun, argv[1]);
	return noun_usage(noun, verbs, stderr, EXIT_USAGE);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "routeserver", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl c = { .timeout_ms = 10000 };
	double secs;
	char *end;
	size_t i;
	int opt, ret;

	c.socket = getenv("MOLT_SOCKET");
	if (c.socket == NULL || c.socket[0] == '\0')
		c.socket = MOLTD_SOCKET;
	// '+': options end at the noun, so verbs can have options of their own.
	while ((opt = getopt_long(argc, argv, "+s:rjt:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.socket = optarg;
			break;
		case 'r':
			c.socket = ROUTESERVER_SOCKET;
			break;
		case 'j':
			c.json = true;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end != '\0' || !(secs > 0 && secs <= 86400)) {
				fprintf(stderr, "moltctl: --timeout: '%s' is not 0-86400 seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			c.timeout_ms = (int)(secs * 1000);
			if (c.timeout_ms == 0)
				c.timeout_ms = 1;
			break;
		case 'h':
			return usage(stdout, EXIT_OK);
		default:
			return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return usage(stderr, EXIT_USAGE);
	for (i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++) {
		if (strcmp(argv[optind], nouns[i].name) == 0) {
			ret = nouns[i].fn(&c, argc - optind, argv + optind);
			ctl_close(&c);
			return ret;
		}
	}
	if (strcmp(argv[optind], "help") == 0)
		return usage(stdout, EXIT_OK);
	fprintf(stderr, "moltctl: unknown noun '%s'\n", argv[optind]);
	return usage(stderr, EXIT_USAGE);
}
