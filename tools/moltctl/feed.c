// SPDX-License-Identifier: BSD-3-Clause
// moltctl feed status (route server).
#include "tools/moltctl/moltctl.h"

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static const char *num(const json_t *o, const char *key, char *buf, size_t len)
{
	return ctl_count((uint64_t)json_integer_value(json_object_get(o, key)), buf, len);
}

static void print_status(const json_t *r)
{
	const json_t *s = json_object_get(r, "snapshot");
	struct table *t;
	char a[32], b[32], c[32];

	// moltd answers feed.status too, as the reader of the feed (sequence applied, lag,
	// overruns, resyncs): a different shape, printed as it comes.
	if (json_object_get(r, "entries_applied") != NULL) {
		ctl_print_generic(r);
		return;
	}
	t = table_new(2, NULL);

	table_add(t, "shm");
	table_add(t, str(r, "shm"));
	table_add(t, "generation");
	table_add(t, str(r, "generation"));
	table_add(t, "alive");
	table_add(t, json_is_true(json_object_get(r, "alive")) ? "yes" : "no");
	table_add(t, "authenticated");
	table_add(t, json_is_true(json_object_get(r, "authenticated")) ? "yes (--feed-key)" : "no");
	table_add(t, "sequence");
	table_add(t, num(r, "sequence", a, sizeof(a)));
	table_add(t, "snapshot");
	table_addf(t, "%s routes (IPv4 %s, IPv6 %s)", num(s, "count", a, sizeof(a)),
		   num(s, "ipv4", b, sizeof(b)), num(s, "ipv6", c, sizeof(c)));
	table_add(t, "  covers seq");
	table_add(t, num(s, "covers_seq", a, sizeof(a)));
	table_add(t, "  digest");
	table_add(t, str(s, "digest"));
	table_add(t, "  published");
	table_add(t, str(s, "published"));
	table_add(t, "publishes");
	table_add(t, num(r, "publishes", a, sizeof(a)));
	table_add(t, "capacity");
	table_addf(t, "%s routes", num(r, "capacity", a, sizeof(a)));
	table_add(t, "journal size");
	table_addf(t, "%s entries", num(r, "journal_size", a, sizeof(a)));
	table_print(t, stdout);
	table_free(t);
}

static int feed_status(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error("feed status takes no arguments");
	return ctl_run(c, "feed.status", NULL, print_status);
}

int noun_feed(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "status", feed_status, "",
		  "shm name, generation, journal sequence, current snapshot (route server)" },
		{ 0 },
	};

	return ctl_dispatch(c, "feed", verbs, argc, argv);
}
