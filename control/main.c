// SPDX-License-Identifier: BSD-3-Clause
// moltd: EAL, config, route feed, the first slot, ports, workers, and the control loop. The
// main lcore is the control thread; every other enabled lcore runs a worker.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "common/feed.h"
#include "common/log.h"
#include "control/config.h"
#include "control/neigh.h"
#include "control/ports.h"
#include "control/punt.h"
#include "control/rpc.h"
#include "control/rpc_moltd.h"
#include "control/slot_build.h"
#include "control/stats.h"
#include "control/telemetry.h"
#include "dataplane/dataplane.h"

#define PUNT_RING_SIZE 1024
#define INJECT_RING_SIZE 1024
#define NEIGH_CAPACITY 65536
#define IDLE_SLEEP_MIN_US 50
#define IDLE_SLEEP_MAX_US 1000 // also the control socket's poll timeout once idle
#define FEED_CHECK_NS 1000000000ull

static volatile sig_atomic_t quit;
static struct molt_config cfg; // large (static neighbours): not on the stack
static struct feed_reader feed;
static struct rte_mempool *pool;
static struct slot *active_slot;
static uint64_t next_generation = 1;
static bool neigh_up;
static struct rpc_server *rpc_srv;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [EAL options] -- -c CONFIG.json\n"
		"  -c, --config FILE  moltd configuration (JSON; see README.md)\n"
		"  -h, --help         this help\n"
		"Every enabled lcore but the main one runs a worker (-l 0,1: one worker).\n"
		"Example: %s --no-huge -m 512 --no-pci -l 0,1 -- -c moltd.json\n", prog, prog);
}

// Returns 0 to run, 1 when help was printed, -EINVAL on a usage error.
static int parse_args(int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*config = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		default:
			usage(stderr, argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "moltd: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (*config == NULL) {
		fprintf(stderr, "moltd: no configuration given (-c CONFIG.json after --)\n");
		usage(stderr, argv[0]);
		return -EINVAL;
	}
	return 0;
}

static int setup_workers(void)
{
	unsigned lcore;
	uint16_t n = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dp_worker *w;

		if (n == MOLT_MAX_WORKERS)
			return errno_log(E2BIG, "moltd", "more than %d worker lcores",
					 MOLT_MAX_WORKERS);
		w = &molt_dp.workers[n];
		memset(w, 0, sizeof(*w));
		w->lcore_id = lcore;
		w->worker_id = n;
		w->txq = n;
		n++;
	}
	if (n == 0)
		return errno_log(EINVAL, "moltd", "no worker lcore: the main lcore %u runs the "
				 "control thread, give at least one more (e.g. -l 0,1)",
				 rte_get_main_lcore());
	molt_dp.nb_workers = n;
	return 0;
}

static int setup_qsbr(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(molt_dp.nb_workers);

	molt_dp.qsbr = rte_zmalloc("molt_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (molt_dp.qsbr == NULL)
		return errno_log(ENOMEM, "moltd", "cannot allocate the RCU state (%zu bytes)", sz);
	if (rte_rcu_qsbr_init(molt_dp.qsbr, molt_dp.nb_workers) != 0)
		return errno_log(EINVAL, "moltd", "rte_rcu_qsbr_init: %s", rte_strerror(rte_errno));
	return 0;
}

// Every (port, rx queue) goes to exactly one worker, queue q to worker q mod nb_workers.
static int setup_rings_and_queues(void)
{
	for (uint16_t i = 0; i < molt_dp.nb_workers; i++) {
		struct dp_worker *w = &molt_dp.workers[i];
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "molt_punt%u", i);
		w->punt = rte_ring_create(name, PUNT_RING_SIZE,
					  (int)rte_lcore_to_socket_id(w->lcore_id),
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->punt == NULL)
			return errno_log(ENOMEM, "moltd", "cannot create punt ring %s: %s", name,
					 rte_strerror(rte_errno));
		snprintf(name, sizeof(name), "molt_inject%u", i);
		w->inject = rte_ring_create(name, INJECT_RING_SIZE,
					    (int)rte_lcore_to_socket_id(w->lcore_id),
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->inject == NULL)
			return errno_log(ENOMEM, "moltd", "cannot create inject ring %s: %s",
					 name, rte_strerror(rte_errno));
	}
	for (uint16_t p = 0; p < cfg.n_ports; p++) {
		uint16_t id = cfg.ports[p].port_id;

		for (uint16_t q = 0; q < ports_nb_rxq(id); q++) {
			struct dp_worker *w = &molt_dp.workers[q % molt_dp.nb_workers];

			if (w->n_rxq == MOLT_MAX_RXQ_PER_WORKER)
				return errno_log(E2BIG, "moltd", "worker %u would poll more "
						 "than %d queues", w->worker_id,
						 MOLT_MAX_RXQ_PER_WORKER);
			w->rxq[w->n_rxq].port_id = id;
			w->rxq[w->n_rxq].queue_id = q;
			w->n_rxq++;
		}
	}
	return 0;
}

// Created before anything else so a second moltd on the same socket stops here, before it
// probes ports another process owns. Serviced only from the control loop.
static int open_control(void)
{
	struct rpc_server_conf rc = {
		.path = cfg.control_socket,
		.group = cfg.control_group[0] != '\0' ? cfg.control_group : NULL,
	};
	char err[512] = "";

	moltd_rpc.cfg = &cfg;
	moltd_rpc.slots = &active_slot;
	moltd_rpc.n_slots = 1;
	rpc_srv = rpc_server_create(&rc, err, sizeof(err));
	if (rpc_srv == NULL) {
		fprintf(stderr, "moltd: control socket %s: %s\n", cfg.control_socket, err);
		return -EINVAL;
	}
	LOG_NOTICE("moltd", "control socket %s%s%s", cfg.control_socket,
		   rc.group != NULL ? ", group " : "", rc.group != NULL ? rc.group : "");
	return 0;
}

static int open_feed(void)
{
	char err[512];
	int ret = feed_reader_open(&feed, cfg.feed_shm, err, sizeof(err));

	if (ret == -ENOENT) {
		fprintf(stderr, "moltd: feed %s: no such shared memory object (is molt-routeserver "
			"running with --shm %s?)\n", feed.name[0] ? feed.name : cfg.feed_shm,
			cfg.feed_shm);
		return ret;
	}
	if (ret < 0) {
		fprintf(stderr, "moltd: feed %s: %s\n", cfg.feed_shm, err);
		return ret;
	}
	moltd_rpc.feed = &feed;
	return 0;
}

// The route server may have created the feed but not yet published its first table.
static int snapshot(struct molt_route **routes, struct feed_snapshot_desc *desc)
{
	char err[512];
	int ret;

	for (int tries = 0;; tries++) {
		ret = feed_reader_snapshot(&feed, routes, desc, err, sizeof(err));
		if (ret != -EAGAIN || tries == 100 || quit)
			break;
		if (tries == 0)
			LOG_NOTICE("feed", "%s has no table yet, waiting up to 10 s", feed.name);
		rte_delay_us_sleep(100000);
	}
	if (ret < 0)
		fprintf(stderr, "moltd: feed %s: %s\n", feed.name, err);
	return ret;
}

static int first_slot(void)
{
	struct feed_snapshot_desc desc;
	struct slot_build_stats st;
	struct molt_route *routes = NULL;
	const struct fib_driver *d;
	char err[512];
	int ret;

	if ((ret = snapshot(&routes, &desc)) < 0)
		return ret;
	LOG_NOTICE("feed", "%s opened: generation %016" PRIx64 ", %" PRIu64 " routes (%" PRIu64
		   " IPv4, %" PRIu64 " IPv6), sequence %" PRIu64 ", route server %s", feed.name,
		   feed.generation, desc.count, desc.count_v4, desc.count_v6, desc.covers_seq,
		   atomic_load(&feed.hdr->alive) ? "alive" : "not running");

	// fib.driver builds the first slot; metabolism.drivers is the rotation that follows.
	d = fib_driver_find(cfg.driver);
	active_slot = slot_build(&cfg, d, next_generation++, routes, desc.count, &st, err,
				 sizeof(err));
	free(routes);
	if (active_slot == NULL) {
		fprintf(stderr, "moltd: %s\n", err);
		return -errno;
	}
	active_slot->id = 0;
	active_slot->feed_generation = feed.generation;
	active_slot->feed_seq = desc.covers_seq;
	LOG_NOTICE("slot", "slot %u built (generation %" PRIu64 ", driver %s): %" PRIu64
		   " IPv4 + %" PRIu64 " IPv6 routes, %" PRIu64 " rejected, %" PRIu64 " shadowed by "
		   "connected, %u next hops, %.1f ms (plan %.1f, create %.1f, IPv4 adds %.1f, "
		   "IPv6 adds %.1f), %.1f MiB",
		   active_slot->id, active_slot->generation, d->name, active_slot->routes4,
		   active_slot->routes6, active_slot->rejected, st.shadowed, st.nh_count,
		   active_slot->build_ns / 1e6, st.plan_ns / 1e6, st.alloc_ns / 1e6,
		   st.fib4_ns / 1e6, st.fib6_ns / 1e6,
		   slot_memory(active_slot) / 1048576.0);
	if (active_slot->digest != desc.digest && active_slot->rejected == 0 && st.shadowed == 0)
		LOG_WARN("slot", "slot %u digest %016" PRIx64 " differs from the feed's %016"
			 PRIx64, active_slot->id, active_slot->digest, desc.digest);

	neigh_slot_attach(active_slot);
	active_slot->state = SLOT_ACTIVE;
	active_slot->activated_ns = now_ns();
	// Release: a worker that sees the pointer sees the whole slot and its next hops.
	atomic_store_explicit(&molt_dp.active, active_slot, memory_order_release);
	telemetry_set_slots(&active_slot, 1);
	return 0;
}

static int launch_workers(void)
{
	char list[256] = "";
	size_t used = 0;

	for (uint16_t i = 0; i < molt_dp.nb_workers; i++) {
		struct dp_worker *w = &molt_dp.workers[i];
		int ret = rte_eal_remote_launch(dp_worker_main, w, w->lcore_id);

		if (ret < 0)
			return errno_log(-ret, "moltd", "cannot launch worker %u on lcore %u: %s",
					 i, w->lcore_id, strerror(-ret));
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0,
					 "%s%u (%u rx queues)", i ? ", " : "", w->lcore_id,
					 w->n_rxq);
		if (used >= sizeof(list))
			used = sizeof(list) - 1;
	}
	LOG_NOTICE("moltd", "%u worker%s launched on lcore %s; control on lcore %u",
		   molt_dp.nb_workers, molt_dp.nb_workers == 1 ? "" : "s", list,
		   rte_get_main_lcore());
	return 0;
}

// Live updates arrive with the metabolism issue; for now, say what the route server does.
static void check_feed(uint32_t *alive, uint64_t *generation)
{
	uint32_t a = atomic_load_explicit(&feed.hdr->alive, memory_order_acquire);
	uint64_t g = feed.hdr->generation;

	if (a != *alive)
		LOG_NOTICE("feed", "route server %s; forwarding continues with slot %u",
			   a ? "is back" : "has exited", active_slot->id);
	if (g != *generation)
		LOG_NOTICE("feed", "feed %s has a new generation %016" PRIx64 " (route server "
			   "restarted); this moltd does not reload yet", feed.name, g);
	*alive = a;
	*generation = g;
}

// Services the control socket for at most timeout_ms; returns the requests handled. A fatal
// poll error is logged once and turns this into a plain sleep: forwarding goes on regardless.
static unsigned control_poll(int timeout_ms)
{
	static bool reported;
	int r = rpc_server_poll(rpc_srv, timeout_ms);

	if (r >= 0 || r == -EINTR)
		return r > 0 ? (unsigned)r : 0;
	if (!reported)
		LOG_ERR("moltd", "control socket %s: %s; still forwarding, but not answering",
			cfg.control_socket, strerror(-r));
	reported = true;
	if (timeout_ms > 0)
		rte_delay_us_sleep((unsigned)timeout_ms * 1000);
	return 0;
}

static void control_loop(void)
{
	uint32_t alive = atomic_load(&feed.hdr->alive);
	uint64_t generation = feed.hdr->generation, last_check = now_ns();
	unsigned idle_us = IDLE_SLEEP_MIN_US;

	while (!quit) {
		unsigned n = punt_poll();
		uint64_t now = now_ns();

		n += control_poll(0);
		neigh_poll(now);
		if (now - last_check > FEED_CHECK_NS) {
			check_feed(&alive, &generation);
			last_check = now;
		}
		// Nothing to do: sleep rather than spin, the control lcore may share a core with
		// a worker. Back off while idle (a wake-up costs a context switch); the first
		// punted packet or request brings the latency back down. Fully idle, the sleep
		// is the socket's poll, so a request is answered at once rather than after it.
		if (n > 0) {
			idle_us = IDLE_SLEEP_MIN_US;
			continue;
		}
		if (idle_us >= IDLE_SLEEP_MAX_US) {
			if (control_poll(IDLE_SLEEP_MAX_US / 1000) > 0)
				idle_us = IDLE_SLEEP_MIN_US;
			continue;
		}
		rte_delay_us_sleep(idle_us);
		idle_us *= 2;
	}
}

static void shutdown_all(bool workers_running)
{
	// First: no request may look at a slot or a port being torn down.
	if (rpc_srv != NULL)
		rpc_server_destroy(rpc_srv);
	rpc_srv = NULL;
	moltd_rpc.slots = NULL;
	moltd_rpc.n_slots = 0;
	moltd_rpc.feed = NULL;
	molt_dp.stop = true;
	if (workers_running)
		rte_eal_mp_wait_lcore();
	ports_fini();
	if (workers_running)
		stats_print(stdout, &cfg);
	telemetry_set_slots(NULL, 0);
	atomic_store_explicit(&molt_dp.active, NULL, memory_order_release);
	if (active_slot != NULL) {
		if (neigh_up)
			neigh_slot_detach(active_slot);
		slot_free_scrub(active_slot);
		active_slot = NULL;
	}
	if (neigh_up)
		neigh_fini();
	neigh_up = false;
	for (uint16_t i = 0; i < molt_dp.nb_workers; i++) {
		struct rte_ring *r = molt_dp.workers[i].punt;
		void *m;

		while (r != NULL && rte_ring_dequeue(r, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(r);
		molt_dp.workers[i].punt = NULL;
		r = molt_dp.workers[i].inject;
		while (r != NULL && rte_ring_dequeue(r, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(r);
		molt_dp.workers[i].inject = NULL;
	}
	rte_mempool_free(pool);
	rte_free(molt_dp.qsbr);
	molt_dp.qsbr = NULL;
	if (feed.hdr != NULL)
		feed_reader_close(&feed);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	const char *config;
	char err[1024];
	int ret;

	moltd_rpc.start_ns = now_ns();
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "moltd: cannot initialise DPDK: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	// stdout carries the counter report; every log line, DPDK's included, goes to stderr.
	rte_openlog_stream(stderr);
	argv[ret] = argv[0];
	ret = parse_args(argc - ret, argv + ret, &config);
	if (ret != 0)
		goto out_eal;

	ret = molt_config_load(config, &cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "moltd: %s\n", err);
		goto out_eal;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if ((ret = open_control()) < 0 || (ret = open_feed()) < 0 ||
	    (ret = setup_workers()) < 0 || (ret = setup_qsbr()) < 0)
		goto out;
	molt_dp.icmp_tokens_per_sec = cfg.icmp_rate;
	molt_dp.icmp_burst = cfg.icmp_burst;
	ret = ports_init(&cfg, molt_dp.nb_workers, &pool, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "moltd: %s\n", err);
		goto out;
	}
	if ((ret = setup_rings_and_queues()) < 0)
		goto out;
	if ((ret = neigh_init(&cfg, NEIGH_CAPACITY)) < 0) {
		fprintf(stderr, "moltd: cannot set up the neighbour table: %s\n", strerror(-ret));
		goto out;
	}
	neigh_up = true;
	if ((ret = punt_init(&cfg, pool)) < 0) {
		fprintf(stderr, "moltd: cannot set up the punt path: %s\n", strerror(-ret));
		goto out;
	}
	if ((ret = telemetry_init(&cfg)) < 0)
		LOG_WARN("moltd", "telemetry commands not registered: %s", strerror(-ret));
	if ((ret = first_slot()) < 0 || quit)
		goto out;
	// Ports start only now: no packet arrives before a slot can forward it.
	ret = ports_start(&cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "moltd: %s\n", err);
		goto out;
	}
	if ((ret = launch_workers()) < 0) {
		molt_dp.stop = true;
		rte_eal_mp_wait_lcore();
		goto out;
	}

	control_loop();
	LOG_NOTICE("moltd", "stopping");
	shutdown_all(true);
	rte_eal_cleanup();
	return 0;
out:
	shutdown_all(false);
out_eal:
	rte_eal_cleanup();
	return ret == 1 || (ret == 0 && quit) ? 0 : 1;
}
