// SPDX-License-Identifier: BSD-3-Clause
// Slot construction. Two passes over the feed routes: the first plans each route (slot_plan.h:
// shadowing, gateway to port, rejections) and collects the next hops, deduplicating gateways,
// so the slot's next-hop table can be sized exactly; the second loads the FIBs.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_prefetch.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/slot/load_order.h"
#include "control/slot/slot_build.h"
#include "control/slot/slot_size.h"
#include "control/slot/slot_verify.h"
#include "drivers/prefix.h"

// How many adds ahead load_family prefetches a route's feed entry and next hop, and (once that
// entry is in cache) what the driver's add will read first. An add takes a few hundred ns, so a
// handful of routes ahead hides a cache miss.
#define PREFETCH_FEED 16
#define PREFETCH_FIB 8
// Next-hop groups a slot can take on top of twice those it was built with.
#define SLOT_GROUP_HEADROOM 16

static int fib_add(struct slot *s, uint8_t family, const uint8_t *prefix, uint8_t plen, uint32_t nh)
{
	uint32_t ip4;
	const void *key = prefix_driver_key(family, prefix, &ip4);

	return family == 4 ? s->ops4->add(s->fib4, key, plen, nh)
			   : s->ops6->add(s->fib6, key, plen, nh);
}

// The load order is sorted by prefix, so it visits the feed (and the drivers' rule hashes) in
// random order: without prefetching, a full IPv4 table's load spent more time waiting for those
// cache misses (~350 ms a million routes) than in rte_fib_add itself (~150 ms).
static void prefetch_ahead(const struct fib_ops *ops, const struct fib *fib, uint8_t family,
			   const struct molt_route *routes, const uint32_t *nhs,
			   const uint32_t *order, uint64_t k, uint64_t m)
{
	if (k + PREFETCH_FEED < m) {
		const struct molt_route *r = &routes[order[k + PREFETCH_FEED]];

		rte_prefetch0(r);
		rte_prefetch0(&r->prefix[15]); // a route may straddle two lines
		rte_prefetch0(&nhs[order[k + PREFETCH_FEED]]);
	}
	if (k + PREFETCH_FIB < m && ops->prefetch != NULL) {
		const struct molt_route *r = &routes[order[k + PREFETCH_FIB]];
		uint32_t ip4;

		ops->prefetch(fib, prefix_driver_key(family, r->prefix, &ip4), r->plen);
	}
}

// One line per reason, with an example, and the counts into st and s.
static void count_rejects(const struct slot_planner *p, struct slot *s, struct slot_build_stats *st)
{
	const struct molt_route *example;
	char ex[160];

	for (unsigned i = 0; i < SLOT_REJECT_MAX; i++) {
		uint64_t n = slot_planner_rejected(p, i, &example);

		st->rejected[i] = n;
		s->rejected += n;
		if (n == 0)
			continue;
		molt_route_format(example, ex, sizeof(ex));
		LOG_WARN("slot", "%" PRIu64 " route%s rejected: %s, e.g. %s", n, n == 1 ? "" : "s",
			 slot_reject_reason(i), ex);
	}
}

// The routes of one family in load order (load_order.h), and what they use once added.
struct family_plan {
	uint32_t *order;
	uint64_t m;
	const struct fib_conf *conf;
};

// One family at a time, so the log can say which engine the time went to.
static int load_family(struct slot *s, uint8_t family, const struct molt_route *routes,
		       const uint32_t *nhs, const struct family_plan *fp, uint64_t *done, char *err,
		       size_t errlen)
{
	const struct fib_ops *ops = family == 4 ? s->ops4 : s->ops6;
	struct fib *fib = family == 4 ? s->fib4 : s->fib6;
	const uint32_t *order = fp->order;
	uint64_t m = fp->m, k, i = 0;
	int ret = 0;

	// Only a hint, so that the driver sizes its rule table once: if it fails, the adds grow the
	// table as they go and report a real shortage themselves.
	if (ops->reserve != NULL)
		(void)ops->reserve(fib, m);
	for (k = 0; k < m; k++) {
		prefetch_ahead(ops, fib, family, routes, nhs, order, k, m);
		i = order[k];
		ret = fib_add(s, family, routes[i].prefix, routes[i].plen, nhs[i]);
		if (ret < 0)
			break;
		(*done)++;
	}
	if (ret < 0) {
		char ex[160];

		// The FIBs are sized from these very routes (slot_size.h): running out is a
		// counting error, or a cap (fib.max_routes_v*, fib.tbl8_groups_v4) set too low.
		molt_route_format(&routes[i], ex, sizeof(ex));
		snprintf(err, errlen,
			 "slot %" PRIu64 ": the %s IPv%u FIB refused \"%s\" after %" PRIu64
			 " routes (%s; sized for %u routes)",
			 s->generation, s->driver->name, family, ex, *done, strerror(-ret),
			 fp->conf->max_routes);
	}
	return ret;
}

static int load_fibs(struct slot *s, const struct slot_planner *p, const struct molt_route *routes,
		     const uint32_t *nhs, const struct family_plan fp[2],
		     struct slot_build_stats *st, char *err, size_t errlen)
{
	uint64_t done = 0, t = molt_now_ns();
	unsigned n_rules;
	const struct slot_rule *rules = slot_planner_rules(p, &n_rules);
	int ret;

	ret = load_family(s, 4, routes, nhs, &fp[0], &done, err, errlen);
	st->fib4_ns = molt_now_ns() - t;
	if (ret < 0)
		return ret;
	t = molt_now_ns();
	done = 0;
	ret = load_family(s, 6, routes, nhs, &fp[1], &done, err, errlen);
	st->fib6_ns = molt_now_ns() - t;
	if (ret < 0)
		return ret;
	for (unsigned k = 0; k < n_rules && ret == 0; k++)
		ret = fib_add(s, rules[k].family, rules[k].prefix, rules[k].plen, rules[k].nh);
	if (ret < 0)
		snprintf(err, errlen, "slot %" PRIu64 ": the %s FIB refused a connected route (%s)",
			 s->generation, s->driver->name, strerror(-ret));
	return ret;
}

// Sorts each family's installed routes into load order and counts what they use with the
// connected and local routes (added last), then sizes the FIBs and the next-hop table.
static int size_slot(const struct molt_config *cfg, const struct slot_planner *p,
		     const struct molt_route *routes, uint64_t n, const uint32_t *nhs,
		     struct family_plan fp[2], struct slot_size *sz, char *err, size_t errlen)
{
	static const uint8_t families[2] = { 4, 6 };
	struct fib_need_counter *c = malloc(sizeof(*c));
	unsigned n_rules;
	const struct slot_rule *rules = slot_planner_rules(p, &n_rules);
	uint32_t n_nh, n_grp;
	int ret = 0;

	if (c == NULL)
		return -ENOMEM;
	for (unsigned f = 0; f < 2 && ret == 0; f++) {
		struct fib_need *need = f == 0 ? &sz->need4 : &sz->need6;
		struct fib_conf *conf = f == 0 ? &sz->c4 : &sz->c6;

		fp[f].conf = conf;
		fp[f].order = load_order(routes, n, nhs, families[f], &fp[f].m);
		if (fp[f].order == NULL) {
			ret = -ENOMEM;
			break;
		}
		fib_need_init(c, families[f]);
		for (uint64_t k = 0; k < fp[f].m; k++)
			fib_need_add(c, routes[fp[f].order[k]].prefix, routes[fp[f].order[k]].plen);
		for (unsigned k = 0; k < n_rules; k++)
			if (rules[k].family == families[f])
				fib_need_add_late(c, rules[k].prefix, rules[k].plen);
		*need = c->need;
		ret = fib_need_conf(cfg, families[f], need, conf, err, errlen);
	}
	free(c);
	slot_planner_nhs(p, &n_nh);
	// Headroom for next hops that live updates add before the next metabolism.
	sz->nh_capacity = n_nh * 2 > n_nh + 1024 ? n_nh * 2 : n_nh + 1024;
	if (sz->nh_capacity > FIB_NH_MAX)
		sz->nh_capacity = FIB_NH_MAX;
	slot_planner_groups(p, &n_grp);
	sz->grp_capacity = n_grp * 2 + SLOT_GROUP_HEADROOM;
	return ret;
}

// Plans every route: its next hop (nhs[i], SLOT_PLAN_SKIP for a route not installed), the
// counts and digests slot_verify expects.
static int plan_routes(struct slot_planner *p, const struct molt_route *routes, uint64_t n,
		       uint32_t *nhs, struct slot_build_stats *st, uint64_t *routes4,
		       uint64_t *routes6, uint64_t *digest)
{
	uint32_t n_nh;
	int ret = slot_planner_index_groups(p, routes, n);

	if (ret < 0)
		return ret;
	for (uint64_t i = 0; i < n; i++) {
		const struct molt_route *r = &routes[i];
		bool is_shadowed;
		int64_t nh;

		nh = slot_planner_add(p, r, &is_shadowed);
		if (is_shadowed)
			st->shadowed++;
		if (nh < 0)
			return (int)nh;
		nhs[i] = (uint32_t)nh;
		if (nh == SLOT_PLAN_SKIP)
			continue;
		*digest += molt_route_hash(r);
		st->rules_digest += slot_rule_hash(r->family, r->prefix, r->plen,
						   &slot_planner_nhs(p, &n_nh)[nh]);
		st->rules++;
		if (r->family == 4)
			(*routes4)++;
		else
			(*routes6)++;
	}
	return 0;
}

int slot_build_size(const struct molt_config *cfg, const struct molt_route *routes,
		    uint64_t n_routes, struct slot_size *sz, char *err, size_t errlen)
{
	struct slot_planner *p = slot_planner_create(cfg);
	uint32_t *nhs = malloc((n_routes ? n_routes : 1) * sizeof(*nhs));
	struct family_plan fp[2] = { { 0 } };
	struct slot_build_stats st;
	uint64_t r4 = 0, r6 = 0, digest = 0;
	int ret;

	memset(sz, 0, sizeof(*sz));
	memset(&st, 0, sizeof(st));
	if (errlen > 0)
		err[0] = '\0';
	if (p == NULL || nhs == NULL)
		ret = p == NULL ? -errno : -ENOMEM;
	else if ((ret = plan_routes(p, routes, n_routes, nhs, &st, &r4, &r6, &digest)) == 0)
		ret = size_slot(cfg, p, routes, n_routes, nhs, fp, sz, err, errlen);
	if (ret < 0 && err[0] == '\0')
		snprintf(err, errlen, "cannot size a slot for %" PRIu64 " routes: %s", n_routes,
			 strerror(-ret));
	free(fp[0].order);
	free(fp[1].order);
	slot_planner_destroy(p);
	free(nhs);
	return ret;
}

// Why slot_alloc failed, with the numbers an operator needs when memory is short.
static void alloc_failed(const struct fib_driver *d, uint64_t generation,
			 const struct slot_size *sz, int errnum, char *err, size_t errlen)
{
	size_t largest, free_b = slot_size_heap_free(&largest);

	snprintf(err, errlen,
		 "slot %" PRIu64 ": cannot create %s FIBs for %" PRIu64 " IPv4 + %" PRIu64
		 " IPv6 routes: %s (the slot needs %.1f MiB of DPDK memory; %.1f MiB free, largest "
		 "block %.1f MiB)",
		 generation, d->name, sz->need4.routes, sz->need6.routes, strerror(errnum),
		 slot_size_heap_bytes(d, sz) / 1048576.0, free_b / 1048576.0, largest / 1048576.0);
}

int slot_seal(struct slot *s, char *err, size_t errlen)
{
	const struct fib_ops *ops[2] = { s->ops4, s->ops6 };
	struct fib *fib[2] = { s->fib4, s->fib6 };

	for (unsigned k = 0; k < 2; k++) {
		int ret = ops[k]->seal != NULL ? ops[k]->seal(fib[k]) : 0;

		if (ret < 0) {
			snprintf(err, errlen,
				 "slot %" PRIu64 ": the %s driver cannot build its IPv%u lookup "
				 "structure for %" PRIu64 " rules (%s)",
				 s->generation, s->driver->name, ops[k]->family,
				 ops[k]->count(fib[k]), strerror(-ret));
			return ret;
		}
	}
	return 0;
}

// The connected and local rules every slot holds, with the digest slot_verify expects of them.
static void rules_digest(const struct slot_planner *p, struct slot_build_stats *st)
{
	unsigned n;
	const struct slot_rule *rules = slot_planner_rules(p, &n);
	uint32_t n_nh;
	const struct molt_nh *nh = slot_planner_nhs(p, &n_nh);

	for (unsigned k = 0; k < n; k++)
		st->rules_digest += slot_rule_hash(rules[k].family, rules[k].prefix, rules[k].plen,
						   &nh[rules[k].nh]);
	st->rules += n;
	st->connected = n;
}

// The planner's next-hop groups into the slot, with headroom for groups that live updates
// add before the next metabolism; each takes its counter row.
static int copy_groups(struct slot *s, const struct slot_planner *p, uint32_t capacity)
{
	uint32_t n;
	const struct molt_nh_group *g = slot_planner_groups(p, &n);
	int ret = slot_groups_alloc(s, capacity);

	if (ret < 0)
		return ret;
	if (n > 0)
		memcpy(s->grp, g, (size_t)n * sizeof(*g));
	for (uint32_t k = 0; k < n; k++)
		s->grp[k].ctr = ecmp_ctr_acquire(s->grp[k].id, s->grp[k].n_paths);
	s->grp_count = n;
	return 0;
}

struct slot *slot_build(const struct molt_config *cfg, const struct fib_driver *d,
			uint64_t generation, const struct molt_route *routes, uint64_t n_routes,
			struct slot_build_stats *st, char *err, size_t errlen)
{
	uint64_t t0 = molt_now_ns(), routes4 = 0, routes6 = 0, digest = 0;
	struct slot_planner *p = slot_planner_create(cfg);
	uint32_t *nhs = malloc((n_routes ? n_routes : 1) * sizeof(*nhs));
	struct family_plan fp[2] = { { 0 } };
	const struct molt_nh *nh_table;
	struct slot_size sz = { 0 };
	struct slot *s = NULL;
	uint32_t n_nh;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (errlen > 0)
		err[0] = '\0';
	if (p == NULL || nhs == NULL) {
		ret = p == NULL ? -errno : -ENOMEM;
		goto out;
	}
	if ((ret = plan_routes(p, routes, n_routes, nhs, st, &routes4, &routes6, &digest)) < 0)
		goto out;
	ret = size_slot(cfg, p, routes, n_routes, nhs, fp, &sz, err, errlen);
	st->plan_ns = molt_now_ns() - t0;
	if (ret < 0) {
		if (err[0] != '\0') {
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "slot %" PRIu64 ": %s", generation, why);
		}
		goto out;
	}
	nh_table = slot_planner_nhs(p, &n_nh);
	st->alloc_ns = molt_now_ns();
	s = slot_alloc(d, generation, &sz.c4, &sz.c6, sz.nh_capacity);
	st->alloc_ns = molt_now_ns() - st->alloc_ns;
	if (s == NULL) {
		ret = -errno;
		alloc_failed(d, generation, &sz, errno, err, errlen);
		goto out;
	}
	s->state = SLOT_BUILDING;
	s->created_ns = t0;
	memcpy(s->nh, nh_table, (size_t)n_nh * sizeof(*s->nh));
	s->nh_count = n_nh;
	if ((ret = copy_groups(s, p, sz.grp_capacity)) < 0)
		goto out;

	ret = load_fibs(s, p, routes, nhs, fp, st, err, errlen);
	if (ret < 0 || (ret = slot_seal(s, err, errlen)) < 0)
		goto out;

	count_rejects(p, s, st);
	rules_digest(p, st);
	st->nh_count = n_nh;
	s->routes4 = routes4;
	s->routes6 = routes6;
	s->digest = digest;
	s->state = SLOT_READY;
	s->build_ns = molt_now_ns() - t0;
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
	free(fp[0].order);
	free(fp[1].order);
	slot_planner_destroy(p);
	free(nhs);
	return s;
}
