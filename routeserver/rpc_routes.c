// SPDX-License-Identifier: BSD-3-Clause
// Parsing the route strings of route.add / route.del requests (see rpc_routes.h).
#include <stdlib.h>
#include <string.h>

#include "routeserver/rpc_routes.h"

// The text of an item, trimmed; -1 with err set when it is not a usable string.
static int item_text(const json_t *v, const char *name, char *buf, size_t len,
		     struct rpc_error *err)
{
	const char *s, *e;
	size_t n;

	if (!json_is_string(v)) {
		rpc_fail(err, RPC_INVALID_PARAMS,
			 "%s: expected a route string or {\"prefix\": ..., \"paths\": [...]}",
			 name);
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	// The parser stops at a newline, '#' or NUL: a second line or an embedded NUL would be
	// dropped without a word, so they are refused instead ('#' starts a comment, as in files).
	if (memchr(s, '\0', n) != NULL || memchr(s, '\n', n) != NULL) {
		rpc_fail(err, RPC_INVALID_PARAMS,
			 "%s: one route per string (no newline or NUL inside)", name);
		return -1;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if ((size_t)(e - s) >= len) {
		rpc_fail(err, RPC_INVALID_PARAMS, "%s: route text longer than %zu bytes", name,
			 len - 1);
		return -1;
	}
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return 0;
}

void rs_routes_name(const struct rs_routes *rs, size_t i, char *buf, size_t len)
{
	char text[128];

	molt_route_format(&rs->rt[i], text, sizeof(text));
	if (rs->key_only[i])
		*strchr(text, ' ') = '\0';
	if (rs->batch)
		snprintf(buf, len, "routes[%zu] '%s'", i, text);
	else
		snprintf(buf, len, "route '%s'", text);
}

// One word of a structured path ("via", "dev") for the route line: a string without blanks, so
// it cannot smuggle in keywords of its own.
static int path_word(const json_t *v, const char *path, char *out, size_t size,
		     struct rpc_error *err)
{
	struct jcheck c = rpc_params_check(err);

	if (jcheck_string(&c, path, v, out, size) < 0)
		return -1;
	if (strpbrk(out, " \t\r\n\v\f#") != NULL) {
		jcheck_fail(&c, path, "\"%.40s\" is not one word", out);
		return -1;
	}
	return 0;
}

// Appends path j of a structured route ({"via": A, "dev"?: P, "weight"?: W}) to text as
// " nexthop via A [dev P] [weight W]". Returns 0 or -1 with err set.
static int path_text(const json_t *p, const char *name, size_t j, char *text, size_t len,
		     struct rpc_error *err)
{
	static const char *const known[] = { "via", "dev", "weight", NULL };
	struct jcheck c = rpc_params_check(err);
	char at[JCHECK_PATH_MAX], kp[JCHECK_PATH_MAX], via[64], dev[64], w[24] = "";
	const json_t *v;
	size_t off = strlen(text);
	int k;

	snprintf(at, sizeof(at), "%s.paths[%zu]", name, j);
	if (jcheck_object(&c, at, p, known) < 0)
		return -1;
	if ((v = json_object_get(p, "via")) == NULL) {
		jcheck_fail(&c, at,
			    "missing \"via\" (a nexthop needs a gateway; multipath over 'dev' "
			    "only is not supported)");
		return -1;
	}
	if (path_word(v, jcheck_key(kp, at, "via"), via, sizeof(via), err) < 0)
		return -1;
	dev[0] = '\0';
	v = json_object_get(p, "dev");
	if (v != NULL && path_word(v, jcheck_key(kp, at, "dev"), dev, sizeof(dev), err) < 0)
		return -1;
	// The number goes through the route-file parser as it is, so a bad weight gets the
	// file's message ("weight must be 1-256").
	v = json_object_get(p, "weight");
	if (v != NULL && !json_is_integer(v)) {
		jcheck_fail(&c, jcheck_key(kp, at, "weight"), "expected an integer 1-%d, got %s",
			    MOLT_WEIGHT_MAX, jcheck_type_name(v));
		return -1;
	}
	if (v != NULL)
		snprintf(w, sizeof(w), " weight %lld", (long long)json_integer_value(v));
	k = snprintf(text + off, len - off, " nexthop via %s%s%s%s", via, dev[0] ? " dev " : "",
		     dev, w);
	if (k < 0 || (size_t)k >= len - off) {
		jcheck_fail(&c, at, "route text longer than %zu bytes", len - 1);
		return -1;
	}
	return 0;
}

// The structured form {"prefix": P, "paths": [{"via": A, "dev"?: P, "weight"?: W}, ...]}: it
// becomes the route line "P nexthop via A [dev P] [weight W] ..." and goes through the
// route-file parser, so both forms give the same records and refuse the same mistakes. Each
// path is checked as it is added, which names the path a mistake is in. With allow_prefix
// (route.del), {"prefix": P} alone is the prefix. Returns 1 for a prefix alone, 0 for a route
// (recs[0..*n)), -1 with err set.
static int object_route(const json_t *v, const char *name, bool allow_prefix, char *text,
			size_t len, struct molt_route *recs, int *n, struct rpc_error *err)
{
	static const char *const known[] = { "prefix", "paths", NULL };
	struct jcheck c = rpc_params_check(err);
	char kp[JCHECK_PATH_MAX], ip[JCHECK_PATH_MAX], why[256];
	const json_t *paths, *pfx;
	struct molt_route key;
	size_t j;
	int np;

	if (jcheck_object(&c, name, v, known) < 0)
		return -1;
	if ((pfx = json_object_get(v, "prefix")) == NULL) {
		jcheck_fail(&c, name, "missing \"prefix\"");
		return -1;
	}
	if (jcheck_string(&c, jcheck_key(kp, name, "prefix"), pfx, text, len) < 0)
		return -1;
	memset(&key, 0, sizeof(key));
	if (molt_prefix_parse(text, &key.family, key.prefix, &key.plen, false, why, sizeof(why)) <
	    0) {
		jcheck_fail(&c, kp, "%s", why);
		return -1;
	}
	paths = json_object_get(v, "paths");
	if (paths == NULL && allow_prefix) {
		recs[0] = key;
		return 1;
	}
	if (paths == NULL) {
		jcheck_fail(&c, name,
			    "missing \"paths\" (a list of {\"via\": GATEWAY, "
			    "\"dev\"?: PORT, \"weight\"?: 1-%d})",
			    MOLT_WEIGHT_MAX);
		return -1;
	}
	np = jcheck_array(&c, jcheck_key(kp, name, "paths"), paths, 1, MOLT_MAX_PATHS);
	if (np < 0)
		return -1;
	for (j = 0; j < (size_t)np; j++) {
		if (path_text(json_array_get(paths, j), name, j, text, len, err) < 0)
			return -1;
		*n = molt_route_parse_multi(text, recs, why, sizeof(why));
		if (*n < 0) {
			jcheck_fail(&c, jcheck_index(ip, jcheck_key(kp, name, "paths"), j), "%s",
				    why);
			return -1;
		}
	}
	return 0;
}

static int parse_item(const json_t *v, size_t i, bool batch, bool allow_prefix,
		      struct rs_routes *rs, struct rpc_error *err)
{
	char name[32], text[RS_ROUTE_TEXT_MAX], why[256];
	struct molt_route *r = &rs->rt[i], recs[MOLT_ROUTE_RECS_MAX];
	int ret = 0;

	if (batch)
		snprintf(name, sizeof(name), "routes[%zu]", i);
	else
		snprintf(name, sizeof(name), "route");
	if (json_is_object(v)) {
		int k = object_route(v, name, allow_prefix, text, sizeof(text), recs, &ret, err);

		if (k < 0)
			return -1;
		if (k == 1) {
			*r = recs[0];
			rs->key_only[i] = true;
			return 0;
		}
		goto parsed;
	}
	if (item_text(v, name, text, sizeof(text), err) < 0)
		return -1;
	if (allow_prefix && strpbrk(text, " \t") == NULL && strchr(text, '/') != NULL) {
		memset(r, 0, sizeof(*r));
		if (molt_prefix_parse(text, &r->family, r->prefix, &r->plen, false, why,
				      sizeof(why)) == 0) {
			rs->key_only[i] = true;
			return 0;
		}
		rpc_fail(err, RPC_INVALID_PARAMS, "%s '%.80s': %s", name, text, why);
		return -1;
	}
	ret = molt_route_parse_multi(text, recs, why, sizeof(why));
	if (ret == 0) {
		rpc_fail(err, RPC_INVALID_PARAMS, "%s: empty route", name);
		return -1;
	}
	if (ret < 0) {
		rpc_fail(err, RPC_INVALID_PARAMS, "%s '%.80s': %s", name, text, why);
		return -1;
	}
parsed:
	*r = recs[ret - 1];
	rs->ngrp[i] = (uint8_t)(ret - 1);
	memcpy(&rs->grp[i * MOLT_MAX_PATHS], recs, sizeof(recs[0]) * (size_t)(ret - 1));
	return 0;
}

int rs_routes_parse(const json_t *params, bool allow_prefix, struct rs_routes *rs,
		    struct rpc_error *err)
{
	static const char *const known[] = { "route", "routes", NULL };
	const json_t *one, *many, *v;
	size_t i, n;

	memset(rs, 0, sizeof(*rs));
	if (rpc_params_object(params, true, known, err) < 0)
		return -1;
	one = json_object_get(params, "route");
	many = json_object_get(params, "routes");
	if ((one == NULL) == (many == NULL)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "give either 'route' (one) or 'routes' (a list)");
		return -1;
	}
	if (many != NULL && !json_is_array(many)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "'routes' must be a list of routes");
		return -1;
	}
	n = many != NULL ? json_array_size(many) : 1;
	rs->batch = many != NULL;
	rs->rt = malloc((n > 0 ? n : 1) * sizeof(*rs->rt));
	rs->key_only = calloc(n > 0 ? n : 1, sizeof(*rs->key_only));
	rs->grp = malloc((n > 0 ? n : 1) * MOLT_MAX_PATHS * sizeof(*rs->grp));
	rs->ngrp = calloc(n > 0 ? n : 1, sizeof(*rs->ngrp));
	if (rs->rt == NULL || rs->key_only == NULL || rs->grp == NULL || rs->ngrp == NULL) {
		rs_routes_free(rs);
		rpc_fail(err, RPC_INTERNAL_ERROR, "no memory for %zu routes", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		v = many != NULL ? json_array_get(many, i) : one;
		if (parse_item(v, i, rs->batch, allow_prefix, rs, err) < 0) {
			rs_routes_free(rs);
			return -1;
		}
	}
	rs->n = n;
	return 0;
}

void rs_routes_free(struct rs_routes *rs)
{
	free(rs->rt);
	free(rs->key_only);
	free(rs->grp);
	free(rs->ngrp);
	memset(rs, 0, sizeof(*rs));
}
