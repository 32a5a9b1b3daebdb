// SPDX-License-Identifier: BSD-3-Clause
// Live route changes into a slot. Next hops are found by a linear scan of the slot's table:
// tables hold a few hundred entries, updates that add a gateway are rare, and a scan needs no
// index to keep in step with the table slot_build copied in. A multipath route's group is
// found by its id among the NH_GROUP next hops; a new group is appended, never rewritten in
// place, and group entries live as long as the slot (a route that comes back finds its group).
#include <errno.h>
#include <string.h>

#include "control/slot/slot_update.h"
#include "control/slot/slot_verify.h"
#include "drivers/prefix.h"

void slot_books_init(struct slot_books *b, const struct slot_build_stats *st)
{
	b->rules = st->rules;
	b->rules_digest = st->rules_digest;
	b->shadowed = st->shadowed;
}

uint64_t slot_books_routes(const struct slot *s, const struct slot_books *b)
{
	return s->routes4 + s->routes6 + s->rejected + b->shadowed;
}

static int64_t find_nh(const struct slot *s, const struct molt_route *r, const struct slot_plan *p)
{
	for (uint32_t i = 0; i < s->nh_count; i++) {
		const struct molt_nh *n = &s->nh[i];

		switch (p->kind) {
		case SLOT_PLAN_BLACKHOLE:
			if (n->kind == NH_BLACKHOLE)
				return i;
			break;
		case SLOT_PLAN_DEV:
			if (n->kind == NH_CONNECTED && n->port == p->port_id)
				return i;
			break;
		case SLOT_PLAN_GATEWAY:
			if (n->kind == NH_UNRESOLVED && n->family == r->family &&
			    n->port == p->port_id && memcmp(n->gateway, p->gateway, 16) == 0)
				return i;
			break;
		case SLOT_PLAN_GROUP:
			if (n->kind == NH_GROUP && memcmp(n->gateway, &p->group_id, 8) == 0)
				return i;
			break;
		default:
			return -EINVAL;
		}
	}
	return -ENOENT;
}

// A gateway the slot has never seen: a new entry, UNRESOLVED until neigh_slot_refresh.
static int64_t new_gateway(struct slot *s, uint8_t family, const uint8_t *gw, uint16_t port)
{
	struct molt_nh *n;

	if (s->nh_count == s->nh_capacity)
		return -ENOSPC;
	n = &s->nh[s->nh_count];
	memset(n, 0, sizeof(*n));
	n->family = family;
	n->kind = NH_UNRESOLVED;
	n->port = port;
	memcpy(n->gateway, gw, 16);
	atomic_store_explicit(&n->l2, nh_l2_make(NH_UNRESOLVED, port, NULL), memory_order_release);
	return s->nh_count++;
}

static int64_t find_gateway(struct slot *s, uint8_t family, const uint8_t *gw, uint16_t port,
			    bool *nh_added)
{
	for (uint32_t i = 0; i < s->nh_count; i++) {
		const struct molt_nh *n = &s->nh[i];

		if (n->kind == NH_UNRESOLVED && n->family == family && n->port == port &&
		    memcmp(n->gateway, gw, 16) == 0)
			return i;
	}
	*nh_added = true;
	return new_gateway(s, family, gw, port);
}

// A group the slot has never seen: its paths' gateways (found or added), a group entry with
// its counter row, and the NH_GROUP next hop that names it. Workers reach none of it before
// the route's FIB rule points at that next hop.
static int64_t new_group(struct slot *s, const struct slot_plan *p, bool *nh_added)
{
	uint32_t path_nh[MOLT_MAX_PATHS];
	struct molt_nh_group *g;
	struct molt_nh *n;
	int ret;

	if (s->grp == NULL || s->grp_count == s->grp_capacity || s->nh_count == s->nh_capacity)
		return -ENOSPC;
	for (unsigned i = 0; i < p->n_paths; i++) {
		const struct slot_plan_path *pp = &p->paths[i];
		int64_t nh;

		path_nh[i] = UINT32_MAX;
		if (!pp->placed)
			continue;
		nh = find_gateway(s, pp->family, pp->gateway, pp->port_id, nh_added);
		if (nh < 0)
			return nh;
		path_nh[i] = (uint32_t)nh;
	}
	if (s->nh_count == s->nh_capacity)
		return -ENOSPC;
	g = &s->grp[s->grp_count];
	memset(g, 0, sizeof(*g));
	if ((ret = slot_plan_group_fill(p, path_nh, g)) < 0)
		return ret;
	g->ctr = ecmp_ctr_acquire(g->id, g->n_paths);
	n = &s->nh[s->nh_count];
	memset(n, 0, sizeof(*n));
	n->kind = NH_GROUP;
	memcpy(n->gateway, &p->group_id, sizeof(p->group_id));
	atomic_store_explicit(&n->l2, nh_l2_make_group(s->grp_count), memory_order_release);
	s->grp_count++;
	return s->nh_count++;
}

static int fib_set(struct slot *s, const struct molt_route *r, uint32_t nh, bool add)
{
	uint32_t ip4;
	const void *key = prefix_driver_key(r->family, r->prefix, &ip4);

	if (r->family == 4)
		return add ? s->ops4->add(s->fib4, key, r->plen, nh)
			   : s->ops4->del(s->fib4, key, r->plen);
	return add ? s->ops6->add(s->fib6, key, r->plen, nh) : s->ops6->del(s->fib6, key, r->plen);
}

static bool installs(const struct slot_plan *p)
{
	return p->kind == SLOT_PLAN_BLACKHOLE || p->kind == SLOT_PLAN_DEV ||
	       p->kind == SLOT_PLAN_GATEWAY || p->kind == SLOT_PLAN_GROUP;
}

static void count(struct slot *s, struct slot_books *b, const struct molt_route *r,
		  const struct slot_plan *p, int64_t nh, int sign)
{
	uint64_t d = (uint64_t)(int64_t)sign;

	if (p->kind == SLOT_PLAN_SHADOWED || p->kind == SLOT_PLAN_GROUP_RECORD) {
		b->shadowed += d;
		return;
	}
	if (p->kind == SLOT_PLAN_REJECTED) {
		s->rejected += d;
		return;
	}
	if (r->family == 4)
		s->routes4 += d;
	else
		s->routes6 += d;
	s->digest += d * molt_route_hash(r);
	b->rules += d;
	b->rules_digest += d * slot_rule_hash(r->family, r->prefix, r->plen, &s->nh[nh]);
	s->nh[nh].refs += (uint32_t)sign;
}

int slot_update_apply(struct slot *s, struct slot_books *b, struct slot_planner *p,
		      const struct molt_route *old, const struct molt_route *new_, bool *nh_added)
{
	struct slot_plan po, pn;
	int64_t nh_old = -1, nh_new = -1;
	int ret;

	*nh_added = false;
	if (old != NULL) {
		slot_plan_route(p, old, &po);
		if (installs(&po) && (nh_old = find_nh(s, old, &po)) < 0)
			return (int)nh_old;
	}
	if (new_ != NULL) {
		slot_plan_route(p, new_, &pn);
		if (installs(&pn)) {
			nh_new = find_nh(s, new_, &pn);
			if (nh_new == -ENOENT && pn.kind == SLOT_PLAN_GATEWAY) {
				nh_new = new_gateway(s, new_->family, pn.gateway, pn.port_id);
				*nh_added = nh_new >= 0;
			} else if (nh_new == -ENOENT && pn.kind == SLOT_PLAN_GROUP) {
				nh_new = new_group(s, &pn, nh_added);
			}
			if (nh_new < 0)
				return (int)nh_new;
			// add replaces a rule with the same prefix: no delete needed first.
			if ((ret = fib_set(s, new_, (uint32_t)nh_new, true)) < 0)
				return ret;
		}
	}
	if (old != NULL && installs(&po) && (new_ == NULL || !installs(&pn)) &&
	    (ret = fib_set(s, old, 0, false)) < 0)
		return ret;
	if (old != NULL)
		count(s, b, old, &po, nh_old, -1);
	if (new_ != NULL)
		count(s, b, new_, &pn, nh_new, 1);
	return 0;
}
