// SPDX-License-Identifier: BSD-3-Clause
// Start (the first slot, built synchronously: ports start only once it is ACTIVE), stop, and
// the calls the RPC methods make.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "common/log.h"
#include "control/metabolism/metabolism_priv.h"
#include "control/neigh/neigh.h"
#include "control/slot/slot_lifecycle.h"
#include "control/slot/slot_verify.h"
#include "control/telemetry/telemetry.h"
#include "dataplane/dataplane.h"

#define SUB "metabolism"

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
	metab_publish_list(NULL);
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
	metab.auditing = -1;
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
			LOG_NOTICE("feed", "%s has no table yet, waiting up to 10 s",
				   cfg->feed_shm);
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

	if (metab.planner != NULL && metab.st.flips > 0) // once, and not for a failed start
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
	metab_complete_requests(-ECANCELED, "moltd is stopping", NULL);
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
