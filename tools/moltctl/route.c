// SPDX-License-Identifier: BSD-3-Clause
// moltctl route: count and lookup (moltd, or the route server for count); add, del, list and
// load (route server: moltctl -r route ...).
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/route.h"
#include "tools/moltctl/moltctl.h"

// A request must stay under the server's 1 MiB line limit: files go in chunks of this many
// bytes of route text, each chunk one atomic request.
#define CHUNK_BYTES (768u << 10)
#define LOOKUP_MAX 10000

static int route_count(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("route count takes no arguments");
	return ctl_run(c, "route.count", NULL, NULL);
}

static void print_lookup(const json_t *res)
{
	static const char *const h[] = { "ADDRESS", "ACTION", "NEXT HOP", "PORT", "NEIGHBOUR" };
	static const char *const keys[] = { "address", "action", "next_hop", "port" };
	struct table *t = table_new(5, h);
	const json_t *r, *nb;
	char cell[256];
	size_t i;

	json_array_foreach(res, i, r)
	{
		for (unsigned k = 0; k < 4; k++) {
			const json_t *v = json_object_get(r, keys[k]);

			if (v == NULL) {
				table_add(t, "-");
				continue;
			}
			ctl_scalar(v, cell, sizeof(cell));
			table_add(t, cell);
		}
		nb = json_object_get(r, "neighbor");
		if (nb != NULL)
			table_addf(t, "%s %s", json_string_value(json_object_get(nb, "mac")) ?: "?",
				   json_string_value(json_object_get(nb, "state")) ?: "");
		else
			table_add(t, "-");
	}
	table_print(t, stdout);
	table_free(t);
}

// A multipath answer's paths, one table per address, the flow's path marked.
static void print_lookup_paths(const json_t *res)
{
	static const char *const h[] = { "PATH",   "GATEWAY", "PORT",  "WEIGHT", "NEIGHBOUR",
					 "USABLE", "PACKETS", "BYTES", "FLOW" };
	static const char *const keys[] = { "index",    "gateway", "port",    "weight",
					    "neighbor", "usable",  "packets", "bytes" };
	const json_t *r, *p;
	size_t i, j;

	json_array_foreach(res, i, r)
	{
		const json_t *paths = json_object_get(r, "paths");
		const json_t *fp = json_object_get(r, "flow_path");
		struct table *t;
		char cell[256];

		if (!json_is_array(paths))
			continue;
		printf("\n%s: group %s, %zu paths\n",
		       json_string_value(json_object_get(r, "address")) ?: "?",
		       json_string_value(json_object_get(r, "group")) ?: "?",
		       json_array_size(paths));
		t = table_new(9, h);
		json_array_foreach(paths, j, p)
		{
			for (unsigned k = 0; k < 8; k++) {
				const json_t *v = json_object_get(p, keys[k]);

				if (v == NULL)
					table_add(t, k == 1 ? "(not placed)" : "-");
				else if (json_is_object(v))
					table_addf(t, "%s",
						   json_string_value(json_object_get(v, "state"))
							   ?: "?");
				else {
					ctl_scalar(v, cell, sizeof(cell));
					table_add(t, cell);
				}
			}
			table_add(t,
				  fp != NULL && json_integer_value(json_object_get(fp, "index")) ==
							  json_integer_value(
								  json_object_get(p, "index"))
					  ? "<- flow"
					  : "");
		}
		table_print(t, stdout);
		table_free(t);
	}
}

// Number argument of a flow flag, 0..max; -1 when it is not one.
static long flow_number(const char *flag, const char *v, long max)
{
	char *end;
	long n = strtol(v, &end, 0);

	if (*v == '\0' || *end != '\0' || n < 0 || n > max) {
		ctl_usage_error("%s: \"%s\" is not a number 0-%ld", flag, v, max);
		return -1;
	}
	return n;
}

// The flow flags of route lookup (--src ADDR --proto N|tcp|udp --sport N --dport N), taken out
// of argv. Returns 0 (*flow NULL when none was given) or an exit status.
static int lookup_flow_args(int *argc, char **argv, json_t **flow)
{
	int out = 1;

	*flow = NULL;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		long v;

		if (strcmp(a, "--src") && strcmp(a, "--proto") && strcmp(a, "--sport") &&
		    strcmp(a, "--dport")) {
			argv[out++] = argv[i];
			continue;
		}
		if (i + 1 >= *argc)
			return ctl_usage_error("route lookup: %s needs a value", a);
		if (*flow == NULL)
			*flow = json_object();
		if (strcmp(a, "--src") == 0) {
			json_object_set_new(*flow, "src", json_string(argv[++i]));
			continue;
		}
		if (strcmp(a, "--proto") == 0 && strcmp(argv[i + 1], "tcp") == 0)
			v = 6;
		else if (strcmp(a, "--proto") == 0 && strcmp(argv[i + 1], "udp") == 0)
			v = 17;
		else if (strcmp(a, "--proto") == 0 && strcmp(argv[i + 1], "icmp") == 0)
			v = 1;
		else
			v = flow_number(a, argv[i + 1], strcmp(a, "--proto") == 0 ? 255 : 65535);
		if (v < 0)
			return EXIT_USAGE;
		json_object_set_new(*flow, a + 2, json_integer(v));
		i++;
	}
	*argc = out;
	if (*flow != NULL &&
	    (json_object_get(*flow, "src") == NULL || json_object_get(*flow, "proto") == NULL))
		return ctl_usage_error("route lookup: a flow needs --src and --proto");
	return 0;
}

static int route_lookup(struct ctl *c, int argc, char **argv)
{
	json_t *addrs, *res, *flow, *all;
	int i, ret;

	if ((ret = lookup_flow_args(&argc, argv, &flow)) != 0) {
		json_decref(flow);
		return ret;
	}
	ret = EXIT_OK;
	if (argc < 2) {
		json_decref(flow);
		return ctl_usage_error("route lookup needs at least one address");
	}
	all = json_array();
	// moltd answers at most LOOKUP_MAX addresses per call.
	for (i = 1; i < argc && ret == EXIT_OK;) {
		json_t *params;

		addrs = json_array();
		for (; i < argc && json_array_size(addrs) < LOOKUP_MAX; i++)
			json_array_append_new(addrs, json_string(argv[i]));
		params = json_pack("{s:o}", "addresses", addrs);
		if (flow != NULL)
			json_object_set(params, "flow", flow);
		ret = ctl_call(c, "route.lookup", params, &res);
		if (ret == EXIT_OK) {
			json_array_extend(all, res);
			json_decref(res);
		}
	}
	if (ret == EXIT_OK) {
		if (c->json) {
			ctl_print_json(all);
		} else {
			print_lookup(all);
			print_lookup_paths(all);
		}
	}
	json_decref(all);
	json_decref(flow);
	return ret;
}

// Route lines to send: one from the command line, or a file's lines with their line numbers.
struct lines {
	char **text;
	unsigned long *lineno;
	size_t n, cap;
	const char *source; // file name for messages, NULL for the command line
};

static void lines_add(struct lines *l, const char *s, unsigned long lineno)
{
	if (l->n == l->cap) {
		l->cap = l->cap * 2 + 1024;
		l->text = realloc(l->text, l->cap * sizeof(*l->text));
		l->lineno = realloc(l->lineno, l->cap * sizeof(*l->lineno));
		if (l->text == NULL || l->lineno == NULL)
			abort();
	}
	l->text[l->n] = strdup(s);
	if (l->text[l->n] == NULL)
		abort();
	l->lineno[l->n++] = lineno;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->text[i]);
	free(l->text);
	free(l->lineno);
}

// Reads FILE (or stdin for "-"), checking every line here first so a typo is reported as
// FILE:LINE before anything is sent. del accepts a bare prefix.
static int lines_read(struct lines *l, const char *path, bool del)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf = NULL, why[256], *nl;
	unsigned long lineno = 0;
	struct molt_route r, recs[MOLT_ROUTE_RECS_MAX];
	size_t cap = 0;
	uint8_t fam, plen;
	int ret = EXIT_OK;

	l->source = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if (f == NULL) {
		fprintf(stderr, "moltctl: %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	while (getline(&buf, &cap, f) >= 0) {
		lineno++;
		if ((nl = strchr(buf, '\n')) != NULL)
			*nl = '\0';
		int p = molt_route_parse_multi(buf, recs, why, sizeof(why));

		if (p == 0)
			continue;
		p = p > 0 ? 0 : p;
		if (p < 0 && del) {
			char word[128];

			if (sscanf(buf, " %127s", word) == 1 &&
			    strpbrk(buf + strspn(buf, " \t") + strlen(word),
				    "abcdefghijklmnopqrstuvwxyz0123456789") == NULL &&
			    molt_prefix_parse(word, &fam, r.prefix, &plen, false, why,
					      sizeof(why)) == 0)
				p = 0;
		}
		if (p < 0) {
			fprintf(stderr, "moltctl: %s:%lu: %s\n", l->source, lineno, why);
			ret = EXIT_USAGE;
			break;
		}
		lines_add(l, buf, lineno);
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

// Where a server message about routes[i] of a chunk came from, for file input.
static void blame(const struct lines *l, size_t first, const char *msg)
{
	size_t i;

	if (l->source == NULL || msg == NULL || sscanf(msg, "routes[%zu]", &i) != 1 ||
	    first + i >= l->n)
		return;
	fprintf(stderr, "moltctl: (that is %s:%lu)\n", l->source, l->lineno[first + i]);
}

// "PREFIX nexthop via A [dev P] [weight W] nexthop ..." on the command line, as route.add's
// structured form {"prefix": PREFIX, "paths": [{"via": A, "dev": P, "weight": W}, ...]} (the
// server checks it like the route-file line). Returns NULL after a usage message.
static json_t *nexthop_route(int argc, char **argv)
{
	json_t *paths = json_array(), *p = NULL;
	long long w;
	char *end;
	int a;

	for (a = 2; a < argc; a++) {
		const char *k = argv[a];

		if (strcmp(k, "nexthop") == 0) {
			p = json_object();
			json_array_append_new(paths, p);
			continue;
		}
		if (strcmp(k, "via") != 0 && strcmp(k, "dev") != 0 && strcmp(k, "weight") != 0) {
			ctl_usage_error("route %s: unknown word '%s' in a nexthop (expected via, "
					"dev or weight)",
					argv[0], k);
			goto bad;
		}
		if (a + 1 >= argc || strcmp(argv[a + 1], "nexthop") == 0) {
			ctl_usage_error("route %s: '%s' needs a value", argv[0], k);
			goto bad;
		}
		if (json_object_get(p, k) != NULL) {
			ctl_usage_error("route %s: '%s' given twice in one nexthop", argv[0], k);
			goto bad;
		}
		a++;
		if (k[0] != 'w') {
			json_object_set_new(p, k, json_string(argv[a]));
			continue;
		}
		errno = 0;
		w = strtoll(argv[a], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[a]) {
			ctl_usage_error("route %s: weight '%s' is not a number (1-%d)", argv[0],
					argv[a], MOLT_WEIGHT_MAX);
			goto bad;
		}
		json_object_set_new(p, "weight", json_integer(w));
	}
	return json_pack("{s:s,s:o}", "prefix", argv[1], "paths", paths);
bad:
	json_decref(paths);
	return NULL;
}

// route add / route del: the rest of the command line is one route, or --file FILE|-.
static int route_change(struct ctl *c, int argc, char **argv, bool del)
{
	const char *method = del ? "route.del" : "route.add";
	json_t *res, *batch,
		*total = del ? json_pack("{s:I}", "deleted", (json_int_t)0)
			     : json_pack("{s:I,s:I}", "added", (json_int_t)0, "replaced",
					 (json_int_t)0);
	struct lines l = { 0 };
	size_t i = 0, first, bytes;
	char line[2048] = "";
	int a, ret = EXIT_OK;
	json_t *v, *one = NULL;
	const char *key;

	if (argc >= 3 && strcmp(argv[2], "nexthop") == 0) {
		if ((one = nexthop_route(argc, argv)) == NULL)
			return EXIT_USAGE;
		lines_add(&l, "", 1);
	} else if (argc >= 2 && strcmp(argv[1], "--file") == 0) {
		if (argc != 3)
			return ctl_usage_error("route %s --file takes one FILE (or -)", argv[0]);
		ret = lines_read(&l, argv[2], del);
	} else if (argc == 2 && strcmp(argv[1], "-") == 0) {
		ret = lines_read(&l, "-", del);
	} else {
		if (argc < 2)
			return ctl_usage_error("route %s needs a route, e.g. 198.51.100.0/24 via "
					       "10.0.1.2",
					       argv[0]);
		for (a = 1; a < argc; a++) {
			if (a > 1)
				strncat(line, " ", sizeof(line) - strlen(line) - 1);
			strncat(line, argv[a], sizeof(line) - strlen(line) - 1);
		}
		lines_add(&l, line, 1);
	}
	while (ret == EXIT_OK && i < l.n) {
		batch = json_array();
		for (first = i, bytes = 0; i < l.n && bytes < CHUNK_BYTES; i++) {
			json_array_append_new(batch, one != NULL ? json_incref(one)
								 : json_string(l.text[i]));
			bytes += strlen(l.text[i]) + 4;
		}
		ret = ctl_call(c, method,
			       l.source != NULL
				       ? json_pack("{s:o}", "routes", batch)
				       : json_pack("{s:O}", "route", json_array_get(batch, 0)),
			       &res);
		if (l.source == NULL)
			json_decref(batch);
		if (ret != EXIT_OK) {
			// ctl_call printed the server's message; point at the file line.
			if (ret == EXIT_FAILED)
				blame(&l, first, c->last_error);
			if (ret == EXIT_FAILED && first > 0)
				fprintf(stderr,
					"moltctl: the %zu routes before %s:%lu were applied; "
					"each request of up to %u KiB is all or nothing\n",
					first, l.source, l.lineno[first], CHUNK_BYTES >> 10);
			break;
		}
		json_object_foreach(res, key, v) if (json_is_integer(v) &&
						     json_is_integer(json_object_get(total, key)))
			json_object_set_new(
				total, key,
				json_integer(json_integer_value(json_object_get(total, key)) +
					     json_integer_value(v)));
		json_decref(res);
	}
	if (ret == EXIT_OK) {
		if (c->json)
			ctl_print_json(total);
		else
			ctl_print_generic(total);
	}
	json_decref(total);
	json_decref(one);
	lines_free(&l);
	return ret;
}

static int route_add(struct ctl *c, int argc, char **argv)
{
	return route_change(c, argc, argv, false);
}

static int route_del(struct ctl *c, int argc, char **argv)
{
	return route_change(c, argc, argv, true);
}

// The paths of a multipath line from tok[1] on ("nexthop via A [dev P] [weight W] ..."): one
// row per path, the prefix on the first.
static void print_paths(struct table *t, char **tok, int n)
{
	const char *via = "?", *dev = "-", *w = NULL;
	int i, rows = 0;

	for (i = 2; i <= n; i++) {
		if (i == n || strcmp(tok[i], "nexthop") == 0) {
			table_add(t, rows++ == 0 ? tok[0] : "");
			if (w != NULL)
				table_addf(t, "via %s weight %s", via, w);
			else
				table_addf(t, "via %s", via);
			table_add(t, dev);
			via = "?", dev = "-", w = NULL;
			continue;
		}
		if (i + 1 >= n)
			break;
		if (strcmp(tok[i], "via") == 0)
			via = tok[++i];
		else if (strcmp(tok[i], "dev") == 0)
			dev = tok[++i];
		else if (strcmp(tok[i], "weight") == 0)
			w = tok[++i];
	}
}

// "P via G dev D" -> PREFIX, NEXT HOP, DEV columns; a multipath route takes a row per path.
static void print_list(const json_t *res)
{
	static const char *const h[] = { "PREFIX", "NEXT HOP", "DEV" };
	struct table *t = table_new(3, h);
	char text[1280], *tok[128], *save;
	const json_t *r;
	size_t i;
	int n;

	json_array_foreach(json_object_get(res, "routes"), i, r)
	{
		snprintf(text, sizeof(text), "%s", json_string_value(r) ?: "?");
		for (n = 0; n < 128 && (tok[n] = strtok_r(n == 0 ? text : NULL, " ", &save)); n++)
			;
		if (n >= 2 && strcmp(tok[1], "nexthop") == 0) {
			print_paths(t, tok, n);
			continue;
		}
		table_add(t, n > 0 ? tok[0] : "?");
		if (n >= 3 && strcmp(tok[1], "via") == 0)
			table_addf(t, "via %s", tok[2]);
		else if (n >= 2 && strcmp(tok[1], "blackhole") == 0)
			table_add(t, "blackhole");
		else
			table_add(t, "on-link");
		if (n >= 3 && strcmp(tok[n - 2], "dev") == 0)
			table_add(t, tok[n - 1]);
		else
			table_add(t, "-");
	}
	table_print(t, stdout);
	table_free(t);
}

static int route_list(struct ctl *c, int argc, char **argv)
{
	json_t *params = json_object(), *res;
	long long off = 0, n;
	char *end;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "--family") == 0 || strcmp(o, "--limit") == 0 ||
		    strcmp(o, "--offset") == 0) {
			if (i + 1 >= argc || (n = strtoll(argv[i + 1], &end, 10), *end != '\0') ||
			    n < 0) {
				json_decref(params);
				return ctl_usage_error("route list %s needs a number", o);
			}
			json_object_set_new(params, o + 2, json_integer(n));
			if (strcmp(o, "--offset") == 0)
				off = n;
			i++;
		} else if (o[0] != '-' && json_object_get(params, "prefix") == NULL) {
			json_object_set_new(params, "prefix", json_string(o));
		} else {
			json_decref(params);
			return ctl_usage_error("route list: unexpected '%s'", o);
		}
	}
	ret = ctl_call(c, "route.list", params, &res);
	if (ret != EXIT_OK)
		return ret;
	if (c->json) {
		ctl_print_json(res);
	} else {
		size_t shown = json_array_size(json_object_get(res, "routes"));
		long long total = json_integer_value(json_object_get(res, "total"));

		print_list(res);
		if ((long long)shown < total)
			fprintf(stderr, "(routes %lld-%lld of %lld; --offset %lld for more)\n",
				shown ? off + 1 : off, off + (long long)shown, total,
				off + (long long)shown);
	}
	json_decref(res);
	return EXIT_OK;
}

static void print_load(const json_t *r)
{
	char n[32], v4[32], v6[32];

	printf("loaded %s routes (IPv4 %s, IPv6 %s) from %s in %.1f ms\n",
	       ctl_count((uint64_t)json_integer_value(json_object_get(r, "routes")), n, sizeof(n)),
	       ctl_count((uint64_t)json_integer_value(json_object_get(r, "ipv4")), v4, sizeof(v4)),
	       ctl_count((uint64_t)json_integer_value(json_object_get(r, "ipv6")), v6, sizeof(v6)),
	       json_string_value(json_object_get(r, "file")) ?: "?",
	       json_real_value(json_object_get(r, "ms")));
}

static int route_load(struct ctl *c, int argc, char **argv)
{
	char path[PATH_MAX];

	if (argc != 2)
		return ctl_usage_error("route load needs one FILE");
	// The server resolves paths from its own directory: send an absolute one.
	if (realpath(argv[1], path) == NULL) {
		fprintf(stderr, "moltctl: %s: %s\n", argv[1], strerror(errno));
		return EXIT_FAILED;
	}
	return ctl_run(c, "routes.load", json_pack("{s:s}", "file", path), print_load);
}

int noun_route(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "count", route_count, "", "IPv4, IPv6 and total routes" },
		{ "lookup", route_lookup,
		  "ADDR... [--src ADDR --proto N|tcp|udp [--sport N] [--dport N]]",
		  "longest-prefix match through moltd's slot in use" },
		{ "add", route_add, "ROUTE | --file FILE|-",
		  "add or replace, e.g. 198.51.100.0/24 via 10.0.1.2 [dev p0] | PREFIX blackhole | "
		  "PREFIX nexthop via A [dev P] [weight W] nexthop via B ... (route server)" },
		{ "del", route_del, "ROUTE|PREFIX | --file FILE|-",
		  "delete; a full route must match the table, a prefix alone deletes whatever is "
		  "there (route server)" },
		{ "list", route_list, "[PREFIX] [--family 4|6] [--limit N] [--offset N]",
		  "routes equal to or inside PREFIX, sorted; 1000 per page by default "
		  "(route server)" },
		{ "load", route_load, "FILE",
		  "replace the whole table from a route file; a bad file changes nothing "
		  "(route server)" },
		{ 0 },
	};

	return ctl_dispatch(c, "route", verbs, argc, argv);
}
