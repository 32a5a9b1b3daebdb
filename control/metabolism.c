// SPDX-License-Identifier: BSD-3-Clause
// The slot manager: lifecycle, builds on the builder thread, verification, flips and retiring.
// Journal entries and grace periods are in metabolism_update.c.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "control/metabolism_priv.h"
#include "control/neigh.h"
#include "control/slot_lifecycle.h"
#include "control/slot_verify.h"
#include "control/telemetry.h"
#include "dataplane/dataplane.h"

#define SUB "metabolism"

struct metab metab;

uint64_t metab_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned idx(const struct mslot *m)
{
	return (unsigned)(m - metab.m);
}

// Telemetry reads slots under its own lock: hand it the live list before anything is freed.
static void publish_list(const struct slot *leaving)
{
	struct slot *list[METABOLISM_MAX_SLOTS];
	unsigned n = 0;

	for (unsigned i = 0; i < metab.n; i++) {
		metab.ptrs[i] = metab.m[i].s != leaving ? metab.m[i].s : NULL;
		if (metab.ptrs[i] != NULL)
			list[n++] = metab.ptrs[i];
	}
	telemetry_set_slots(list, n);
}

void metab_erase(struct mslot *m)
{
	struct slot *s = m->s;

	if (m->state != SLOT_ERASED)
		slot_transition(&m->state, s, idx(m), SLOT_ERASED);
	if (s != NULL) {
		publish_list(s);
		neigh_slot_detach(s);
		builder_free(s);
		m->s = NULL;
	}
	upd_free(&m->pend);
	m->retire = m->stale = m->broken = false;
	slot_transition(&m->state, NULL, idx(m), SLOT_EMPTY);
	metab.st.erased++;
}

void metab_flip(int to, uint64_t decided_ns, bool update_flip)
{
	struct mslot *n = &metab.m[to];
	struct mslot *old = metab.active >= 0 ? &metab.m[metab.active] : NULL;

	slot_transition(&n->state, n->s, idx(n), SLOT_ACTIVE);
	n->s->activated_ns = metab_now();
	// Release: a worker that loads the pointer sees the whole slot and its next hops.
	atomic_store_explicit(&molt_dp.active, n->s, memory_order_release);
	metab.active = to;
	metab.st.flips++;
	if (update_flip)
		metab.st.update_flips++;
	if (old == NULL)
		return;
	slot_transition(&old->state, old->s, idx(old), SLOT_DRAINING);
	old->token = molt_dp.qsbr != NULL ? rte_rcu_qsbr_start(molt_dp.qsbr) : 0;
	old->flip_ns = decided_ns;
	old->retire = old->stale || old->broken || old->pend.overflow;
}

static void complete_requests(int ret, const char *err, const struct slot *s)
{
	unsigned n = metab.n_req;

	// A callback may queue a new request: take the list first.
	struct metab_req req[METAB_MAX_REQ];

	memcpy(req, metab.req, n * sizeof(req[0]));
	metab.n_req = 0;
	for (unsigned i = 0; i < n; i++)
		req[i].cb(req[i].arg, ret, err, s);
}

static void build_failed(int ret, const char *why, uint64_t now)
{
	metab.st.builds_failed++;
	snprintf(metab.st.last_error, sizeof(metab.st.last_error), "%s", why);
	metab.st.last_error_ns = now;
	metab.backoff_ns = metab.backoff_ns == 0 ? METABOLISM_BACKOFF_MIN_NS :
		metab.backoff_ns * 2 > METABOLISM_BACKOFF_MAX_NS ? METABOLISM_BACKOFF_MAX_NS :
		metab.backoff_ns * 2;
	metab.retry_ns = now + metab.backoff_ns;
	LOG_ERR(SUB, "build failed (%s); the active slot keeps forwarding; retry in %" PRIu64
		" s", why, (uint64_t)(metab.backoff_ns / 1000000000ull));
	complete_requests(ret, why, NULL);
}

// Keeps at most slots - 2 live slots beside the new active one, so there is always room for
// the next build: the oldest go (stale or broken ones first).
static void retire_extra(int keep)
{
	unsigned live = 0, limit = metab.n - 2;

	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		if ((int)i != keep && (m->state == SLOT_READY ||
				       (m->state == SLOT_DRAINING && !m->retire)))
			live++;
	}
	while (live > limit) {
		struct mslot *oldest = NULL;

		for (unsigned i = 0; i < metab.n; i++) {
			struct mslot *m = &metab.m[i];

			if ((int)i == keep || !(m->state == SLOT_READY ||
						(m->state == SLOT_DRAINING && !m->retire)))
				continue;
			if (oldest == NULL || m->stale || m->broken ||
			    m->s->generation < oldest->s->generation)
				oldest = m;
		}
		if (oldest->state == SLOT_DRAINING)
			oldest->retire = true;
		else
			metab_erase(oldest);
		live--;
	}
}

// A build came back from the builder thread: catch up, verify, make it READY and flip to it.
static void finish_build(struct builder_job *j, uint64_t now)
{
	struct mslot *m = &metab.m[metab.building];
	char why[sizeof(j->err)];
	struct slot_verify_result vr;
	uint32_t catchup;

	metab.building = -1;
	if (j->slot == NULL) {
		slot_transition(&m->state, NULL, idx(m), SLOT_ERASED);
		slot_transition(&m->state, NULL, idx(m), SLOT_EMPTY);
		upd_free(&m->pend);
		m->stale = false;
		build_failed(j->ret, j->err, now);
		return;
	}
	m->s = j->slot;
	m->s->state = SLOT_BUILDING;
	m->s->id = idx(m);
	m->s->feed_generation = metab.feed.generation;
	slot_books_init(&m->books, &j->stats);
	publish_list(NULL);
	if (m->stale) {
		// Not the build's fault: build again from the new mirror, requests still waiting.
		LOG_NOTICE(SUB, "slot %u: the feed was resynced during its build: building again",
			   idx(m));
		metab_erase(m);
		metab.st.builds_stale++;
		metab.want_build = true;
		return;
	}
	// Not live yet: the catch-up may modify it freely.
	catchup = m->pend.n;
	if (!metab_apply_list(m, &m->pend) || m->pend.overflow) {
		snprintf(why, sizeof(why), "slot %u: catching up %u journal entries failed",
			 idx(m), m->pend.n);
		metab_erase(m);
		build_failed(-EIO, why, now);
		return;
	}
	upd_clear(&m->pend);
	m->s->feed_seq = metab.feed.next_seq;
	if (slot_books_routes(m->s, &m->books) != metab.feed.mirror.count) {
		snprintf(why, sizeof(why), "slot %u accounts for %" PRIu64 " routes (installed, "
			 "rejected, shadowed), the mirror holds %u", idx(m),
			 slot_books_routes(m->s, &m->books), metab.feed.mirror.count);
		metab_erase(m);
		build_failed(-EBADMSG, why, now);
		return;
	}
	// The builder verified the bulk load; after a catch-up, check the result again here.
	if (catchup > 0 &&
	    slot_verify(m->s, m->books.rules, m->books.rules_digest, &vr, why, sizeof(why)) < 0) {
		metab_erase(m);
		build_failed(-EBADMSG, why, now);
		return;
	}
	m->s->build_ns = now - m->s->created_ns;
	neigh_slot_attach(m->s);
	slot_transition(&m->state, m->s, idx(m), SLOT_READY);
	metab.st.builds_ok++;
	metab.st.build_ns_last = m->s->build_ns;
	metab.st.build_ns_sum += m->s->build_ns;
	metab.backoff_ns = 0;
	metab.retry_ns = 0;
	LOG_NOTICE(SUB, "slot %u built (generation %" PRIu64 ", %s): %" PRIu64 " + %" PRIu64
		   " routes, %u next hops, %.1f ms, %.1f MiB", idx(m), m->s->generation,
		   m->s->driver->name, m->s->routes4, m->s->routes6, m->s->nh_count,
		   m->s->build_ns / 1e6, slot_memory(m->s) / 1048576.0);
	metab_flip((int)idx(m), now, false);
	retire_extra((int)idx(m));
	complete_requests(0, NULL, m->s);
}

static const struct fib_driver *next_driver(void)
{
	const struct fib_driver *d = metab.req_driver;

	metab.req_driver = NULL;
	if (d != NULL)
		return d;
	if (metab.cfg->n_drivers == 0)
		return fib_driver_find(metab.cfg->driver);
	d = fib_driver_find(metab.cfg->drivers[metab.next_driver++ % metab.cfg->n_drivers]);
	return d != NULL ? d : fib_driver_find(metab.cfg->driver);
}

static int empty_slot(void)
{
	for (unsigned i = 0; i < metab.n; i++)
		if (metab.m[i].state == SLOT_EMPTY)
			return (int)i;
	return -1;
}

// Copies the mirror (the builder must not share it: the control thread keeps changing it)
// and hands it to the builder thread. Entries read from now on go to the catch-up list.
static void start_build(uint64_t now)
{
	int i = empty_slot();
	struct mslot *m;
	struct molt_route *copy;
	uint32_t n = metab.feed.mirror.count;

	if (i < 0)
		return;
	copy = malloc((n ? n : 1) * sizeof(*copy));
	if (copy == NULL) {
		build_failed(-ENOMEM, "no memory to copy the mirror for a build", now);
		return;
	}
	memcpy(copy, metab.feed.mirror.routes, (size_t)n * sizeof(*copy));
	m = &metab.m[i];
	memset(&metab.job, 0, sizeof(metab.job));
	metab.job.cfg = metab.cfg;
	metab.job.driver = next_driver();
	metab.job.generation = metab.next_generation++;
	metab.job.routes = copy;
	metab.job.n_routes = n;
	metab.job.verify = true;
	if (builder_submit(&metab.job) < 0) {
		free(copy);
		return;
	}
	slot_transition(&m->state, NULL, (unsigned)i, SLOT_BUILDING);
	m->stale = m->broken = m->retire = false;
	upd_clear(&m->pend);
	metab.building = i;
	metab.want_build = false;
	metab.next_due_ns = now + (uint64_t)metab.interval_ms * 1000000ull;
	LOG_INFO(SUB, "building slot %d (generation %" PRIu64 ", driver %s) from %u routes", i,
		 metab.job.generation, metab.job.driver->name, n);
}

static bool build_due(uint64_t now)
{
	if (metab.building >= 0 || builder_busy())
		return false;
	if (metab.retry_ns != 0)
		return now >= metab.retry_ns;
	if (metab.n_req > 0 || metab.want_build)
		return true;
	return !metab.paused && metab.interval_ms != 0 && now >= metab.next_due_ns;
}

// An ACTIVE slot that cannot be modified holds queued updates: flip to the up-to-date standby.
static void update_flip(uint64_t now)
{
	struct mslot *a;
	int standby = -1;

	// A standby that refused an update holds unknown contents: gone, and a build replaces it.
	for (unsigned i = 0; i < metab.n; i++) {
		if (metab.m[i].state == SLOT_READY && metab.m[i].broken) {
			metab_erase(&metab.m[i]);
			metab.want_build = true;
		}
	}

	if (metab.active < 0)
		return;
	a = &metab.m[metab.active];
	if (a->pend.n == 0 && !a->broken && !a->pend.overflow)
		return;
	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		if (m->state == SLOT_READY && !m->stale && !m->broken &&
		    (standby < 0 || m->s->generation > metab.m[standby].s->generation))
			standby = (int)i;
	}
	if (standby >= 0) {
		metab_flip(standby, now, true);
		return;
	}
	// A slot coming back from its grace period will be the standby: wait for it.
	for (unsigned i = 0; i < metab.n; i++) {
		const struct mslot *m = &metab.m[i];

		if (m->state == SLOT_DRAINING && !m->retire && !m->stale && !m->broken)
			return;
	}
	if (metab.building < 0)
		metab.want_build = true; // two slots, or the standby was lost: build one now
}

int metabolism_poll(uint64_t now)
{
	struct builder_job *j;
	int busy = 0;

	metab_feed_poll(now);
	metab_drain_poll(now);
	if ((j = builder_collect()) != NULL)
		finish_build(j, now);
	update_flip(now);
	if (build_due(now))
		start_build(now);
	// 100 ms windows: a burst of updates shows its rate without having to last a second.
	if (now - metab.rate_start_ns >= 100000000ull) {
		metab.st.update_rate = (metab.st.updates_applied - metab.rate_start_count) *
			1000000000ull / (now - metab.rate_start_ns);
		if (metab.st.update_rate > metab.st.update_rate_peak)
			metab.st.update_rate_peak = metab.st.update_rate;
		metab.rate_start_count = metab.st.updates_applied;
		metab.rate_start_ns = now;
	}
	// Only grace periods need prompt polling (they bound flip latency); a build takes
	// milliseconds to seconds and is collected at the loop's idle pace. Count again: a flip
	// made by this very poll has started one.
	for (unsigned i = 0; i < metab.n; i++)
		busy += metab.m[i].state == SLOT_DRAINING;
	return busy;
}

static int first_slot(char *err, size_t errlen)
{
	const struct fib_driver *d = fib_driver_find(metab.cfg->driver);
	struct mslot *m = &metab.m[0];
	struct slot_build_stats st;
	struct slot_verify_result vr;
	struct slot *s;
	int ret;

	if (d == NULL) {
		snprintf(err, errlen, "fib.driver \"%s\" is not a known driver", metab.cfg->driver);
		return -ENOENT;
	}
	slot_transition(&m->state, NULL, 0, SLOT_BUILDING);
	s = slot_build(metab.cfg, d, metab.next_generation++, metab.feed.mirror.routes,
		       metab.feed.mirror.count, &st, err, errlen);
	if (s == NULL) {
		ret = -errno;
		slot_transition(&m->state, NULL, 0, SLOT_ERASED);
		slot_transition(&m->state, NULL, 0, SLOT_EMPTY);
		return ret;
	}
	s->state = SLOT_BUILDING;
	s->id = 0;
	s->feed_generation = metab.feed.generation;
	s->feed_seq = metab.feed.next_seq;
	m->s = s;
	slot_books_init(&m->books, &st);
	if ((ret = slot_verify(s, st.rules, st.rules_digest, &vr, err, errlen)) < 0) {
		metab_erase(m);
		return ret;
	}
	LOG_NOTICE("slot", "slot 0 built (generation %" PRIu64 ", driver %s): %" PRIu64
		   " IPv4 + %" PRIu64 " IPv6 routes, %" PRIu64 " rejected, %" PRIu64 " shadowed by "
		   "connected, %u next hops, %.1f ms (IPv4 adds %.1f, IPv6 adds %.1f), %.1f MiB, "
		   "verified (%" PRIu64 " rules)", s->generation, d->name, s->routes4, s->routes6,
		   s->rejected, st.shadowed, st.nh_count, s->build_ns / 1e6, st.fib4_ns / 1e6,
		   st.fib6_ns / 1e6, slot_memory(s) / 1048576.0, vr.rules);
	neigh_slot_attach(s);
	slot_transition(&m->state, s, 0, SLOT_READY);
	metab.st.builds_ok++;
	metab.st.build_ns_last = metab.st.build_ns_sum = s->build_ns;
	metab_flip(0, metab_now(), false);
	publish_list(NULL);
	return 0;
}

int metabolism_init(const struct molt_config *cfg, char *err, size_t errlen)
{
	int ret;

	memset(&metab, 0, sizeof(metab));
	metab.cfg = cfg;
	metab.n = cfg->slots < 2 ? 2 : cfg->slots > METABOLISM_MAX_SLOTS ?
		METABOLISM_MAX_SLOTS : cfg->slots;
	metab.active = -1;
	metab.building = -1;
	metab.next_generation = 1;
	metab.interval_ms = cfg->interval_ms;
	metab.rate_start_ns = metab_now();
	metab.next_due_ns = metab.rate_start_ns + (uint64_t)cfg->interval_ms * 1000000ull;
	metab.planner = slot_planner_create(cfg);
	if (metab.planner == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	// The route server may have created the feed but not published its first table yet.
	for (int tries = 0;; tries++) {
		ret = feed_sync_open(&metab.feed, cfg->feed_shm, err, errlen);
		if (ret != -EAGAIN || tries == 100)
			break;
		if (tries == 0)
			LOG_NOTICE("feed", "%s has no table yet, waiting up to 10 s", cfg->feed_shm);
		rte_delay_us_sleep(100000);
	}
	if (ret < 0) {
		if (ret == -ENOENT)
			snprintf(err, errlen, "feed %s: no such shared memory object (is "
				 "molt-routeserver running with --shm %s?)", cfg->feed_shm,
				 cfg->feed_shm);
		goto fail;
	}
	metab_progress_reset();
	if ((ret = first_slot(err, errlen)) < 0)
		goto fail;
	if ((ret = builder_start()) < 0) {
		snprintf(err, errlen, "cannot start the builder thread: %s", strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	metabolism_fini();
	return ret;
}

void metabolism_fini(void)
{
	struct builder_job *j = builder_stop();

	if (metab.planner != NULL) // once: metabolism_init's failure path may have run it
		LOG_NOTICE(SUB, "%" PRIu64 " flips (%" PRIu64 " for updates), %" PRIu64 " builds, %"
			   PRIu64 " failed, %" PRIu64 " resyncs, %" PRIu64 " updates applied; flip "
			   "latency p50 %.3f ms, p99 %.3f ms, max %.3f ms", metab.st.flips,
			   metab.st.update_flips, metab.st.builds_ok, metab.st.builds_failed,
			   metab.feed.resyncs, metab.st.updates_applied,
			   latency_pct(&metab.st.flip_ns, 50) / 1e6,
			   latency_pct(&metab.st.flip_ns, 99) / 1e6, metab.st.flip_ns.max / 1e6);
	if (j != NULL)
		slot_free_scrub(j->slot);
	atomic_store_explicit(&molt_dp.active, NULL, memory_order_release);
	telemetry_set_slots(NULL, 0);
	for (unsigned i = 0; i < metab.n; i++) {
		struct mslot *m = &metab.m[i];

		if (m->state == SLOT_ACTIVE)
			slot_transition(&m->state, m->s, i, SLOT_DRAINING);
		if (m->state != SLOT_EMPTY)
			metab_erase(m);
	}
	metab.active = -1;
	metab.building = -1;
	complete_requests(-ECANCELED, "moltd is stopping", NULL);
	slot_planner_destroy(metab.planner);
	metab.planner = NULL;
	metab_progress_fini();
	feed_sync_close(&metab.feed);
}

int metabolism_request(const char *driver, metabolism_done_cb cb, void *arg)
{
	const struct fib_driver *d = NULL;

	if (driver != NULL && (d = fib_driver_find(driver)) == NULL)
		return -ENOENT;
	if (metab.n_req == METAB_MAX_REQ)
		return -ENOSPC;
	if (d != NULL && metab.building < 0)
		metab.req_driver = d;
	metab.req[metab.n_req++] = (struct metab_req){cb, arg};
	// An explicit request is not held back by a failed build's backoff.
	metab.retry_ns = 0;
	return 0;
}

void metabolism_set(int64_t interval_ms, int paused)
{
	if (interval_ms >= 0) {
		metab.interval_ms = (uint32_t)interval_ms;
		metab.next_due_ns = metab_now() + (uint64_t)interval_ms * 1000000ull;
	}
	if (paused >= 0)
		metab.paused = paused != 0;
}

uint32_t metabolism_interval_ms(void)
{
	return metab.interval_ms;
}

bool metabolism_paused(void)
{
	return metab.paused;
}

bool metabolism_building(void)
{
	return metab.building >= 0;
}

const struct metabolism_stats *metabolism_stats(void)
{
	return &metab.st;
}

const struct feed_sync *metabolism_feed(void)
{
	return &metab.feed;
}

struct slot *const *metabolism_slots(unsigned *n)
{
	*n = metab.n;
	return metab.ptrs;
}
