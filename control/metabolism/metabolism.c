// SPDX-License-Identifier: BSD-3-Clause
// The slot manager's policy and its one state: when to build (timer, requests, updates waiting,
// resyncs, retries after a failure), the jobs of the build thread (builds and integrity walks of
// the ACTIVE slot), how far journal entries have reached, and the counters. The slot positions
// themselves are slot_set.c's.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/integrity/integrity.h"
#include "control/metabolism/build_thread.h"
#include "control/metabolism/metabolism.h"
#include "control/metabolism/slot_fit.h"

#define SUB "metabolism"
#define MAX_REQ 64
#define SEEN (1u << 18) // entries whose read time is remembered

struct request {
	metabolism_done_cb cb;
	void *arg;
};

static struct {
	const struct molt_config *cfg; // NULL when not started
	struct feed_sync feed;
	uint64_t next_generation;
	unsigned next_driver; // rotation index in cfg->drivers
	// the build thread's job: a build, or an integrity walk of the ACTIVE slot
	struct builder_job job;
	int building; // position being built, -1 when none
	int auditing; // position being walked, -1 when none
	const struct fib_driver *req_driver; // driver asked for the next build (slot.metabolize)
	// policy
	uint32_t interval_ms;
	bool paused;
	uint64_t next_due_ns; // timer
	uint64_t retry_ns; // 0: no failed build to retry, else not before this
	uint64_t backoff_ns;
	bool want_build; // resync, broken active, or updates waiting with no standby
	uint64_t next_audit_ns;
	struct request req[MAX_REQ];
	unsigned n_req;
	// update propagation: entries [done_seq, feed.next_seq) are not in every live slot yet;
	// seen[seq % SEEN] is when the control thread read entry seq
	uint64_t done_seq;
	uint64_t *seen;
	// update rate window
	uint64_t rate_start_ns, rate_start_count;
	struct metabolism_stats st;
} metab;

static void complete_requests(int ret, const char *err, const struct slot *s)
{
	unsigned n = metab.n_req;

	// A callback may queue a new request: take the list first.
	struct request req[MAX_REQ];

	memcpy(req, metab.req, n * sizeof(req[0]));
	metab.n_req = 0;
	for (unsigned i = 0; i < n; i++)
		req[i].cb(req[i].arg, ret, err, s);
}

// --- update propagation ------------------------------------------------------------------------

static void progress_reset(void)
{
	if (metab.seen == NULL)
		metab.seen = calloc(SEEN, sizeof(*metab.seen));
	metab.done_seq = metab.feed.next_seq;
}

// Entries before the first one some live slot still waits for are everywhere: account them.
static void progress(uint64_t now)
{
	uint64_t min = slot_set_oldest_pending();

	for (uint64_t s = metab.done_seq; s < min; s++) {
		// Samples older than the ring were overwritten: counted, not timed.
		if (metab.seen != NULL && metab.feed.next_seq - s <= SEEN)
			latency_stats_add(&metab.st.update_ns, now - metab.seen[s % SEEN]);
		metab.st.updates_applied++;
	}
	if (min > metab.done_seq)
		metab.done_seq = min;
}

// 100 ms windows: a burst of updates shows its rate without having to last a second.
static void update_rate(uint64_t now)
{
	if (now - metab.rate_start_ns < 100000000ull)
		return;
	metab.st.update_rate = (metab.st.updates_applied - metab.rate_start_count) * 1000000000ull /
			       (now - metab.rate_start_ns);
	if (metab.st.update_rate > metab.st.update_rate_peak)
		metab.st.update_rate_peak = metab.st.update_rate;
	metab.rate_start_count = metab.st.updates_applied;
	metab.rate_start_ns = now;
}

static void on_entry(void *arg, const struct molt_route *old, const struct molt_route *new_)
{
	uint64_t seq = metab.feed.next_seq, now = *(const uint64_t *)arg;

	if (metab.seen != NULL)
		metab.seen[seq % SEEN] = now;
	slot_set_entry(old, new_, seq, metab.auditing);
}

// Reads journal entries and spreads them over the slots.
static void feed_poll(uint64_t now)
{
	bool resynced;

	feed_sync_poll(&metab.feed, now, METABOLISM_BATCH, on_entry, &now, &resynced);
	if (resynced) {
		slot_set_resync();
		metab.want_build = true;
		progress_reset();
	}
	progress(molt_now_ns());
}

// --- builds ------------------------------------------------------------------------------------

static void build_failed(int ret, const char *why, uint64_t now)
{
	metab.st.builds_failed++;
	snprintf(metab.st.last_error, sizeof(metab.st.last_error), "%s", why);
	metab.st.last_error_ns = now;
	metab.backoff_ns = metab.backoff_ns == 0 ? METABOLISM_BACKOFF_MIN_NS
			   : metab.backoff_ns * 2 > METABOLISM_BACKOFF_MAX_NS
				   ? METABOLISM_BACKOFF_MAX_NS
				   : metab.backoff_ns * 2;
	metab.retry_ns = now + metab.backoff_ns;
	LOG_ERR(SUB, "build failed (%s); the active slot keeps forwarding; retry in %" PRIu64 " s",
		why, (uint64_t)(metab.backoff_ns / 1000000000ull));
	complete_requests(ret, why, NULL);
}

static void build_ok(const struct slot *s)
{
	metab.st.builds_ok++;
	metab.st.build_ns_last = s->build_ns;
	metab.st.build_ns_sum += s->build_ns;
	metab.backoff_ns = 0;
	metab.retry_ns = 0;
}

// A build came back from the build thread: the slot positions catch it up, check it and flip.
static void finish_build(struct builder_job *j, uint64_t now)
{
	unsigned i = (unsigned)metab.building;
	char why[sizeof(j->err)];
	int ret;

	metab.building = -1;
	if (j->slot == NULL) {
		slot_set_abandon(i);
		build_failed(j->ret, j->err, now);
		return;
	}
	ret = slot_set_built(i, j->slot, &j->stats, now, why, sizeof(why));
	if (ret == -ESTALE) {
		// Not the build's fault: build again from the new mirror, requests still waiting.
		metab.st.builds_stale++;
		metab.want_build = true;
		return;
	}
	if (ret == -ENOSPC) {
		// Nor is this, and waiting (a failed build's backoff) would only leave the updates
		// waiting too: build again now from the mirror, which holds them, requests still
		// waiting. Each such build takes in everything read so far, so a burst ends.
		metab.st.builds_outgrown++;
		metab.want_build = true;
		LOG_NOTICE(SUB, "%s", why);
		return;
	}
	if (ret < 0) {
		build_failed(ret, why, now);
		return;
	}
	build_ok(j->slot);
	complete_requests(0, NULL, j->slot);
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

// Copies the mirror (the build thread must not share it: the control thread keeps changing it)
// and hands it to the build thread. Entries read from now on go to the catch-up list.
static void start_build(uint64_t now)
{
	int i = slot_set_empty();
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
	slot_set_building((unsigned)i);
	metab.building = i;
	metab.want_build = false;
	metab.next_due_ns = now + (uint64_t)metab.interval_ms * 1000000ull;
	LOG_INFO(SUB, "building slot %d (generation %" PRIu64 ", driver %s) from %u routes", i,
		 metab.job.generation, metab.job.driver->name, n);
}

static bool build_due(uint64_t now)
{
	if (metab.building >= 0 || builder_busy() || slot_set_empty() < 0)
		return false;
	if (metab.retry_ns != 0)
		return now >= metab.retry_ns;
	if (metab.n_req > 0 || metab.want_build)
		return true;
	return !metab.paused && metab.interval_ms != 0 && now >= metab.next_due_ns;
}

// --- integrity walks ---------------------------------------------------------------------------

// The build thread walked the ACTIVE slot (or the one that was ACTIVE when the walk started).
static void finish_audit(struct builder_job *j, uint64_t now)
{
	unsigned i = (unsigned)metab.auditing;
	uint64_t pause = j->run_ns * METABOLISM_AUDIT_DUTY;

	metab.auditing = -1;
	metab.st.audits++;
	metab.next_audit_ns = now + (pause > METABOLISM_AUDIT_NS ? pause : METABOLISM_AUDIT_NS);
	if (j->ret == 0)
		return;
	metab.st.audits_failed++;
	LOG_ERR(SUB, "integrity check failed: %s: replacing the slot now", j->err);
	slot_set_broken(i);
	metab.want_build = true;
	metab.retry_ns = 0;
}

static void start_audit(uint64_t now)
{
	struct slot *s;
	uint64_t rules, digest;
	int i;

	if (metab.building >= 0 || builder_busy() || now < metab.next_audit_ns)
		return;
	if ((i = slot_set_auditable(&s, &rules, &digest)) < 0)
		return;
	memset(&metab.job, 0, sizeof(metab.job));
	metab.job.audit = s;
	metab.job.audit_rules = rules;
	metab.job.audit_digest = digest;
	if (builder_submit(&metab.job) == 0)
		metab.auditing = i;
}

// The page-MAC auditor found s tampered with: it is never made live again (broken: flipped
// away from at once when a standby exists, then scrubbed and erased), and a fresh slot is built
// from the mirror now, with another engine of the rotation when there is one.
static void tampered(const struct slot *s, uint64_t now)
{
	unsigned n;
	struct slot *const *list = slot_set_list(&n);

	for (unsigned i = 0; i < n; i++) {
		if (list[i] != s)
			continue;
		slot_set_broken(i);
		metab.st.audits_failed++;
		metab.want_build = true;
		metab.retry_ns = 0;
		for (unsigned k = 0; k < metab.cfg->n_drivers && metab.req_driver == NULL; k++) {
			const struct fib_driver *d = fib_driver_find(
				metab.cfg->drivers[(metab.next_driver + k) % metab.cfg->n_drivers]);

			if (d != NULL && d != s->driver)
				metab.req_driver = d;
		}
		// Flip to a clean standby in this very poll if there is one.
		if (slot_set_update_flip(now, metab.building >= 0))
			metab.want_build = true;
		return;
	}
}

int metabolism_poll(uint64_t now)
{
	struct builder_job *j;
	struct slot *bad;

	feed_poll(now);
	if ((bad = integrity_poll(now)) != NULL)
		tampered(bad, now);
	slot_set_drain(metab.auditing);
	progress(molt_now_ns());
	if ((j = builder_collect()) != NULL) {
		if (j->audit != NULL)
			finish_audit(j, now);
		else
			finish_build(j, now);
	}
	if (slot_set_update_flip(now, metab.building >= 0))
		metab.want_build = true;
	if (build_due(now))
		start_build(now);
	else
		start_audit(now);
	update_rate(now);
	// Only grace periods need prompt polling (they bound flip latency); a build takes
	// milliseconds to seconds and is collected at the loop's idle pace. Count again: a flip
	// made by this very poll has started one.
	return (int)slot_set_draining();
}

// --- start and stop ----------------------------------------------------------------------------

// The first slot is built on this thread: ports start only once it is ACTIVE.
static int first_slot(char *err, size_t errlen)
{
	const struct fib_driver *d = fib_driver_find(metab.cfg->driver);
	const struct slot *s;
	int ret;

	if (d == NULL) {
		snprintf(err, errlen, "fib.driver \"%s\" is not a known driver", metab.cfg->driver);
		return -ENOENT;
	}
	if ((ret = slot_set_first(d, metab.next_generation++, &s, err, errlen)) < 0)
		return ret;
	// The rotation goes on from the first slot's driver, so the second generation does not
	// repeat its structure when fib.driver is one of metabolism.drivers.
	for (unsigned i = 0; i < metab.cfg->n_drivers; i++)
		if (fib_driver_find(metab.cfg->drivers[i]) == d)
			metab.next_driver = i + 1;
	metab.st.builds_ok++;
	metab.st.build_ns_last = metab.st.build_ns_sum = s->build_ns;
	return 0;
}

int metabolism_init(const struct molt_config *cfg, char *err, size_t errlen)
{
	unsigned n = cfg->slots < 2 ? 2 : cfg->slots > SLOT_SET_MAX ? SLOT_SET_MAX : cfg->slots;
	int ret;

	memset(&metab, 0, sizeof(metab));
	metab.cfg = cfg;
	metab.building = -1;
	metab.auditing = -1;
	metab.next_generation = 1;
	metab.interval_ms = cfg->interval_ms;
	metab.rate_start_ns = molt_now_ns();
	metab.next_due_ns = metab.rate_start_ns + (uint64_t)cfg->interval_ms * 1000000ull;
	integrity_init(cfg); // without it (logged) slots are still walked, not MACed
	if (slot_set_init(cfg, n, &metab.feed) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	// The route server may have created the feed but not published its first table yet.
	for (int tries = 0;; tries++) {
		ret = feed_sync_open(&metab.feed, cfg->feed_shm, cfg->feed_key_file, err, errlen);
		if (ret != -EAGAIN || tries == 100)
			break;
		if (tries == 0)
			LOG_NOTICE("feed", "%s has no table yet, waiting up to 10 s",
				   cfg->feed_shm);
		rte_delay_us_sleep(100000);
	}
	if (ret < 0) {
		if (ret == -ENOENT)
			snprintf(err, errlen,
				 "feed %s: no such shared memory object (is "
				 "molt-routeserver running with --shm %s?)",
				 cfg->feed_shm, cfg->feed_shm);
		goto fail;
	}
	progress_reset();
	// Refuse to start rather than forward with one slot and fail every build after it.
	ret = slot_fit_check(cfg, metab.feed.mirror.routes, metab.feed.mirror.count, err, errlen);
	if (ret < 0 || (ret = first_slot(err, errlen)) < 0)
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
	const struct slot_set_stats *ss = slot_set_stats();

	if (metab.cfg != NULL && ss->flips > 0) // once, and not for a failed start
		LOG_NOTICE(SUB,
			   "%" PRIu64 " flips (%" PRIu64 " for updates), %" PRIu64
			   " builds, %" PRIu64 " failed, %" PRIu64 " resyncs, %" PRIu64
			   " updates applied; flip "
			   "latency p50 %.3f ms, p99 %.3f ms, max %.3f ms; %" PRIu64
			   " seals, p50 %.3f ms, p99 %.3f ms",
			   ss->flips, ss->update_flips, metab.st.builds_ok, metab.st.builds_failed,
			   metab.feed.resyncs, metab.st.updates_applied,
			   latency_stats_pct(&ss->flip_ns, 50) / 1e6,
			   latency_stats_pct(&ss->flip_ns, 99) / 1e6, ss->flip_ns.max / 1e6,
			   ss->seal_ns.n, latency_stats_pct(&ss->seal_ns, 50) / 1e6,
			   latency_stats_pct(&ss->seal_ns, 99) / 1e6);
	if (j != NULL && j->slot != NULL) {
		integrity_slot_forget(j->slot);
		slot_free_scrub(j->slot);
	}
	slot_set_fini();
	integrity_fini();
	metab.building = -1;
	metab.auditing = -1;
	complete_requests(-ECANCELED, "moltd is stopping", NULL);
	free(metab.seen);
	metab.seen = NULL;
	feed_sync_close(&metab.feed);
	metab.cfg = NULL;
}

// --- what the RPC methods call -----------------------------------------------------------------

int metabolism_request(const char *driver, metabolism_done_cb cb, void *arg)
{
	const struct fib_driver *d = NULL;

	if (driver != NULL && (d = fib_driver_find(driver)) == NULL)
		return -ENOENT;
	if (metab.n_req == MAX_REQ)
		return -ENOSPC;
	if (d != NULL && metab.building < 0)
		metab.req_driver = d;
	metab.req[metab.n_req++] = (struct request){ cb, arg };
	// An explicit request is not held back by a failed build's backoff.
	metab.retry_ns = 0;
	return 0;
}

void metabolism_set(int64_t interval_ms, int paused)
{
	if (interval_ms >= 0) {
		metab.interval_ms = (uint32_t)interval_ms;
		metab.next_due_ns = molt_now_ns() + (uint64_t)interval_ms * 1000000ull;
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

const struct slot_set_stats *metabolism_slot_stats(void)
{
	return slot_set_stats();
}

const struct feed_sync *metabolism_feed(void)
{
	return &metab.feed;
}

struct slot *const *metabolism_slots(unsigned *n)
{
	return slot_set_list(n);
}
