// SPDX-License-Identifier: BSD-3-Clause
// route.count and route.lookup. A lookup goes through the slot in use with the driver's bulk
// lookup, exactly as a worker's would, so the answer is what the dataplane does now (not what
// the route server would like it to do). For a multipath route it lists the group's paths with
// their counters and, given a flow, the path the workers pick for it (dataplane/ecmp_path.h:
// the same function).
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "control/neigh/neigh.h"
#include "control/rpc/rpc_moltd.h"
#include "dataplane/dataplane.h"
#include "dataplane/ecmp_path.h"

// Addresses per lookup_bulk call: a worker's burst size times a few, enough for the drivers'
// prefetching, small enough that a batch's data stays in cache.
#define LOOKUP_BATCH 256

static json_t *no_slot(struct rpc_error *err)
{
	return rpc_fail(err, RPC_ERR_FAILED,
			"no slot in use yet (moltd is still building its "
			"first slot from the route feed)");
}

static json_t *route_count(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	const struct slot *s = atomic_load_explicit(&molt_dp.active, memory_order_relaxed);

	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	if (s == NULL)
		return no_slot(err);
	// routes4/6 count feed routes; the FIBs also hold our connected and local routes.
	return mrpc_result(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ipv4",
				     (json_int_t)s->routes4, "ipv6", (json_int_t)s->routes6,
				     "total", (json_int_t)(s->routes4 + s->routes6), "rejected",
				     (json_int_t)s->rejected, "fib_ipv4",
				     (json_int_t)s->ops4->count(s->fib4), "fib_ipv6",
				     (json_int_t)s->ops6->count(s->fib6), "slot",
				     (json_int_t)s->id),
			   err);
}
RPC_METHOD("route.count", route_count, "",
	   "routes in the slot in use: IPv4, IPv6, rejected, FIB rules with connected ones")

// Resolved neighbours, sorted, for the "neighbor" member of each answer: one walk per call
// instead of one per address.
struct nb {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
	struct rte_ether_addr mac;
	const char *state;
};

struct nb_index {
	struct nb *v;
	size_t n, cap;
	bool failed;
};

static int nb_cmp(const void *a, const void *b)
{
	const struct nb *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->port != y->port)
		return x->port - y->port;
	return memcmp(x->ip, y->ip, 16);
}

static void nb_collect(const struct neigh_info *n, void *arg)
{
	struct nb_index *ix = arg;

	if (strcmp(n->state, "incomplete") == 0 || strcmp(n->state, "failed") == 0)
		return;
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 64;
		struct nb *v = realloc(ix->v, cap * sizeof(*v));

		if (v == NULL) {
			ix->failed = true;
			return;
		}
		ix->v = v;
		ix->cap = cap;
	}
	ix->v[ix->n++] = (struct nb){
		.family = n->family, .port = n->port, .mac = n->mac, .state = n->state
	};
	memcpy(ix->v[ix->n - 1].ip, n->ip, n->family == 4 ? 4 : 16);
}

static const struct nb *nb_find(const struct nb_index *ix, uint8_t family, uint16_t port,
				const uint8_t *ip)
{
	struct nb key = { .family = family, .port = port };

	if (ix->n == 0)
		return NULL;
	memcpy(key.ip, ip, family == 4 ? 4 : 16);
	return bsearch(&key, ix->v, ix->n, sizeof(key), nb_cmp);
}

struct query {
	uint8_t family;
	uint8_t ip[16];
	uint32_t nh;
};

// route.lookup's optional flow: its destination is each address looked up.
struct lookup_flow {
	bool set;
	uint8_t family;
	uint8_t src[16];
	uint8_t proto;
	uint16_t sport, dport;
};

// An integer member of the flow within [0, max] (absent: 0 unless required).
static int flow_int(const json_t *flow, const char *name, bool required, json_int_t max,
		    json_int_t *out, struct rpc_error *err)
{
	const json_t *v = json_object_get(flow, name);

	*out = 0;
	if (v == NULL) {
		if (required) {
			rpc_fail(err, RPC_INVALID_PARAMS, "flow: missing \"%s\"", name);
			return -1;
		}
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		rpc_fail(err, RPC_INVALID_PARAMS, "flow.%s: expected an integer 0-%lld", name,
			 (long long)max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int parse_flow(const json_t *params, struct lookup_flow *f, struct rpc_error *err)
{
	static const char *const keys[] = { "src", "proto", "sport", "dport", NULL };
	const json_t *flow = json_object_get(params, "flow");
	json_int_t proto, sport, dport;
	const char *bad;

	memset(f, 0, sizeof(*f));
	if (flow == NULL || json_is_null(flow))
		return 0;
	if (!json_is_object(flow)) {
		rpc_fail(err, RPC_INVALID_PARAMS,
			 "flow: expected an object {src, proto, sport, dport}");
		return -1;
	}
	for (void *it = json_object_iter((json_t *)flow); it != NULL;
	     it = json_object_iter_next((json_t *)flow, it)) {
		bad = json_object_iter_key(it);
		for (unsigned i = 0; keys[i] != NULL && bad != NULL; i++)
			if (strcmp(keys[i], bad) == 0)
				bad = NULL;
		if (bad != NULL) {
			rpc_fail(err, RPC_INVALID_PARAMS,
				 "flow: unknown member \"%s\" (src, proto, sport, dport)", bad);
			return -1;
		}
	}
	if (json_object_get(flow, "src") == NULL) {
		rpc_fail(err, RPC_INVALID_PARAMS, "flow: missing \"src\"");
		return -1;
	}
	if (mrpc_param_addr(json_object_get(flow, "src"), "flow.src", &f->family, f->src, err) <
		    0 ||
	    flow_int(flow, "proto", true, 255, &proto, err) < 0 ||
	    flow_int(flow, "sport", false, 65535, &sport, err) < 0 ||
	    flow_int(flow, "dport", false, 65535, &dport, err) < 0)
		return -1;
	f->proto = (uint8_t)proto;
	f->sport = (uint16_t)sport;
	f->dport = (uint16_t)dport;
	f->set = true;
	return 0;
}

// Parses every address before looking any up: a bad one fails the whole call, by index.
static struct query *parse_addresses(const json_t *params, size_t *n, struct rpc_error *err)
{
	static const char *const keys[] = { "addresses", "flow", NULL };
	const json_t *list;
	struct query *q;

	if (rpc_params_object(params, true, keys, err) < 0 ||
	    rpc_param_get(params, "addresses", &list, err) < 0)
		return NULL;
	if (!json_is_array(list)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "addresses: expected an array of addresses");
		return NULL;
	}
	*n = json_array_size(list);
	if (*n > MRPC_LOOKUP_MAX) {
		rpc_fail(err, RPC_INVALID_PARAMS, "addresses: %zu addresses, at most %d per call",
			 *n, MRPC_LOOKUP_MAX);
		return NULL;
	}
	q = calloc(*n ? *n : 1, sizeof(*q));
	if (q == NULL) {
		rpc_fail(err, RPC_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "addresses[%zu]", i);
		if (mrpc_param_addr(json_array_get(list, i), name, &q[i].family, q[i].ip, err) <
		    0) {
			free(q);
			return NULL;
		}
	}
	return q;
}

// Looks up every query of one family through s, LOOKUP_BATCH addresses per driver call.
static void lookup_family(const struct slot *s, uint8_t family, struct query *q, size_t n)
{
	uint32_t a4[LOOKUP_BATCH], nh[LOOKUP_BATCH];
	uint8_t a6[LOOKUP_BATCH][16];
	size_t idx[LOOKUP_BATCH];
	unsigned k = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && q[i].family == family) {
			if (family == 4) {
				uint32_t be;

				memcpy(&be, q[i].ip, 4);
				a4[k] = rte_be_to_cpu_32(be); // drivers take IPv4 in host order
			} else {
				memcpy(a6[k], q[i].ip, 16);
			}
			idx[k++] = i;
		}
		if (k == LOOKUP_BATCH || (i == n && k > 0)) {
			if (family == 4)
				s->ops4->lookup_bulk(s->fib4, a4, nh, k);
			else
				s->ops6->lookup_bulk(s->fib6, a6, nh, k);
			for (unsigned j = 0; j < k; j++)
				q[idx[j]].nh = nh[j];
			k = 0;
		}
	}
}

static json_t *neighbor_json(const struct nb_index *ix, uint8_t family, uint16_t port,
			     const uint8_t *ip)
{
	const struct nb *e = nb_find(ix, family, port, ip);

	if (e == NULL)
		return NULL;
	return json_pack("{s:o, s:s}", "mac", mrpc_mac_json(&e->mac), "state", e->state);
}

static json_t *port_json(uint16_t port)
{
	return mrpc_port_name(port) != NULL ? json_string(mrpc_port_name(port)) : json_null();
}

// A multipath route's answer: every path of its group (gateway, port, weight, neighbour,
// usable now, counters) and, given a flow, the path the workers pick for it.
static void group_answer(json_t *r, const struct slot *s, const struct molt_nh *nh,
			 const struct query *q, const struct nb_index *ix,
			 const struct lookup_flow *fl)
{
	uint32_t gi = nh_l2_group(atomic_load_explicit(&nh->l2, memory_order_relaxed));
	uint32_t down = atomic_load_explicit(&molt_dp.ports_down, memory_order_relaxed);
	struct ecmp_path_ctr ctr[MOLT_MAX_PATHS];
	const struct molt_nh_group *g;
	char id[24];
	json_t *list;

	if (gi >= s->grp_count || s->grp[gi].n_paths > MOLT_MAX_PATHS) {
		json_object_set_new(r, "action", json_string("drop"));
		return;
	}
	g = &s->grp[gi];
	json_object_set_new(r, "action", json_string("forward"));
	json_object_set_new(r, "next_hop", json_string("multipath"));
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)g->id);
	json_object_set_new(r, "group", json_string(id));
	ecmp_ctr_sum(g->ctr, g->n_paths, ctr);
	list = json_array();
	for (unsigned i = 0; list != NULL && i < g->n_paths; i++) {
		const struct molt_nh *pn = g->path_nh[i] < s->nh_count ? &s->nh[g->path_nh[i]]
								       : NULL;
		json_t *p = json_pack("{s:i, s:i}", "index", (int)i, "weight", (int)g->weight[i]);
		json_t *nb;

		if (p == NULL)
			break;
		if (pn == NULL) {
			// Not placed in this slot (its dev is not a port, or its gateway is not
			// on-link): never used.
			json_object_set_new(p, "placed", json_false());
			json_object_set_new(p, "usable", json_false());
		} else {
			json_object_set_new(p, "gateway", mrpc_addr_json(pn->family, pn->gateway));
			json_object_set_new(p, "port", port_json(pn->port));
			nb = neighbor_json(ix, pn->family, pn->port, pn->gateway);
			if (nb != NULL)
				json_object_set_new(p, "neighbor", nb);
			json_object_set_new(
				p, "port_up",
				json_boolean(pn->port >= 32 || !((down >> pn->port) & 1)));
			json_object_set_new(p, "usable",
					    json_boolean(ecmp_nh_usable(s, g->path_nh[i], down)));
		}
		if (g->ctr != 0) {
			json_object_set_new(p, "packets", json_integer((json_int_t)ctr[i].packets));
			json_object_set_new(p, "bytes", json_integer((json_int_t)ctr[i].bytes));
		}
		json_array_append_new(list, p);
	}
	json_object_set_new(r, "paths", list);
	if (fl->set && fl->family == q->family) {
		struct ecmp_flow f;
		bool usable;
		int pi;
		json_t *fp;

		ecmp_flow_make(q->family, fl->src, q->ip, fl->proto, fl->sport, fl->dport, &f);
		pi = ecmp_path(s, g, ecmp_flow_hash(&f), down, &usable);
		if (pi < 0 || g->path_nh[pi] >= s->nh_count)
			return;
		fp = json_pack(
			"{s:i, s:o, s:o, s:b}", "index", pi, "gateway",
			mrpc_addr_json(s->nh[g->path_nh[pi]].family, s->nh[g->path_nh[pi]].gateway),
			"port", port_json(s->nh[g->path_nh[pi]].port), "usable", usable);
		if (fp != NULL)
			json_object_set_new(r, "flow_path", fp);
	}
}

static json_t *answer(const struct slot *s, const struct query *q, const struct nb_index *ix,
		      const struct lookup_flow *fl)
{
	const struct molt_nh *nh;
	const uint8_t *neigh_ip;
	json_t *nb, *r = json_pack("{s:o}", "address", mrpc_addr_json(q->family, q->ip));
	const char *action;

	if (r == NULL)
		return NULL;
	if (q->nh == FIB_NH_MISS || q->nh >= s->nh_count) {
		json_object_set_new(r, "action", json_string("unreachable"));
		return r;
	}
	nh = &s->nh[q->nh];
	switch (nh->kind) {
	case NH_UNRESOLVED: // every gateway entry is created so, resolved or not
	case NH_FORWARD:
	case NH_CONNECTED:
		break;
	case NH_GROUP:
		group_answer(r, s, nh, q, ix, fl);
		return r;
	default:
		action = nh->kind == NH_BLACKHOLE ? "blackhole"
			 : nh->kind == NH_LOCAL   ? "local"
						  : "drop";
		json_object_set_new(r, "action", json_string(action));
		return r;
	}
	json_object_set_new(r, "action", json_string("forward"));
	if (nh->kind == NH_CONNECTED) {
		json_object_set_new(r, "next_hop", json_string("on-link"));
		neigh_ip = q->ip;
	} else {
		json_object_set_new(r, "next_hop", mrpc_addr_json(nh->family, nh->gateway));
		neigh_ip = nh->gateway;
	}
	json_object_set_new(r, "port",
			    mrpc_port_name(nh->port) != NULL ? json_string(mrpc_port_name(nh->port))
							     : json_null());
	nb = neighbor_json(ix, q->family, nh->port, neigh_ip);
	if (nb != NULL)
		json_object_set_new(r, "neighbor", nb);
	return r;
}

static json_t *route_lookup(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const struct slot *s = atomic_load_explicit(&molt_dp.active, memory_order_relaxed);
	struct nb_index ix = { 0 };
	struct lookup_flow fl;
	struct query *q;
	json_t *list;
	size_t n = 0;

	if ((q = parse_addresses(params, &n, err)) == NULL)
		return NULL;
	if (parse_flow(params, &fl, err) < 0) {
		free(q);
		return NULL;
	}
	if (s == NULL) {
		free(q);
		return no_slot(err);
	}
	lookup_family(s, 4, q, n);
	lookup_family(s, 6, q, n);
	neigh_walk(nb_collect, &ix);
	if (ix.failed)
		ix.n = 0; // answers without neighbours rather than none at all
	if (ix.n > 1)
		qsort(ix.v, ix.n, sizeof(*ix.v), nb_cmp);
	list = json_array();
	for (size_t i = 0; list != NULL && i < n; i++)
		if (json_array_append_new(list, answer(s, &q[i], &ix, &fl)) < 0) {
			json_decref(list);
			list = NULL;
		}
	free(ix.v);
	free(q);
	return mrpc_result(list, err);
}
RPC_METHOD("route.lookup", route_lookup,
	   "{\"addresses\": [ADDR, ...]} (at most 10000), optional \"flow\": {\"src\": ADDR, "
	   "\"proto\": N, \"sport\": N, \"dport\": N}",
	   "longest-prefix match through the slot in use: action, next hop, port, neighbour; a "
	   "multipath route's paths, and the one a flow takes")
