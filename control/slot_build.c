// SPDX-License-Identifier: BSD-3-Clause
// Slot construction. Two passes over the feed routes: the first decides each route's next hop
// (deduplicating gateways) so the slot's next-hop table can be sized exactly, the second loads
// the FIBs. Connected and local routes are ours: a feed route with the same prefix is skipped
// (counted as shadowed) rather than allowed to redirect traffic for our own subnets.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>

#include "common/log.h"
#include "control/load_order.h"
#include "control/nh_set.h"
#include "control/slot_build.h"
#include "control/slot_verify.h"

#define SKIP UINT32_MAX
#define MAX_KEYS (MOLT_MAX_PORTS * (MOLT_MAX_ADDRS_PER_PORT * 4 + 1) + 8)

struct key {
	uint8_t family;
	uint8_t plen;
	uint16_t port_id;	// for connected subnets
	uint32_t nh;
	uint8_t prefix[16];	// host bits zero
};

struct slot_planner {
	const struct molt_config *cfg;
	struct nh_set set;
	uint32_t nh_drop, nh_local, nh_blackhole;
	uint32_t port_nh[MOLT_MAX_PORTS];	// NH_CONNECTED entry, by config port index
	struct key keys[MAX_KEYS];		// connected subnets first, then local routes
	unsigned n_keys, n_subnets;
	bool plen_used[2][129];			// [family == 6][plen]: "could be shadowed"
	char last_dev[MOLT_PORT_NAME_MAX];	// one-entry cache for the port name lookup
	int last_port;
	uint64_t rej[SLOT_REJECT_MAX];
	struct molt_route rej_example[SLOT_REJECT_MAX];
};

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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

static bool contains(const struct key *k, const uint8_t *addr)
{
	uint8_t m[16];

	mask_prefix(k->family, addr, k->plen, m);
	return memcmp(m, k->prefix, alen(k->family)) == 0;
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
		    memcmp(k->prefix, r->prefix, alen(r->family)) == 0)
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
		port = onlink_port(b, r->family, p->gateway);
		if (port < 0) {
			p->why = reject(b, r, SLOT_REJECT_OFFLINK);
			return;
		}
	}
	p->kind = SLOT_PLAN_GATEWAY;
	p->port_index = (uint16_t)port;
	p->port_id = b->cfg->ports[port].port_id;
}

// Decides a feed route's next-hop index (SKIP when not installed); <0 on allocation failure.
static int64_t route_nh(struct slot_planner *b, const struct molt_route *r, bool *is_shadowed)
{
	struct slot_plan p;

	slot_plan_route(b, r, &p);
	*is_shadowed = p.kind == SLOT_PLAN_SHADOWED;
	switch (p.kind) {
	case SLOT_PLAN_BLACKHOLE:
		return b->nh_blackhole;
	case SLOT_PLAN_DEV:
		return b->port_nh[p.port_index];
	case SLOT_PLAN_GATEWAY:
		return nh_set_gateway(&b->set, r->family, p.gateway, p.port_id);
	default:
		return SKIP;
	}
}

static int fib_add(struct slot *s, uint8_t family, const uint8_t *prefix, uint8_t plen,
		   uint32_t nh)
{
	if (family == 4) {
		uint32_t ip;

		memcpy(&ip, prefix, 4);
		ip = rte_be_to_cpu_32(ip);
		return s->ops4->add(s->fib4, &ip, plen, nh);
	}
	return s->ops6->add(s->fib6, prefix, plen, nh);
}

static void log_rejects(const struct slot_planner *b)
{
	char ex[160];

	for (unsigned i = 0; i < SLOT_REJECT_MAX; i++) {
		if (b->rej[i] == 0)
			continue;
		molt_route_format(&b->rej_example[i], ex, sizeof(ex));
		LOG_WARN("slot", "%" PRIu64 " route%s rejected: %s, e.g. %s", b->rej[i],
			 b->rej[i] == 1 ? "" : "s", reject_names[i], ex);
	}
}

// One family at a time, so the log can say which engine the time went to.
static int load_family(struct slot *s, uint8_t family, const struct molt_route *routes,
		       uint64_t n, const uint32_t *nhs, uint64_t *done, char *err, size_t errlen)
{
	uint64_t m = n, k, i = 0;
	uint32_t *order = load_order(routes, n, nhs, family, &m);
	int ret = 0;

	if (order == NULL)
		m = n;
	for (k = 0; k < m; k++) {
		i = order != NULL ? order[k] : k;
		if (nhs[i] == SKIP || routes[i].family != family)
			continue;
		ret = fib_add(s, family, routes[i].prefix, routes[i].plen, nhs[i]);
		if (ret < 0)
			break;
		(*done)++;
	}
	free(order);
	if (ret < 0) {
		char ex[160];

		molt_route_format(&routes[i], ex, sizeof(ex));
		snprintf(err, errlen, "slot %" PRIu64 ": the %s IPv%u FIB refused \"%s\" after %"
			 PRIu64 " routes (%s)%s", s->generation, s->driver->name, family, ex, *done,
			 strerror(-ret), ret != -ENOSPC ? "" : family == 4 ?
			 ": raise fib.max_routes_v4 or fib.tbl8_groups_v4" :
			 ": raise fib.max_routes_v6");
	}
	return ret;
}

static int load_fibs(struct slot *s, const struct slot_planner *b, const struct molt_route *routes,
		     uint64_t n, const uint32_t *nhs, struct slot_build_stats *st, char *err,
		     size_t errlen)
{
	uint64_t done = 0, t = now_ns();
	int ret;

	ret = load_family(s, 4, routes, n, nhs, &done, err, errlen);
	st->fib4_ns = now_ns() - t;
	if (ret < 0)
		return ret;
	t = now_ns();
	done = 0;
	ret = load_family(s, 6, routes, n, nhs, &done, err, errlen);
	st->fib6_ns = now_ns() - t;
	if (ret < 0)
		return ret;
	for (unsigned k = 0; k < b->n_keys && ret == 0; k++)
		ret = fib_add(s, b->keys[k].family, b->keys[k].prefix, b->keys[k].plen,
			      b->keys[k].nh);
	if (ret < 0)
		snprintf(err, errlen, "slot %" PRIu64 ": the %s FIB refused a connected route (%s)",
			 s->generation, s->driver->name, strerror(-ret));
	return ret;
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

// The connected and local rules every slot holds, with the digest slot_verify expects of them.
static void keys_digest(const struct slot_planner *b, struct slot_build_stats *st)
{
	for (unsigned k = 0; k < b->n_keys; k++) {
		const struct key *key = &b->keys[k];

		st->rules_digest += slot_rule_hash(key->family, key->prefix, key->plen,
						   &b->set.nh[key->nh]);
		st->rules++;
	}
}

struct slot *slot_build(const struct molt_config *cfg, const struct fib_driver *d,
			uint64_t generation, const struct molt_route *routes, uint64_t n_routes,
			struct slot_build_stats *st, char *err, size_t errlen)
{
	struct fib_conf c4 = {
		.max_routes = cfg->fib_max_routes_v4,
		.tbl8_groups = cfg->fib_tbl8_groups_v4,
		.socket_id = -1, // SOCKET_ID_ANY
	};
	struct fib_conf c6 = {.max_routes = cfg->fib_max_routes_v6, .socket_id = -1};
	uint64_t t0 = now_ns(), routes4 = 0, routes6 = 0, digest = 0;
	struct slot_planner *b = slot_planner_create(cfg);
	uint32_t *nhs = malloc((n_routes ? n_routes : 1) * sizeof(*nhs));
	struct slot *s = NULL;
	uint32_t capacity;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (errlen > 0)
		err[0] = '\0';
	if (b == NULL || nhs == NULL) {
		ret = b == NULL ? -errno : -ENOMEM;
		goto out;
	}

	for (uint64_t i = 0; i < n_routes; i++) {
		const struct molt_route *r = &routes[i];
		bool is_shadowed;
		int64_t nh;

		nh = route_nh(b, r, &is_shadowed);
		if (is_shadowed)
			st->shadowed++;
		if (nh < 0) {
			ret = (int)nh;
			goto out;
		}
		nhs[i] = (uint32_t)nh;
		if (nh == SKIP)
			continue;
		b->set.nh[nh].refs++;
		digest += molt_route_hash(r);
		st->rules_digest += slot_rule_hash(r->family, r->prefix, r->plen, &b->set.nh[nh]);
		st->rules++;
		if (r->family == 4)
			routes4++;
		else
			routes6++;
	}

	st->plan_ns = now_ns() - t0;
	// Headroom for next hops that live updates add before the next metabolism.
	capacity = b->set.count * 2 > b->set.count + 1024 ? b->set.count * 2 : b->set.count + 1024;
	if (capacity > FIB_NH_MAX)
		capacity = FIB_NH_MAX;
	st->alloc_ns = now_ns();
	s = slot_alloc(d, generation, &c4, &c6, capacity);
	st->alloc_ns = now_ns() - st->alloc_ns;
	if (s == NULL) {
		ret = -errno;
		snprintf(err, errlen, "slot %" PRIu64 ": cannot create %s FIBs for %u/%u routes: "
			 "%s", generation, d->name, cfg->fib_max_routes_v4, cfg->fib_max_routes_v6,
			 strerror(errno));
		goto out;
	}
	s->state = SLOT_BUILDING;
	s->created_ns = t0;
	memcpy(s->nh, b->set.nh, (size_t)b->set.count * sizeof(*s->nh));
	s->nh_count = b->set.count;

	ret = load_fibs(s, b, routes, n_routes, nhs, st, err, errlen);
	if (ret < 0)
		goto out;

	for (unsigned i = 0; i < SLOT_REJECT_MAX; i++) {
		st->rejected[i] = b->rej[i];
		s->rejected += b->rej[i];
	}
	log_rejects(b);
	st->connected = b->n_keys;
	keys_digest(b, st);
	st->nh_count = b->set.count;
	s->routes4 = routes4;
	s->routes6 = routes6;
	s->digest = digest;
	s->state = SLOT_READY;
	s->build_ns = now_ns() - t0;
out:
	if (ret < 0) {
		if (ret == -ENOMEM && err[0] == '\0')
			snprintf(err, errlen, "slot %" PRIu64 ": out of memory while building",
				 generation);
		else if (ret == -ENOSPC && err[0] == '\0')
			snprintf(err, errlen, "slot %" PRIu64 ": more than %u next hops",
				 generation, FIB_NH_MAX);
		slot_free_scrub(s);
		s = NULL;
		errno = -ret;
	}
	slot_planner_destroy(b);
	free(nhs);
	return s;
}
