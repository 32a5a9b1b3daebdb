// SPDX-License-Identifier: BSD-3-Clause
// Route planning (slot_plan.h): the rules, the connected and local rules of every slot, and the
// next-hop table a build collects.
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "control/slot/nh_group.h"
#include "control/slot/nh_set.h"
#include "control/slot/slot_plan.h"

#define MAX_RULES (MOLT_MAX_PORTS * (MOLT_MAX_ADDRS_PER_PORT * 4 + 1) + 8)
#define GW_MEMO_SIZE 64 // power of two

// One remembered onlink_port answer.
struct gw_memo {
	uint8_t family; // 0: empty
	uint8_t gw[16];
	int port;
};

struct slot_planner {
	const struct molt_config *cfg;
	struct nh_set set;
	uint32_t nh_drop, nh_local, nh_blackhole;
	uint32_t port_nh[MOLT_MAX_PORTS]; // NH_CONNECTED entry, by config port index
	struct slot_rule rules[MAX_RULES]; // connected subnets first, then local routes
	unsigned n_rules, n_subnets;
	bool plen_used[2][129]; // [family == 6][plen]: "could be shadowed"
	char last_dev[MOLT_PORT_NAME_MAX]; // one-entry cache for the port name lookup
	int last_port;
	struct gw_memo gw_memo[GW_MEMO_SIZE]; // by gateway hash: a feed has few gateways
	uint64_t rej[SLOT_REJECT_MAX];
	struct molt_route rej_example[SLOT_REJECT_MAX];
	const struct rib *groups; // NULL: multipath routes are rejected
	struct rib own_groups; // slot_planner_index_groups
	bool own;
	// Next-hop groups of the table being built (slot_planner_add): group k is named by
	// NH_GROUP next hop grp_nh[k].
	struct molt_nh_group *grp;
	uint32_t *grp_nh;
	uint32_t n_grp, cap_grp, last_grp;
};

static const char *const reject_names[SLOT_REJECT_MAX] = {
	[SLOT_REJECT_DEV] = "dev is not a configured port",
	[SLOT_REJECT_OFFLINK] = "gateway not on a connected subnet",
	[SLOT_REJECT_LINKLOCAL] = "link-local gateway without dev",
	[SLOT_REJECT_GATEWAY] = "gateway is not a unicast address",
	[SLOT_REJECT_GROUP] = "multipath route without a usable path",
};

const char *slot_reject_reason(enum slot_reject r)
{
	return (unsigned)r < SLOT_REJECT_MAX ? reject_names[r] : "unknown";
}

static unsigned alen(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static void mask_prefix(uint8_t family, const uint8_t *in, uint8_t plen, uint8_t out[16])
{
	memset(out, 0, 16);
	for (unsigned i = 0; i < alen(family); i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;

		out[i] = bits >= 8 ? in[i] : (uint8_t)(in[i] & (0xff00 >> bits));
	}
}

// Compares the family's address bytes. Each route of a build makes a few of these calls:
// constant lengths let the compiler inline them instead of calling memcmp.
static bool same_addr(uint8_t family, const uint8_t *a, const uint8_t *b)
{
	return family == 4 ? memcmp(a, b, 4) == 0 : memcmp(a, b, 16) == 0;
}

static bool contains(const struct slot_rule *k, const uint8_t *addr)
{
	uint8_t m[16];

	mask_prefix(k->family, addr, k->plen, m);
	return same_addr(k->family, m, k->prefix);
}

static int add_rule(struct slot_planner *p, uint8_t family, const uint8_t *addr, uint8_t plen,
		    uint32_t nh)
{
	struct slot_rule *k;

	if (p->n_rules == MAX_RULES)
		return -ENOSPC;
	k = &p->rules[p->n_rules++];
	k->family = family;
	k->plen = plen;
	k->nh = nh;
	mask_prefix(family, addr, plen, k->prefix);
	p->plen_used[family == 6][plen] = true;
	return 0;
}

static int64_t check(int64_t v, int *err)
{
	if (v < 0 && *err == 0)
		*err = (int)v;
	return v;
}

// Connected subnets (the egress for on-link destinations) and the router's own addresses.
static int collect_rules(struct slot_planner *p)
{
	static const uint8_t bcast[16] = { 255, 255, 255, 255 };
	static const uint8_t ll[16] = { 0xfe, 0x80 };
	static const uint8_t mcast[16] = { 0xff };
	static const uint8_t zero[16];
	const struct molt_config *cfg = p->cfg;
	int err = 0;

	p->nh_drop = (uint32_t)check(nh_set_add(&p->set, NH_DROP, 0), &err);
	p->nh_local = (uint32_t)check(nh_set_add(&p->set, NH_LOCAL, 0), &err);
	p->nh_blackhole = (uint32_t)check(nh_set_add(&p->set, NH_BLACKHOLE, 0), &err);
	for (uint16_t i = 0; i < cfg->n_ports && err == 0; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];

		p->port_nh[i] = (uint32_t)check(nh_set_add(&p->set, NH_CONNECTED, pc->port_id),
						&err);
		for (uint16_t a = 0; a < pc->n_v4 && err == 0; a++)
			err = add_rule(p, 4, pc->v4[a].addr, pc->v4[a].plen, p->port_nh[i]);
		for (uint16_t a = 0; a < pc->n_v6 && err == 0; a++)
			err = add_rule(p, 6, pc->v6[a].addr, pc->v6[a].plen, p->port_nh[i]);
	}
	p->n_subnets = p->n_rules;

	for (uint16_t i = 0; i < cfg->n_ports && err == 0; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];

		for (uint16_t a = 0; a < pc->n_v4 && err == 0; a++)
			err = add_rule(p, 4, pc->v4[a].addr, 32, p->nh_local);
		for (uint16_t a = 0; a < pc->n_v6 && err == 0; a++)
			err = add_rule(p, 6, pc->v6[a].addr, 128, p->nh_local);
		if (err == 0 && memcmp(pc->ll6, zero, 16) != 0)
			err = add_rule(p, 6, pc->ll6, 128, p->nh_local);
	}
	// Limited broadcast and IPv6 multicast go to the control thread, which decides (ND,
	// all-nodes echo, or drop); other link-local destinations are never routed (RFC 4291).
	if (err == 0)
		err = add_rule(p, 4, bcast, 32, p->nh_local);
	if (err == 0)
		err = add_rule(p, 6, ll, 10, p->nh_drop);
	if (err == 0)
		err = add_rule(p, 6, mcast, 8, p->nh_local);
	return err;
}

static bool shadowed(const struct slot_planner *p, const struct molt_route *r)
{
	if (!p->plen_used[r->family == 6][r->plen])
		return false;
	for (unsigned i = 0; i < p->n_rules; i++) {
		const struct slot_rule *k = &p->rules[i];

		if (k->family == r->family && k->plen == r->plen &&
		    same_addr(r->family, k->prefix, r->prefix))
			return true;
	}
	return false;
}

// Config port index for a route's dev, or -1.
static int port_by_name(struct slot_planner *p, const char *dev)
{
	if (p->last_port >= 0 && strncmp(p->last_dev, dev, MOLT_PORT_NAME_MAX) == 0)
		return p->last_port;
	for (uint16_t i = 0; i < p->cfg->n_ports; i++) {
		if (strncmp(p->cfg->ports[i].name, dev, MOLT_PORT_NAME_MAX) == 0) {
			memcpy(p->last_dev, p->cfg->ports[i].name, MOLT_PORT_NAME_MAX);
			p->last_port = i;
			return i;
		}
	}
	return -1;
}

// Longest match of gw over the connected subnets; the config index of the port, or -1.
static int onlink_port(const struct slot_planner *p, uint8_t family, const uint8_t *gw)
{
	int best = -1, best_plen = -1;

	for (unsigned i = 0; i < p->n_subnets; i++) {
		const struct slot_rule *k = &p->rules[i];

		if (k->family == family && (int)k->plen > best_plen && contains(k, gw)) {
			best_plen = k->plen;
			best = (int)i;
		}
	}
	if (best < 0)
		return -1;
	for (uint16_t i = 0; i < p->cfg->n_ports; i++)
		if (p->port_nh[i] == p->rules[best].nh)
			return i;
	return -1;
}

static unsigned gw_memo_slot(uint8_t family, const uint8_t *gw)
{
	uint64_t w[2]; // the gateway, aligned for the CRC's loads

	memcpy(w, gw, alen(family));
	return rte_hash_crc(w, alen(family), family) & (GW_MEMO_SIZE - 1);
}

// onlink_port through a direct-mapped memo: a full table has a million routes but a few
// gateways, and the longest match over the subnets cost about a third of planning a route.
// The subnets never change during the planner's life, so neither do the answers.
static int onlink_port_memo(struct slot_planner *p, uint8_t family, const uint8_t *gw)
{
	struct gw_memo *m = &p->gw_memo[gw_memo_slot(family, gw)];

	if (m->family != family || !same_addr(family, m->gw, gw)) {
		m->family = family;
		memcpy(m->gw, gw, alen(family));
		m->port = onlink_port(p, family, gw);
	}
	return m->port;
}

static bool unicast(uint8_t family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == 4)
		return a[0] != 0 && a[0] < 224;
	return a[0] != 0xff && memcmp(a, zero, 16) != 0;
}

// The egress port of a DEV or VIA route: its config index, or -1 with out->why set.
static int egress_port(struct slot_planner *p, const struct molt_route *r, struct slot_plan *out)
{
	int port = r->dev[0] != '\0' ? port_by_name(p, r->dev) : -1;

	if (port < 0 && (r->dev[0] != '\0' || r->type == MOLT_RT_DEV)) {
		out->why = SLOT_REJECT_DEV;
		return -1;
	}
	if (r->type == MOLT_RT_DEV)
		return port;
	memcpy(out->gateway, r->gateway, alen(r->family));
	if (!unicast(r->family, out->gateway)) {
		out->why = SLOT_REJECT_GATEWAY;
		return -1;
	}
	if (port >= 0)
		return port;
	if (r->family == 6 && out->gateway[0] == 0xfe && (out->gateway[1] & 0xc0) == 0x80) {
		out->why = SLOT_REJECT_LINKLOCAL;
		return -1;
	}
	port = onlink_port_memo(p, r->family, out->gateway);
	if (port < 0)
		out->why = SLOT_REJECT_OFFLINK;
	return port;
}

void slot_planner_use_groups(struct slot_planner *p, const struct rib *groups)
{
	p->groups = groups;
}

int slot_planner_index_groups(struct slot_planner *p, const struct molt_route *routes, uint64_t n)
{
	uint32_t count = 0;

	for (uint64_t i = 0; i < n; i++)
		count += routes[i].family == MOLT_FAMILY_GROUP;
	if (p->own)
		rib_free(&p->own_groups);
	p->own = false;
	if (rib_init(&p->own_groups, count) < 0)
		return -ENOMEM;
	p->own = true;
	p->groups = &p->own_groups;
	for (uint64_t i = 0; i < n; i++)
		if (routes[i].family == MOLT_FAMILY_GROUP &&
		    rib_add(&p->own_groups, &routes[i]) < 0)
			return -ENOMEM;
	return 0;
}

// A multipath route's group: every path placed as a 'via' route would be. Returns the number
// of placed paths, or -1 with out->why set when there is none.
static int plan_group(struct slot_planner *p, const struct molt_route *r, struct slot_plan *out)
{
	struct molt_path paths[MOLT_MAX_PATHS];
	int n = p->groups != NULL ? rib_group_paths(p->groups, r, paths) : -ENOENT, placed = 0;

	out->group_id = molt_route_group_id(r);
	out->n_paths = n > 0 ? (unsigned)n : 0;
	for (int i = 0; i < n; i++) {
		struct slot_plan_path *pp = &out->paths[i];
		struct molt_route one = *r;
		struct slot_plan tmp;
		int port;

		one.family = paths[i].family;
		one.type = MOLT_RT_VIA;
		memcpy(one.gateway, paths[i].gateway, sizeof(one.gateway));
		memcpy(one.dev, paths[i].dev, sizeof(one.dev));
		memset(&tmp, 0, sizeof(tmp));
		port = egress_port(p, &one, &tmp);
		pp->family = paths[i].family;
		pp->weight = paths[i].weight;
		memcpy(pp->gateway, paths[i].gateway, sizeof(pp->gateway));
		pp->placed = port >= 0;
		pp->port_id = port >= 0 ? p->cfg->ports[port].port_id : 0;
		placed += pp->placed;
	}
	if (placed == 0) {
		out->why = SLOT_REJECT_GROUP;
		return -1;
	}
	return placed;
}

int slot_plan_group_fill(const struct slot_plan *pl, const uint32_t *path_nh,
			 struct molt_nh_group *g)
{
	uint16_t w[MOLT_MAX_PATHS];
	int nb;

	if (pl->n_paths == 0 || pl->n_paths > MOLT_MAX_PATHS)
		return -EINVAL;
	for (unsigned i = 0; i < pl->n_paths; i++) {
		w[i] = pl->paths[i].weight;
		g->weight[i] = w[i];
		g->path_nh[i] = pl->paths[i].placed ? path_nh[i] : UINT32_MAX;
		if (pl->paths[i].placed)
			g->planned |= 1u << i;
	}
	nb = nh_group_buckets(w, pl->n_paths, g->buckets, sizeof(g->buckets));
	if (nb < 0)
		return nb;
	g->id = pl->group_id;
	g->n_paths = (uint8_t)pl->n_paths;
	g->n_buckets = (uint32_t)nb;
	return 0;
}

void slot_plan_route(struct slot_planner *p, const struct molt_route *r, struct slot_plan *out)
{
	int port;

	memset(out, 0, offsetof(struct slot_plan, paths));
	if (r->family == MOLT_FAMILY_GROUP) {
		out->kind = SLOT_PLAN_GROUP_RECORD;
		return;
	}
	if (shadowed(p, r)) {
		out->kind = SLOT_PLAN_SHADOWED;
		return;
	}
	if (r->type == MOLT_RT_BLACKHOLE) {
		out->kind = SLOT_PLAN_BLACKHOLE;
		return;
	}
	port = r->type == MOLT_RT_MULTIPATH ? plan_group(p, r, out) : egress_port(p, r, out);
	if (port < 0) {
		out->kind = SLOT_PLAN_REJECTED;
		if (p->rej[out->why]++ == 0)
			p->rej_example[out->why] = *r;
		return;
	}
	if (r->type == MOLT_RT_MULTIPATH) {
		out->kind = SLOT_PLAN_GROUP;
		return;
	}
	out->kind = r->type == MOLT_RT_DEV ? SLOT_PLAN_DEV : SLOT_PLAN_GATEWAY;
	out->port_index = (uint16_t)port;
	out->port_id = p->cfg->ports[port].port_id;
}

// The next hop of a GROUP plan's group, created with its paths' gateway next hops on first use.
static int64_t planner_group(struct slot_planner *p, const struct slot_plan *pl)
{
	uint32_t path_nh[MOLT_MAX_PATHS];
	struct molt_nh_group *g;
	int64_t nh;
	int ret;

	if (p->last_grp < p->n_grp && p->grp[p->last_grp].id == pl->group_id)
		return p->grp_nh[p->last_grp];
	for (uint32_t k = 0; k < p->n_grp; k++) {
		if (p->grp[k].id == pl->group_id) {
			p->last_grp = k;
			return p->grp_nh[k];
		}
	}
	if (p->n_grp == p->cap_grp) {
		uint32_t cap = p->cap_grp ? p->cap_grp * 2 : 8;
		struct molt_nh_group *ng = realloc(p->grp, cap * sizeof(*ng));
		uint32_t *nn;

		if (ng == NULL)
			return -ENOMEM;
		p->grp = ng;
		nn = realloc(p->grp_nh, cap * sizeof(*nn));
		if (nn == NULL)
			return -ENOMEM;
		p->grp_nh = nn;
		p->cap_grp = cap;
	}
	for (unsigned i = 0; i < pl->n_paths; i++) {
		const struct slot_plan_path *pp = &pl->paths[i];

		path_nh[i] = UINT32_MAX;
		if (!pp->placed)
			continue;
		nh = nh_set_gateway(&p->set, pp->family, pp->gateway, pp->port_id);
		if (nh < 0)
			return nh;
		path_nh[i] = (uint32_t)nh;
	}
	g = &p->grp[p->n_grp];
	memset(g, 0, sizeof(*g));
	if ((ret = slot_plan_group_fill(pl, path_nh, g)) < 0)
		return ret;
	if ((nh = nh_set_add(&p->set, NH_GROUP, 0)) < 0)
		return nh;
	memcpy(p->set.nh[nh].gateway, &pl->group_id, sizeof(pl->group_id));
	atomic_store_explicit(&p->set.nh[nh].l2, nh_l2_make_group(p->n_grp), memory_order_relaxed);
	p->grp_nh[p->n_grp] = (uint32_t)nh;
	p->last_grp = p->n_grp++;
	return nh;
}

int64_t slot_planner_add(struct slot_planner *p, const struct molt_route *r, bool *is_shadowed)
{
	struct slot_plan pl;
	int64_t nh;

	slot_plan_route(p, r, &pl);
	*is_shadowed = pl.kind == SLOT_PLAN_SHADOWED || pl.kind == SLOT_PLAN_GROUP_RECORD;
	switch (pl.kind) {
	case SLOT_PLAN_BLACKHOLE:
		nh = p->nh_blackhole;
		break;
	case SLOT_PLAN_DEV:
		nh = p->port_nh[pl.port_index];
		break;
	case SLOT_PLAN_GATEWAY:
		nh = nh_set_gateway(&p->set, r->family, pl.gateway, pl.port_id);
		if (nh < 0)
			return nh;
		break;
	case SLOT_PLAN_GROUP:
		nh = planner_group(p, &pl);
		if (nh < 0)
			return nh;
		break;
	default:
		return SLOT_PLAN_SKIP;
	}
	p->set.nh[nh].refs++;
	return nh;
}

const struct molt_nh *slot_planner_nhs(const struct slot_planner *p, uint32_t *count)
{
	*count = p->set.count;
	return p->set.nh;
}

const struct molt_nh_group *slot_planner_groups(const struct slot_planner *p, uint32_t *count)
{
	*count = p->n_grp;
	return p->grp;
}

const struct slot_rule *slot_planner_rules(const struct slot_planner *p, unsigned *n)
{
	*n = p->n_rules;
	return p->rules;
}

uint64_t slot_planner_rejected(const struct slot_planner *p, enum slot_reject why,
			       const struct molt_route **example)
{
	*example = &p->rej_example[why];
	return p->rej[why];
}

struct slot_planner *slot_planner_create(const struct molt_config *cfg)
{
	struct slot_planner *p = calloc(1, sizeof(*p));
	int ret;

	if (p == NULL || nh_set_init(&p->set) < 0) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->cfg = cfg;
	p->last_port = -1;
	if ((ret = collect_rules(p)) < 0) {
		slot_planner_destroy(p);
		errno = -ret;
		return NULL;
	}
	return p;
}

void slot_planner_destroy(struct slot_planner *p)
{
	if (p == NULL)
		return;
	nh_set_fini(&p->set);
	free(p->grp);
	free(p->grp_nh);
	if (p->own)
		rib_free(&p->own_groups);
	free(p);
}
