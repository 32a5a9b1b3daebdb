// SPDX-License-Identifier: BSD-3-Clause
// Typed jansson checks: every mistake becomes one message naming the JSON path (json_check.h).
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json/json_check.h"

int jcheck_fail(struct jcheck *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->msg, c->msglen, "%s%s%s%s%s", c->file != NULL ? c->file : "",
		 c->file != NULL ? ": " : "", path != NULL ? path : "",
		 path != NULL && path[0] != '\0' ? ": " : "", msg);
	if (c->code != NULL)
		*c->code = c->fail_code;
	return -EINVAL;
}

const char *jcheck_key(char buf[JCHECK_PATH_MAX], const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(buf, JCHECK_PATH_MAX, "%s", key);
	else
		snprintf(buf, JCHECK_PATH_MAX, "%s.%s", parent, key);
	return buf;
}

const char *jcheck_index(char buf[JCHECK_PATH_MAX], const char *parent, size_t i)
{
	snprintf(buf, JCHECK_PATH_MAX, "%s[%zu]", parent, i);
	return buf;
}

const char *jcheck_show(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (s == NULL) {
		snprintf(buf, len, "(value)");
		return buf;
	}
	// A whole object pasted into an error line helps nobody: keep the start.
	if (strlen(s) >= len && len > 4)
		snprintf(buf, len, "%.*s...", (int)(len - 4), s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

const char *jcheck_type_name(const json_t *v)
{
	if (v == NULL)
		return "none";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

int jcheck_object(struct jcheck *c, const char *path, const json_t *v, const char *const *allowed)
{
	char kp[JCHECK_PATH_MAX], list[256] = "";
	const char *key;
	json_t *val;
	size_t used = 0;

	if (!json_is_object(v))
		return jcheck_fail(c, path, "expected an object, got %s", jcheck_type_name(v));

	json_object_foreach((json_t *)v, key, val)
	{
		const char *const *a;

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a != NULL)
			continue;
		for (a = allowed; *a != NULL; a++) {
			int n = snprintf(list + used, sizeof(list) - used, "%s%s",
					 a == allowed ? "" : ", ", *a);
			if (n < 0 || (size_t)n >= sizeof(list) - used)
				break;
			used += (size_t)n;
		}
		return jcheck_fail(c, jcheck_key(kp, path, key), "unknown %s (known: %s)",
				   c->member, list[0] != '\0' ? list : "none");
	}
	return 0;
}

int jcheck_array(struct jcheck *c, const char *path, const json_t *v, size_t min, size_t max)
{
	size_t n;

	if (!json_is_array(v))
		return jcheck_fail(c, path, "expected an array, got %s", jcheck_type_name(v));
	n = json_array_size(v);
	if (n < min)
		return jcheck_fail(c, path, "needs at least %zu element%s", min,
				   min == 1 ? "" : "s");
	if (n > max)
		return jcheck_fail(c, path, "has %zu elements, at most %zu are supported", n, max);
	return (int)n;
}

int jcheck_string(struct jcheck *c, const char *path, const json_t *v, char *out, size_t size)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return jcheck_fail(c, path, "expected a string, got %s", jcheck_type_name(v));
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0)
		return jcheck_fail(c, path, "must not be empty");
	if (strlen(s) != n)
		return jcheck_fail(c, path, "must not contain a NUL character");
	if (n >= size)
		return jcheck_fail(c, path, "\"%.40s%s\" is too long (at most %zu characters)", s,
				   n > 40 ? "..." : "", size - 1);
	memcpy(out, s, n + 1);
	return 0;
}

int jcheck_uint(struct jcheck *c, const char *path, const json_t *v, uint32_t min, uint32_t max,
		uint32_t *out)
{
	char shown[64];
	json_int_t i;

	if (!json_is_integer(v))
		return jcheck_fail(c, path, "%s is not an integer",
				   jcheck_show(v, shown, sizeof(shown)));
	i = json_integer_value(v);
	if (i < (json_int_t)min || i > (json_int_t)max)
		return jcheck_fail(c, path, "%lld is out of range (%u..%u)", (long long)i, min,
				   max);
	*out = (uint32_t)i;
	return 0;
}

int jcheck_bool(struct jcheck *c, const char *path, const json_t *v, bool *out)
{
	char shown[64];

	if (!json_is_boolean(v))
		return jcheck_fail(c, path, "%s is not true or false",
				   jcheck_show(v, shown, sizeof(shown)));
	*out = json_is_true(v);
	return 0;
}
