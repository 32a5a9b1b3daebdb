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
		rpc_fail(err, RPC_INVALID_PARAMS, "%s: expected a route string", name);
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

static int parse_item(const json_t *v, size_t i, bool batch, bool allow_prefix,
		      struct rs_routes *rs, struct rpc_error *err)
{
	char name[32], text[RS_ROUTE_TEXT_MAX], why[256];
	struct molt_route *r = &rs->rt[i], recs[MOLT_ROUTE_RECS_MAX];
	int ret;

	if (batch)
		snprintf(name, sizeof(name), "routes[%zu]", i);
	else
		snprintf(name, sizeof(name), "route");
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
		rpc_fail(err, RPC_INVALID_PARAMS, "'routes' must be a list of route strings");
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
