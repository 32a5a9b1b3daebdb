// SPDX-License-Identifier: BSD-3-Clause
// The build thread. Hand-off: the control thread stores the job under the mutex and signals; the
// builder runs it and publishes completion with one release store of `done`, which the control
// thread polls with an acquire load (no lock on the polling path).
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/metabolism/build_thread.h"
#include "control/integrity/integrity.h"
#include "control/slot/slot_verify.h"

static pthread_t thread;
static bool started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct builder_job *job; // control: wo under lock when idle; builder: ro
static bool quit; // control: wo under lock
static atomic_bool done; // builder: wo (release); control: ro (acquire)
static bool submitted; // control only
// Retired slots to scrub and free (control: push under lock; builder: pop under lock).
// Scrubbing a full slot overwrites hundreds of MB: off the control thread, it does not delay
// grace-period checks or requests.
#define MAX_FREE 64
static struct slot *to_free[MAX_FREE];
static unsigned n_free;

// Called with the lock held; returns with it held.
static void drain_frees(void)
{
	while (n_free > 0) {
		struct slot *s = to_free[--n_free];

		pthread_mutex_unlock(&lock);
		slot_free_scrub(s);
		pthread_mutex_lock(&lock);
	}
}

static void *builder_main(void *arg)
{
	(void)arg;
	// A registered non-EAL thread gets an lcore id, so DPDK's per-lcore caches and
	// rte_malloc statistics work here as on an EAL thread.
	if (rte_thread_register() != 0)
		LOG_WARN("metabolism",
			 "builder thread not registered with DPDK (%s): builds may "
			 "fail",
			 rte_strerror(rte_errno));
	pthread_mutex_lock(&lock);
	for (;;) {
		struct builder_job *j;

		while (job == NULL && n_free == 0 && !quit)
			pthread_cond_wait(&cond, &lock);
		drain_frees();
		if (job == NULL) {
			if (quit)
				break;
			continue;
		}
		j = job;
		pthread_mutex_unlock(&lock);
		j->run_ns = molt_now_ns();
		if (j->audit != NULL) {
			j->ret = slot_verify(j->audit, j->audit_rules, j->audit_digest, NULL,
					     j->err, sizeof(j->err));
			goto done;
		}
		j->slot = slot_build(j->cfg, j->driver, j->generation, j->routes, j->n_routes,
				     &j->stats, j->err, sizeof(j->err));
		j->ret = j->slot != NULL ? 0 : -errno;
		if (j->slot != NULL && j->verify) {
			struct slot_verify_result vr;
			uint64_t t = molt_now_ns();

			j->ret = slot_verify(j->slot, j->stats.rules, j->stats.rules_digest, &vr,
					     j->err, sizeof(j->err));
			LOG_INFO("metabolism",
				 "generation %" PRIu64 " verified in %.1f ms: %" PRIu64
				 " rules walked, %" PRIu64 " lookups",
				 j->generation, (molt_now_ns() - t) / 1e6, vr.rules, vr.probes);
			if (j->ret < 0) {
				slot_free_scrub(j->slot);
				j->slot = NULL;
			} else {
				// Verified: its pages are MACed under a key of its own, here rather
				// than on the control thread (a full table is ~100 MB of pages).
				integrity_slot_new(j->slot);
			}
		}
		free(j->routes);
		j->routes = NULL;
done:
		j->run_ns = molt_now_ns() - j->run_ns;
		pthread_mutex_lock(&lock);
		job = NULL;
		atomic_store_explicit(&done, true, memory_order_release);
	}
	pthread_mutex_unlock(&lock);
	rte_thread_unregister();
	return NULL;
}

int builder_start(void)
{
	int ret;

	if (started)
		return 0;
	quit = false;
	ret = pthread_create(&thread, NULL, builder_main, NULL);
	if (ret != 0)
		return errno_log(ret, "metabolism", "cannot start the builder thread: %s",
				 strerror(ret));
	pthread_setname_np(thread, "molt-builder");
	started = true;
	return 0;
}

static struct builder_job *current; // control only: submitted, not yet collected

int builder_submit(struct builder_job *j)
{
	if (!started)
		return -ENOTCONN;
	if (submitted)
		return -EBUSY;
	atomic_store_explicit(&done, false, memory_order_relaxed);
	pthread_mutex_lock(&lock);
	job = j;
	current = j;
	submitted = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return 0;
}

bool builder_busy(void)
{
	return submitted;
}

struct builder_job *builder_collect(void)
{
	struct builder_job *j;

	if (!submitted || !atomic_load_explicit(&done, memory_order_acquire))
		return NULL;
	j = current;
	current = NULL;
	submitted = false;
	return j;
}

void builder_free(struct slot *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&lock);
	if (started && n_free < MAX_FREE) {
		to_free[n_free++] = s;
		pthread_cond_signal(&cond);
		s = NULL;
	}
	pthread_mutex_unlock(&lock);
	// No thread, or a backlog: do it here.
	slot_free_scrub(s);
}

struct builder_job *builder_stop(void)
{
	struct builder_job *j = NULL;

	if (!started)
		return NULL;
	pthread_mutex_lock(&lock);
	quit = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	// The thread finishes a running build before it sees quit: join waits for it.
	pthread_join(thread, NULL);
	pthread_mutex_lock(&lock);
	started = false;
	drain_frees();
	pthread_mutex_unlock(&lock);
	if (submitted) {
		j = current;
		current = NULL;
		submitted = false;
	}
	return j;
}
