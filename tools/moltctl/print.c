// SPDX-License-Identifier: BSD-3-Clause
// Printing results: JSON as returned, or a generic readable form for results that have no
// printer of their own (the shape decides: lists of objects become tables).
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tools/moltctl/moltctl.h"

void ctl_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);

	if (s != NULL)
		puts(s);
	free(s);
}

const char *ctl_count(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	size_t nd, i, o = 0;

	nd = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, n);
	for (i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

void ctl_scalar(const json_t *v, char *buf, size_t len)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		if (json_integer_value(v) < 0)
			snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			ctl_count((uint64_t)json_integer_value(v), buf, len);
		break;
	case JSON_REAL:
		snprintf(buf, len, "%.3f", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "no");
		break;
	case JSON_NULL:
		snprintf(buf, len, "-");
		break;
	case JSON_ARRAY:
		// A list of scalars reads best comma-separated; anything else as compact JSON.
		if (json_array_size(v) == 0) {
			snprintf(buf, len, "-");
			break;
		}
		buf[0] = '\0';
		for (size_t i = 0; i < json_array_size(v); i++) {
			char one[128];
			const json_t *e = json_array_get(v, i);

			if (json_is_object(e) || json_is_array(e))
				goto compact;
			ctl_scalar(e, one, sizeof(one));
			if (i > 0)
				strncat(buf, ",", len - strlen(buf) - 1);
			strncat(buf, one, len - strlen(buf) - 1);
		}
		break;
	default:
compact:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		snprintf(buf, len, "%s", s != NULL ? s : "?");
		free(s);
		break;
	}
}

static bool all_objects(const json_t *a)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return false;
	json_array_foreach(a, i, e) if (!json_is_object(e)) return false;
	return true;
}

// A list of objects as a table: columns are the keys in order of first appearance.
static void print_rows(const json_t *a)
{
	const char *key, **cols = NULL;
	unsigned ncols = 0, c;
	struct table *t;
	char cell[1024];
	json_t *e, *v;
	size_t i;

	json_array_foreach(a, i, e)
	{
		json_object_foreach(e, key, v)
		{
			for (c = 0; c < ncols; c++)
				if (strcmp(cols[c], key) == 0)
					break;
			if (c == ncols) {
				cols = realloc(cols, (ncols + 1) * sizeof(*cols));
				if (cols == NULL)
					abort();
				cols[ncols++] = key;
			}
		}
	}
	t = table_new(ncols, cols);
	json_array_foreach(a, i, e)
	{
		for (c = 0; c < ncols; c++) {
			v = json_object_get(e, cols[c]);
			if (v == NULL) {
				table_add(t, "-");
				continue;
			}
			ctl_scalar(v, cell, sizeof(cell));
			table_add(t, cell);
		}
	}
	table_print(t, stdout);
	table_free(t);
	free(cols);
}

// Scalars (and nested objects, flattened as a.b) as "key  value" lines; lists of objects
// after them, each under its key.
static void flatten(const json_t *o, const char *prefix, struct table *kv)
{
	char name[256], cell[1024];
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v)
	{
		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (all_objects(v))
			continue;
		if (json_is_object(v) && json_object_size(v) > 0) {
			strncat(name, ".", sizeof(name) - strlen(name) - 1);
			flatten(v, name, kv);
			continue;
		}
		ctl_scalar(v, cell, sizeof(cell));
		table_add(kv, name);
		table_add(kv, cell);
	}
}

static void print_lists(const json_t *o, const char *prefix)
{
	char name[256];
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v)
	{
		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (all_objects(v)) {
			printf("\n%s:\n", name);
			print_rows(v);
		} else if (json_is_object(v)) {
			strncat(name, ".", sizeof(name) - strlen(name) - 1);
			print_lists(v, name);
		}
	}
}

void ctl_print_generic(const json_t *v)
{
	char cell[4096];
	struct table *kv;

	if (all_objects(v)) {
		print_rows(v);
	} else if (json_is_object(v)) {
		kv = table_new(2, NULL);
		flatten(v, "", kv);
		table_print(kv, stdout);
		table_free(kv);
		print_lists(v, "");
	} else {
		ctl_scalar(v, cell, sizeof(cell));
		puts(cell);
	}
}

// Byte counts as MiB: "memory" and keys ending in "_bytes" (renamed "_mib").
static json_t *mib_view(const json_t *v)
{
	const char *key;
	json_t *out, *e;
	size_t i;

	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, e) json_array_append_new(out, mib_view(e));
		return out;
	}
	if (!json_is_object(v))
		return json_deep_copy(v);
	out = json_object();
	json_object_foreach((json_t *)v, key, e)
	{
		size_t n = strlen(key);
		char name[128];

		if (!json_is_integer(e) ||
		    (strcmp(key, "memory") != 0 && (n < 6 || strcmp(key + n - 6, "_bytes") != 0))) {
			json_object_set_new(out, key, mib_view(e));
			continue;
		}
		snprintf(name, sizeof(name), "%.*s_mib",
			 (int)(strcmp(key, "memory") == 0 ? n : n - 6), key);
		json_object_set_new(
			out, name, json_sprintf("%.1f", (double)json_integer_value(e) / 1048576.0));
	}
	return out;
}

void ctl_print_mib(const json_t *v)
{
	json_t *m = mib_view(v);

	ctl_print_generic(m);
	json_decref(m);
}
