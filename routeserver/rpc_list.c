// SPDX-License-Identifier: BSD-3-Clause
// route.list: the table in a stable order (family, prefix, plen), paged and filtered. The RIB
// array is in insertion order and deletes reorder it, so a sorted index is kept and rebuilt
// only when the table changed since the last listing (paging through a large table sorts once).
#include <stdlib.h>
#include <string.h>

#include "routeserver/rs_table.h"
#include "common/rpc/rpc.h"

#define LIST_DEFAULT 1000
#define LIST_MAX 100000

static struct {
	uint32_t *idx; // rib indices in sorted order
	uint32_t n;
	uint64_t version; // rs_table.version the index was built for
	bool valid;
} sorted;

static int route_cmp(const struct molt_route *a, const struct molt_route *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->prefix, b->prefix, sizeof(a->prefix));
	if (c != 0)
		return c;
	return (int)a->plen - (int)b->plen;
}

static int idx_cmp(const void *a, const void *b)
{
	const struct molt_route *r = rs_table.rib.routes;

	return route_cmp(&r[*(const uint32_t *)a], &r[*(const uint32_t *)b]);
}

static int sorted_refresh(void)
{
	uint32_t i, n = rs_table.rib.count;
	uint32_t *idx;

	if (sorted.valid && sorted.version == rs_table.version)
		return 0;
	idx = realloc(sorted.idx, (n > 0 ? n : 1) * sizeof(*idx));
	if (idx == NULL)
		return -1;
	for (i = 0; i < n; i++)
		idx[i] = i;
	sorted.idx = idx;
	qsort(idx, n, sizeof(*idx), idx_cmp);
	sorted.n = n;
	sorted.version = rs_table.version;
	sorted.valid = true;
	return 0;
}

// First position whose route is not before key.
static uint32_t lower_bound(const struct molt_route *key)
{
	uint32_t lo = 0, hi = sorted.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (route_cmp(&rs_table.rib.routes[sorted.idx[mid]], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

// True when r equals or lies inside the filter prefix f (f->plen bits of r match).
static bool inside(const struct molt_route *r, const struct molt_route *f)
{
	unsigned full = f->plen / 8, rest = f->plen % 8;

	if (r->family != f->family || r->plen < f->plen)
		return false;
	if (memcmp(r->prefix, f->prefix, full) != 0)
		return false;
	return rest == 0 || ((r->prefix[full] ^ f->prefix[full]) & (0xff00 >> rest)) == 0;
}

struct list_args {
	struct molt_route filter;
	bool has_prefix;
	uint8_t family; // 0: both
	uint64_t offset, limit;
};

// An optional integer member in 0..max.
static int get_uint(const json_t *params, const char *key, uint32_t max, uint64_t *v,
		    struct rpc_error *err)
{
	struct jcheck c = rpc_params_check(err);
	const json_t *j = json_object_get(params, key);
	uint32_t u;

	if (j == NULL)
		return 0;
	if (jcheck_uint(&c, key, j, 0, max, &u) < 0)
		return -1;
	*v = u;
	return 0;
}

static int list_args_parse(const json_t *params, struct list_args *a, struct rpc_error *err)
{
	static const char *const known[] = { "prefix", "family", "offset", "limit", NULL };
	const json_t *v;
	uint64_t fam = 0;
	char why[256];

	memset(a, 0, sizeof(*a));
	a->limit = LIST_DEFAULT;
	if (rpc_params_object(params, false, known, err) < 0)
		return -1;
	if (params == NULL || json_is_array(params))
		return 0;
	if (get_uint(params, "offset", UINT32_MAX, &a->offset, err) < 0 ||
	    get_uint(params, "limit", LIST_MAX, &a->limit, err) < 0 ||
	    get_uint(params, "family", 6, &fam, err) < 0)
		return -1;
	if (json_object_get(params, "family") != NULL && fam != 4 && fam != 6) {
		rpc_fail(err, RPC_INVALID_PARAMS, "'family' must be 4 or 6");
		return -1;
	}
	a->family = (uint8_t)fam;
	v = json_object_get(params, "prefix");
	if (v != NULL) {
		if (!json_is_string(v) ||
		    molt_prefix_parse(json_string_value(v), &a->filter.family, a->filter.prefix,
				      &a->filter.plen, false, why, sizeof(why)) < 0) {
			rpc_fail(err, RPC_INVALID_PARAMS, "'prefix': %s",
				 json_is_string(v) ? why : "expected a string like 10.0.0.0/8");
			return -1;
		}
		if (a->family != 0 && a->family != a->filter.family) {
			rpc_fail(err, RPC_INVALID_PARAMS, "'prefix' is IPv%u but 'family' is %u",
				 a->filter.family, a->family);
			return -1;
		}
		a->has_prefix = true;
	}
	return 0;
}

static json_t *route_list(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const struct molt_route *r;
	struct molt_route start;
	struct list_args a;
	uint64_t total = 0;
	json_t *list, *srcs, *res;
	char text[1280]; // a route with 16 paths
	uint32_t i;

	if (list_args_parse(params, &a, err) < 0)
		return NULL;
	if (sorted_refresh() < 0)
		return rpc_fail(err, RPC_INTERNAL_ERROR, "no memory to sort %u routes",
				rs_table.rib.count);
	list = json_array();
	srcs = json_array();
	// Matching routes are contiguous in the sorted order: start at the first candidate
	// and stop at the first route past the filter.
	memset(&start, 0, sizeof(start));
	if (a.has_prefix)
		start = a.filter;
	else
		start.family = a.family;
	for (i = lower_bound(&start); i < sorted.n; i++) {
		r = &rs_table.rib.routes[sorted.idx[i]];
		if (a.has_prefix ? !inside(r, &a.filter) : (a.family != 0 && r->family != a.family))
			break;
		if (r->family == MOLT_FAMILY_GROUP) // sorted last; listed with their routes
			break;
		if (total >= a.offset && total < a.offset + a.limit) {
			rib_route_format(&rs_table.rib, r, text, sizeof(text));
			json_array_append_new(list, json_string(text));
			json_array_append_new(srcs, json_string(rs_source_name(
							    rs_table_source_of(&rs_table, r))));
		}
		total++;
	}
	res = json_pack("{s:I,s:I,s:o,s:o}", "total", (json_int_t)total, "offset",
			(json_int_t)a.offset, "routes", list, "sources", srcs);
	return res;
}
RPC_METHOD("route.list", route_list,
	   "{\"prefix\"?: PREFIX, \"family\"?: 4|6, \"offset\"?: N, \"limit\"?: N (1000, max "
	   "100000)}",
	   "routes equal to or inside PREFIX, sorted by family, prefix, length; paged. sources[i] "
	   "is where routes[i] comes from: rpc, file, fpm or fpm-stale")

// The paths of route r as rib holds it, as [{"via": A, "dev": P, "weight": W}, ...] (a 'dev'
// route has no "via", a blackhole none at all): what route.add's structured form takes.
static json_t *paths_json(const struct rib *rib, const struct molt_route *r)
{
	struct molt_path paths[MOLT_MAX_PATHS];
	json_t *list = json_array(), *p;
	char a[64];
	int i, n;

	if (r->type == MOLT_RT_BLACKHOLE)
		return list;
	if (r->type == MOLT_RT_MULTIPATH) {
		n = rib_group_paths(rib, r, paths);
	} else {
		memset(paths, 0, sizeof(paths[0]));
		paths[0].family = r->type == MOLT_RT_VIA ? r->family : 0;
		paths[0].weight = 1;
		memcpy(paths[0].gateway, r->gateway, sizeof(paths[0].gateway));
		memcpy(paths[0].dev, r->dev, sizeof(paths[0].dev));
		n = 1;
	}
	for (i = 0; i < n; i++) {
		p = json_object();
		if (paths[i].family != 0)
			json_object_set_new(
				p, "via",
				json_string(molt_addr_format(paths[i].family, paths[i].gateway, a,
							     sizeof(a))));
		if (paths[i].dev[0] != '\0')
			json_object_set_new(
				p, "dev",
				json_stringn(paths[i].dev,
					     strnlen(paths[i].dev, MOLT_PORT_NAME_MAX)));
		json_object_set_new(p, "weight", json_integer(paths[i].weight));
		json_array_append_new(list, p);
	}
	return list;
}

// route.show: one prefix's routes from every source, in precedence order, and which is published.
static json_t *route_show(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const known[] = { "prefix", NULL };
	struct jcheck c = rpc_params_check(err);
	const struct molt_route *f, *pub;
	char text[1280], why[256];
	struct molt_route key;
	const json_t *v;
	json_t *cands;
	unsigned s;

	if (rpc_params_object(params, true, known, err) < 0 ||
	    rpc_param_get(params, "prefix", &v, err) < 0 ||
	    jcheck_string(&c, "prefix", v, text, sizeof(text)) < 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	if (molt_prefix_parse(text, &key.family, key.prefix, &key.plen, false, why, sizeof(why)) <
	    0)
		return rpc_fail(err, RPC_INVALID_PARAMS, "'prefix': %s", why);
	cands = json_array();
	for (s = 0; s < RS_SRC_COUNT; s++) {
		f = rib_find(&rs_table.src[s], &key);
		if (f == NULL)
			continue;
		rib_route_format(&rs_table.src[s], f, text, sizeof(text));
		json_array_append_new(cands, json_pack("{s:s,s:i,s:s}", "source", rs_source_name(s),
						       "distance", (int)rs_source_distance(s),
						       "route", text));
	}
	pub = rib_find(&rs_table.rib, &key);
	if (pub != NULL)
		rib_route_format(&rs_table.rib, pub, text, sizeof(text));
	return json_pack("{s:o,s:o,s:o,s:o}", "published",
			 pub != NULL ? json_string(text) : json_null(), "source",
			 pub != NULL
				 ? json_string(rs_source_name(rs_table_source_of(&rs_table, pub)))
				 : json_null(),
			 "paths", pub != NULL ? paths_json(&rs_table.rib, pub) : json_null(),
			 "candidates", cands);
}
RPC_METHOD("route.show", route_show, "{\"prefix\": PREFIX}",
	   "one prefix: the published route, its source and its paths (via, dev, weight), and "
	   "every source's route for it with its administrative distance")
