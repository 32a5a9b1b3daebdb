// SPDX-License-Identifier: BSD-3-Clause
// moltd: EAL, config, the slot manager (feed, slots), ports, workers, and the control loop. The
// main lcore is the control thread; every other enabled lcore runs a worker (but one a harness
// reserves through control/daemon/moltd.h).
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

#include "common/feed/feed.h"
#include "common/clock.h"
#include "common/log.h"
#include "control/config/config.h"
#include "control/events/events.h"
#include "control/metabolism/metabolism.h"
#include "control/daemon/moltd.h"
#include "control/neigh/neigh.h"
#include "control/port/ports.h"
#include "control/cpif/cpif.h"
#include "control/punt/punt.h"
#include "common/rpc/rpc.h"
#include "control/rpc/rpc_debug.h"
#include "control/rpc/rpc_moltd.h"
#include "control/daemon/exit_report.h"
#include "control/telemetry/telemetry.h"
#include "dataplane/dataplane.h"

#define PUNT_RING_SIZE 1024
#define INJECT_RING_SIZE 1024
#define NEIGH_CAPACITY 65536
#define IDLE_SLEEP_MIN_US 50
#define IDLE_SLEEP_MAX_US 1000 // also the control socket's poll timeout once idle

static volatile sig_atomic_t quit;
static struct molt_config cfg; // large (static neighbours): not on the stack
static struct rte_mempool *pool;
static bool neigh_up;
static struct rpc_server *rpc_srv;
static const struct moltd_hooks no_hooks;
static const struct moltd_hooks *hooks = &no_hooks;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

void moltd_stop(void)
{
	quit = 1;
}

unsigned moltd_reserved_lcore(void)
{
	unsigned lcore, last = RTE_MAX_LCORE;

	RTE_LCORE_FOREACH_WORKER(lcore)
	last = lcore;
	return last;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- -c CONFIG.json\n"
		"  -c, --config FILE  moltd configuration (JSON; see README.md)\n"
		"  --enable-fault-injection  serve debug.tamper (tests only: it corrupts slots)\n"
		"  -h, --help         this help\n"
		"Every enabled lcore but the main one runs a worker (-l 0,1: one worker).\n"
		"Example: %s --no-huge -m 512 --no-pci -l 0,1 -- -c moltd.json\n",
		prog, prog);
}

// Returns 0 to run, 1 when help was printed, -EINVAL on a usage error.
static int parse_args(int argc, char **argv, const char **config, bool *fault_injection)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "enable-fault-injection", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*config = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'F':
			*fault_injection = true;
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
	unsigned lcore, reserved = hooks->reserve_lcore ? moltd_reserved_lcore() : RTE_MAX_LCORE;
	uint16_t n = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct dp_worker *w;

		if (lcore == reserved)
			continue;
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
	if (n == 0 && reserved != RTE_MAX_LCORE)
		return errno_log(EINVAL, "moltd",
				 "no worker lcore: the main lcore %u runs the "
				 "control thread and lcore %u is reserved, give at least one more "
				 "(e.g. -l 0-2)",
				 rte_get_main_lcore(), reserved);
	if (n == 0)
		return errno_log(EINVAL, "moltd",
				 "no worker lcore: the main lcore %u runs the "
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
			return errno_log(ENOMEM, "moltd", "cannot create inject ring %s: %s", name,
					 rte_strerror(rte_errno));
	}
	for (uint16_t p = 0; p < cfg.n_ports; p++) {
		uint16_t id = cfg.ports[p].port_id;

		for (uint16_t q = 0; q < ports_nb_rxq(id); q++) {
			struct dp_worker *w = &molt_dp.workers[q % molt_dp.nb_workers];

			if (w->n_rxq == MOLT_MAX_RXQ_PER_WORKER)
				return errno_log(E2BIG, "moltd",
						 "worker %u would poll more "
						 "than %d queues",
						 w->worker_id, MOLT_MAX_RXQ_PER_WORKER);
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
	rpc_srv = rpc_server_create(&rc, err, sizeof(err));
	if (rpc_srv == NULL) {
		fprintf(stderr, "moltd: control socket %s: %s\n", cfg.control_socket, err);
		return -EINVAL;
	}
	molt_events_attach(rpc_srv);
	LOG_NOTICE("moltd", "control socket %s%s%s", cfg.control_socket,
		   rc.group != NULL ? ", group " : "", rc.group != NULL ? rc.group : "");
	return 0;
}

// The feed, the mirror of the route server's table and every slot belong to the slot manager
// (control/metabolism/metabolism.h). It builds and activates the first slot before ports start.
static int start_metabolism(void)
{
	char err[512];
	int ret = metabolism_init(&cfg, err, sizeof(err));

	if (ret < 0) {
		fprintf(stderr, "moltd: %s\n", err);
		return ret;
	}
	moltd_rpc.feed = &metabolism_feed()->rd;
	moltd_rpc.slots = metabolism_slots(&moltd_rpc.n_slots);
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
	unsigned idle_us = IDLE_SLEEP_MIN_US;

	while (!quit) {
		unsigned n = punt_poll();
		bool busy;
		uint64_t now = molt_now_ns();

		n += control_poll(0);
		neigh_poll(now);
		// Journal entries, builds, flips; > 0 while a grace period runs, whose end is
		// worth noticing within tens of microseconds (it bounds flip latency).
		busy = metabolism_poll(now) > 0;
		// Nothing to do: sleep rather than spin, the control lcore may share a core with
		// a worker. Back off while idle (a wake-up costs a context switch); the first
		// punted packet or request brings the latency back down. Fully idle, the sleep
		// is the socket's poll, so a request is answered at once rather than after it.
		if (n > 0) {
			idle_us = IDLE_SLEEP_MIN_US;
			continue;
		}
		if (busy) {
			idle_us = IDLE_SLEEP_MIN_US;
			rte_delay_us_sleep(idle_us);
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
	molt_events_attach(NULL);
	if (rpc_srv != NULL)
		rpc_server_destroy(rpc_srv);
	rpc_srv = NULL;
	moltd_rpc.slots = NULL;
	moltd_rpc.n_slots = 0;
	moltd_rpc.feed = NULL;
	molt_dp.stop = true;
	if (workers_running)
		rte_eal_mp_wait_lcore();
	cpif_fini();
	ports_fini();
	if (workers_running)
		exit_report_print(stdout, &cfg);
	// Workers are stopped: every slot can be scrubbed and freed, the builder joined.
	metabolism_fini();
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
}

int moltd_main(int argc, char **argv, const struct moltd_hooks *h)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *config;
	bool hooked = false, fault_injection = false;
	char err[1024];
	int ret;

	if (h != NULL)
		hooks = h;
	moltd_rpc.start_ns = molt_now_ns();
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "moltd: cannot initialise DPDK: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	// stdout carries the counter report; every log line, DPDK's included, goes to stderr.
	rte_openlog_stream(stderr);
	argv[ret] = argv[0];
	ret = parse_args(argc - ret, argv + ret, &config, &fault_injection);
	if (ret != 0)
		goto out_eal;
	if (fault_injection) {
		LOG_WARN("moltd",
			 "FAULT INJECTION ENABLED (--enable-fault-injection): debug.tamper "
			 "lets any control client corrupt the forwarding state. Tests only, "
			 "never in production.");
		mrpc_debug_enable();
	}

	ret = molt_config_load(config, &cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "moltd: %s\n", err);
		goto out_eal;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if ((ret = open_control()) < 0 || (ret = setup_workers()) < 0 || (ret = setup_qsbr()) < 0)
		goto out;
	molt_dp.icmp_tokens_per_sec = cfg.icmp_rate;
	molt_dp.icmp_burst = cfg.icmp_burst;
	hooked = true;
	if (hooks->before_ports != NULL && (ret = hooks->before_ports(hooks->arg)) != 0) {
		ret = -EINVAL;
		goto out;
	}
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
	if ((ret = cpif_init(&cfg, pool, err, sizeof(err))) < 0) {
		fprintf(stderr, "moltd: %s\n", err);
		goto out;
	}
	if ((ret = telemetry_init(&cfg)) < 0)
		LOG_WARN("moltd", "telemetry commands not registered: %s", strerror(-ret));
	if ((ret = start_metabolism()) < 0 || quit)
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

	ret = hooks->running != NULL ? hooks->running(hooks->arg) : 0;
	if (ret == 0)
		control_loop();
	LOG_NOTICE("moltd", "stopping");
	if (hooks->stopping != NULL)
		hooks->stopping(hooks->arg);
	shutdown_all(true);
	if (hooks->stopped != NULL)
		hooks->stopped(hooks->arg);
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
out:
	shutdown_all(false);
	if (hooked && hooks->stopped != NULL)
		hooks->stopped(hooks->arg);
out_eal:
	rte_eal_cleanup();
	return ret == 1 || (ret == 0 && quit) ? 0 : 1;
}
