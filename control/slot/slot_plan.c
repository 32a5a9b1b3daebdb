// SPDX-License-Identifier: BSD-3-Clause
// Route planning, shared by slot builds and live updates: connected and local routes are ours
// (a feed route with the same prefix is skipped, counted as shadowed, rather than allowed to
// redirect traffic for our own subnets); a gateway reaches its port through the connected
// subnets (longest match) unless a dev is given; routes that cannot be installed are rejected
// with a reason.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/slot/slot_plan_priv.h"

static const char *const reject_names[SLOT_REJECT_MAX] = {
	[SLOT_REJECT_DEV] = "dev is not a configured port",
	[SLOT_REJECT_OFFLINK] = "gateway not on a connected subnet",
	[SLOT_REJECT_LINKLOCAL] = "link-local gateway without dev",
	[SLOT_REJECT_GATEWAY] = "gateway is not a unicast address",
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

static bool contains(const struct key *k, const uint8_t *addr)
{
	uint8_t m[16];

	mask_prefix(k->family, addr, k->plen, m);
	return same_addr(k->family, m, k->prefix);
}

static int add_key(struct slot_planner *b, uint8_t family, const uint8_t *addr, uint8_t plen,
		   uint32_t nh, uint16_t port_id)
{
	struct key *k;

	if (b->n_keys == MAX_KEYS)
		return -ENOSPC;
	k = &b->keys[b->n_keys++];
	k->family = family;
	k->plen = plen;
	k->nh = nh;
	k->port_id = port_id;
	mask_prefix(family, addr, plen, k->prefix);
	b->plen_used[family == 6][plen] = true;
	return 0;
}

static int64_t check(int64_t v, int *err)
{
	if (v < 0 && *err == 0)
		*err = (int)v;
	return v;
}

// Connected subnets (the egress for on-link destinations) and the router's own addresses.
static int collect_keys(struct slot_planner *b)
{
	static const uint8_t bcast[16] = {255, 255, 255, 255};
	static const uint8_t ll[16] = {0xfe, 0x80};
	static const uint8_t mcast[16] = {0xff};
	static const uint8_t zero[16];
	const struct molt_config *cfg = b->cfg;
	int err = 0;

	b->nh_drop = (uint32_t)check(nh_set_add(&b->set, NH_DROP, 0), &err);
	b->nh_local = (uint32_t)check(nh_set_add(&b->set, NH_LOCAL, 0), &err);
	b->nh_blackhole = (uint32_t)check(nh_set_add(&b->set, NH_BLACKHOLE, 0), &err);
	for (uint16_t i = 0; i < cfg->n_ports && err == 0; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];

		b->port_nh[i] = (uint32_t)check(nh_set_add(&b->set, NH_CONNECTED, pc->port_id),
						&err);
		for (uint16_t a = 0; a < pc->n_v4 && err == 0; a++)
			err = add_key(b, 4, pc->v4[a].addr, pc->v4[a].plen, b->port_nh[i],
				      pc->port_id);
		for (uint16_t a = 0; a < pc->n_v6 && err == 0; a++)
			err = add_key(b, 6, pc->v6[a].addr, pc->v6[a].plen, b->port_nh[i],
				      pc->port_id);
	}
	b->n_subnets = b->n_keys;

	for (uint16_t i = 0; i < cfg->n_ports && err == 0; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];

		for (uint16_t a = 0; a < pc->n_v4 && err == 0; a++)
			err = add_key(b, 4, pc->v4[a].addr, 32, b->nh_local, 0);
		for (uint16_t a = 0; a < pc->n_v6 && err == 0; a++)
			err = add_key(b, 6, pc->v6[a].addr, 128, b->nh_local, 0);
		if (err == 0 && memcmp(pc->ll6, zero, 16) != 0)
			err = add_key(b, 6, pc->ll6, 128, b->nh_local, 0);
	}
	// Limited broadcast and IPv6 multicast go to the control thread, which decides (ND,
	// all-nodes echo, or drop); other link-local destinations are never routed (RFC 4291).
	if (err == 0)
		err = add_key(b, 4, bcast, 32, b->nh_local, 0);
	if (err == 0)
		err = add_key(b, 6, ll, 10, b->nh_drop, 0);
	if (err == 0)
		err = add_key(b, 6, mcast, 8, b->nh_local, 0);
	return err;
}

static bool shadowed(const struct slot_planner *b, const struct molt_route *r)
{
	if (!b->plen_used[r->family == 6][r->plen])
		return false;
	for (unsigned i = 0; i < b->n_keys; i++) {
		const struct key *k = &b->keys[i];

		if (k->family == r->family && k->plen == r->plen &&
		    same_addr(r->family, k->prefix, r->prefix))
			return true;
	}
	return false;
}

// Config port index for a route's dev, or -1.
static int port_by_name(struct slot_planner *b, const char *dev)
{
	if (b->last_port >= 0 && strncmp(b->last_dev, dev, MOLT_PORT_NAME_MAX) == 0)
		return b->last_port;
	for (uint16_t i = 0; i < b->cfg->n_ports; i++) {
		if (strncmp(b->cfg->ports[i].name, dev, MOLT_PORT_NAME_MAX) == 0) {
			memcpy(b->last_dev, b->cfg->ports[i].name, MOLT_PORT_NAME_MAX);
			b->last_port = i;
			return i;
		}
	}
	return -1;
}

// Longest match of gw over the connected subnets; the config index of the port, or -1.
static int onlink_port(const struct slot_planner *b, uint8_t family, const uint8_t *gw)
{
	int best = -1, best_plen = -1;

	for (unsigned i = 0; i < b->n_subnets; i++) {
		const struct key *k = &b->keys[i];

		if (k->family == family && (int)k->plen > best_plen && contains(k, gw)) {
			best_plen = k->plen;
			best = (int)i;
		}
	}
	if (best < 0)
		return -1;
	for (uint16_t p = 0; p < b->cfg->n_ports; p++)
		if (b->port_nh[p] == b->keys[best].nh)
			return p;
	return -1;
}

static unsigned gw_memo_slot(uint8_t family, const uint8_t *gw)
{
	uint64_t a = 0, b = 0;

	memcpy(&a, gw, family == 4 ? 4 : 8);
	if (family == 6)
		memcpy(&b, gw + 8, 8);
	return (unsigned)(((a ^ b) * 0x9e3779b97f4a7c15ull) >> 32) & (GW_MEMO_SIZE - 1);
}

// onlink_port through a direct-mapped memo: a full table has a million routes but a few
// gateways, and the longest match over the subnets cost about a third of planning a route.
// The subnets never change during the planner's life, so neither do the answers.
static int onlink_port_memo(struct slot_planner *b, uint8_t family, const uint8_t *gw)
{
	struct gw_memo *m = &b->gw_memo[gw_memo_slot(family, gw)];

	if (m->family != family || !same_addr(family, m->gw, gw)) {
		m->family = family;
		memcpy(m->gw, gw, alen(family));
		m->port = onlink_port(b, family, gw);
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

static enum slot_reject reject(struct slot_planner *b, const struct molt_route *r,
				enum slot_reject why)
{
	if (b->rej[why]++ == 0)
		b->rej_example[why] = *r;
	return why;
}

void slot_plan_route(struct slot_planner *b, const struct molt_route *r, struct slot_plan *p)
{
	int port = -1;

	memset(p, 0, sizeof(*p));
	if (shadowed(b, r)) {
		p->kind = SLOT_PLAN_SHADOWED;
		return;
	}
	if (r->type == MOLT_RT_BLACKHOLE) {
		p->kind = SLOT_PLAN_BLACKHOLE;
		return;
	}
	p->kind = SLOT_PLAN_REJECTED;
	if (r->dev[0] != '\0') {
		port = port_by_name(b, r->dev);
		if (port < 0) {
			p->why = reject(b, r, SLOT_REJECT_DEV);
			return;
		}
	}
	if (r->type == MOLT_RT_DEV) {
		if (port < 0) {
			p->why = reject(b, r, SLOT_REJECT_DEV);
			return;
		}
		p->kind = SLOT_PLAN_DEV;
		p->port_index = (uint16_t)port;
		p->port_id = b->cfg->ports[port].port_id;
		return;
	}
	memcpy(p->gateway, r->gateway, alen(r->family));
	if (!unicast(r->family, p->gateway)) {
		p->why = reject(b, r, SLOT_REJECT_GATEWAY);
		return;
	}
	if (port < 0) {
		if (r->family == 6 && p->gateway[0] == 0xfe && (p->gateway[1] & 0xc0) == 0x80) {
			p->why = reject(b, r, SLOT_REJECT_LINKLOCAL);
			return;
		}
		port = onlink_port_memo(b, r->family, p->gateway);
		if (port < 0) {
			p->why = reject(b, r, SLOT_REJECT_OFFLINK);
			return;
		}
	}
	p->kind = SLOT_PLAN_GATEWAY;
	p->port_index = (uint16_t)port;
	p->port_id = b->cfg->ports[port].port_id;
}

struct slot_planner *slot_planner_create(const struct molt_config *cfg)
{
	struct slot_planner *b = calloc(1, sizeof(*b));
	int ret;

	if (b == NULL || nh_set_init(&b->set) < 0) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->cfg = cfg;
	b->last_port = -1;
	if ((ret = collect_keys(b)) < 0) {
		slot_planner_destroy(b);
		errno = -ret;
		return NULL;
	}
	return b;
}

void slot_planner_destroy(struct slot_planner *b)
{
	if (b == NULL)
		return;
	nh_set_fini(&b->set);
	free(b);
}
