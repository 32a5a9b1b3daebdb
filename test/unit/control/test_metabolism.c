// SPDX-License-Identifier: BSD-3-Clause
// The slot manager end to end in one process: a feed writer (the route server's side), the
// build thread, and a fake worker thread that loads molt_dp.active and reports QSBR quiescent
// states like dp_worker_main. One scenario per test, each on a fresh metabolism: an on-demand
// metabolic replacement, live updates through update flips, the oldest slot retired by a third
// build, a build that fails, the journal overrun -> resync path, a route server restart with a
// new table, a slot changed behind the metabolism's back, two slots (no standby), and a burst
// of updates larger than the headroom of the slot being built (built again at once).
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "common/clock.h"
#include "common/feed/feed.h"
#include "common/rib/rib.h"
#include "control/metabolism/metabolism.h"
#include "control/slot/slot_lifecycle.h"
#include "dataplane/dataplane.h"
#include "test/unit/eal_tidy.h"

#define ROUTES 2000 // the table each scenario starts from

static struct molt_config base; // the config every scenario starts from
static struct molt_config cfg; // the running metabolism's (a scenario may change it)
static struct feed_writer w;
static struct rib table; // what the writer publishes
static char shm[64];
static atomic_bool worker_stop;
static pthread_t worker;
static uint64_t worker_flips;

static void *fake_worker(void *arg)
{
	const struct slot *last = NULL;

	(void)arg;
	rte_rcu_qsbr_thread_register(molt_dp.qsbr, 0);
	rte_rcu_qsbr_thread_online(molt_dp.qsbr, 0);
	while (!worker_stop) {
		const struct slot *s = atomic_load_explicit(&molt_dp.active, memory_order_acquire);

		// A burst would read the slot here (its generation is written before publication
		// and never after): a scrubbed slot would read 0, a freed one trips ASan.
		if (s != NULL && s != last) {
			assert_true(s->generation != 0);
			worker_flips++;
		}
		last = s;
		rte_rcu_qsbr_quiescent(molt_dp.qsbr, 0);
		usleep(20);
	}
	rte_rcu_qsbr_thread_offline(molt_dp.qsbr, 0);
	rte_rcu_qsbr_thread_unregister(molt_dp.qsbr, 0);
	return NULL;
}

static struct molt_route mkroute(unsigned i)
{
	struct molt_route r;

	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.plen = 24;
	r.type = MOLT_RT_VIA;
	r.prefix[0] = (uint8_t)(20 + i / 65536);
	r.prefix[1] = (uint8_t)(i / 256);
	r.prefix[2] = (uint8_t)i;
	r.gateway[0] = 10;
	r.gateway[2] = 2;
	r.gateway[3] = (uint8_t)(2 + i % 5);
	return r;
}

static void writer_add(unsigned i)
{
	struct molt_route r = mkroute(i);

	assert_true(rib_add(&table, &r) >= 0);
	feed_writer_append(&w, FEED_OP_ADD, &r);
}

static void writer_del(unsigned i)
{
	struct molt_route r = mkroute(i);

	assert_int_equal(rib_del(&table, &r), 0);
	feed_writer_append(&w, FEED_OP_DEL, &r);
}

static void writer_open(unsigned n, uint64_t journal)
{
	char err[256];

	assert_int_equal(feed_writer_create(&w, shm, 100000, journal, NULL, err, sizeof(err)), 0);
	rib_free(&table);
	assert_int_equal(rib_init(&table, n), 0);
	for (unsigned i = 0; i < n; i++)
		writer_add(i);
	// A fresh feed starts with an empty journal; the snapshot covers everything.
	assert_int_equal(feed_writer_publish(&w, table.routes, table.count, w.next_seq), 0);
	feed_writer_commit(&w);
}

static void beat(void)
{
	if (w.hdr != NULL)
		atomic_store(&w.hdr->heartbeat_ns, molt_now_ns());
}

static int done_ret = 1;
static void on_done(void *arg, int ret, const char *err, const struct slot *s)
{
	done_ret = ret;
	if (ret != 0)
		printf("build failed as asked: %s\n", err);
}

// Polls for up to 10 s until cond holds.
#define POLL_UNTIL(cond) \
	do { \
		uint64_t deadline_ = molt_now_ns() + 10000000000ull; \
		while (!(cond) && molt_now_ns() < deadline_) { \
			beat(); \
			metabolism_poll(molt_now_ns()); \
			usleep(50); \
		} \
		if (!(cond)) \
			fail_msg("timed out waiting for %s", #cond); \
	} while (0)

static const struct slot *active(void)
{
	return atomic_load(&molt_dp.active);
}

// Whether the route for i is in slot s (lookup of its first address).
static bool has(const struct slot *s, unsigned i)
{
	struct molt_route r = mkroute(i);
	uint32_t ip = (uint32_t)r.prefix[0] << 24 | r.prefix[1] << 16 | r.prefix[2] << 8 | 1;
	uint32_t nh;

	s->ops4->lookup_bulk(s->fib4, &ip, &nh, 1);
	return nh != FIB_NH_MISS;
}

static void each_live_has(unsigned i, bool want)
{
	unsigned n;
	struct slot *const *sl = metabolism_slots(&n);

	for (unsigned k = 0; k < n; k++)
		if (sl[k] != NULL && (sl[k]->state == SLOT_READY || sl[k]->state == SLOT_ACTIVE))
			assert_int_equal(has(sl[k], i), want);
}

// Asks for a metabolic replacement with driver (NULL: the next in the rotation) and waits for
// its outcome; returns the done callback's ret.
static int metabolize(const char *driver)
{
	done_ret = 1;
	assert_int_equal(metabolism_request(driver, on_done, NULL), 0);
	POLL_UNTIL(done_ret != 1);
	return done_ret;
}

// --- one EAL for the process; a fresh feed, metabolism and worker per scenario ------------------

static int group_setup(void **state)
{
	char *argv[] = { "test",
			 "--no-huge",
			 "-m",
			 "512",
			 "--no-pci",
			 "--no-shconf",
			 "--file-prefix",
			 "molt-test-metabolism",
			 "--log-level",
			 "lib.*:error",
			 "-l",
			 "0" };
	size_t sz;

	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	eal_tidy_at_exit();
	sz = rte_rcu_qsbr_get_memsize(1);
	molt_dp.qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(molt_dp.qsbr, 1);
	snprintf(shm, sizeof(shm), "/molt-test-metab-%d", getpid());

	memset(&base, 0, sizeof(base));
	base.n_ports = 1;
	snprintf(base.ports[0].name, MOLT_PORT_NAME_MAX, "p0");
	base.ports[0].n_v4 = 1;
	molt_addr_parse("10.0.2.1", &(uint8_t){ 0 }, base.ports[0].v4[0].addr);
	base.ports[0].v4[0].plen = 24;
	snprintf(base.feed_shm, sizeof(base.feed_shm), "%s", shm);
	base.fib_max_routes_v4 = 100000;
	base.fib_max_routes_v6 = 1000;
	base.fib_tbl8_groups_v4 = 256;
	snprintf(base.driver, sizeof(base.driver), "fib-lpm6");
	base.n_drivers = 2;
	snprintf(base.drivers[0], MOLT_DRIVER_NAME_MAX, "lpm");
	snprintf(base.drivers[1], MOLT_DRIVER_NAME_MAX, "reference");
	base.slots = 3;
	base.interval_ms = 0;
	return 0;
}

static int group_teardown(void **state)
{
	rte_free(molt_dp.qsbr);
	rib_free(&table);
	rte_eal_cleanup();
	return 0;
}

static int start_journal(unsigned slots, uint64_t journal)
{
	char err[512];

	cfg = base;
	cfg.slots = slots;
	writer_open(ROUTES, journal);
	if (metabolism_init(&cfg, err, sizeof(err)) < 0) {
		printf("metabolism_init: %s\n", err);
		feed_writer_close(&w, 1);
		return -1;
	}
	worker_stop = false;
	worker_flips = 0;
	if (pthread_create(&worker, NULL, fake_worker, NULL) != 0) {
		metabolism_fini();
		feed_writer_close(&w, 1);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	return start_journal(3, 1024);
}

static int setup_two_slots(void **state)
{
	return start_journal(2, 1024);
}

// A journal that holds a burst larger than a slot's headroom (1,024 routes at 2,000).
static int setup_big_journal(void **state)
{
	return start_journal(3, 4096);
}

static int teardown(void **state)
{
	worker_stop = true;
	pthread_join(worker, NULL);
	metabolism_fini();
	feed_writer_close(&w, 1);
	return active() == NULL ? 0 : -1;
}

// --- scenarios ---------------------------------------------------------------------------------

// The first slot, built synchronously with fib.driver, serves the whole table.
static void test_first_slot(void **state)
{
	const struct slot *first = active();

	assert_non_null(first);
	assert_string_equal(first->driver->name, "fib-lpm6");
	assert_int_equal(first->routes4, ROUTES);
	assert_int_equal(metabolism_stats()->builds_ok, 1);
	assert_int_equal(metabolism_slot_stats()->flips, 1);
	each_live_has(ROUTES - 1, true);
}

// On demand: a second slot is built (next driver in the rotation), verified and flipped in; the
// first stays as the standby once its grace period is over.
static void test_on_demand(void **state)
{
	const struct slot_set_stats *ss = metabolism_slot_stats();
	const struct slot *first = active();

	assert_int_equal(metabolize(NULL), 0);
	assert_ptr_not_equal(active(), first);
	assert_string_equal(active()->driver->name, "lpm");
	POLL_UNTIL(first->state == SLOT_READY);
	assert_int_equal(ss->flips, 2);
	assert_true(ss->flip_ns.n >= 1);
	assert_int_equal(metabolism_stats()->builds_ok, 2);
}

// Live updates reach every live slot through an update flip (no driver is live-update safe).
static void test_live_updates(void **state)
{
	const struct metabolism_stats *st = metabolism_stats();
	const struct slot_set_stats *ss = metabolism_slot_stats();

	assert_int_equal(metabolize(NULL), 0); // a standby
	writer_add(5000);
	writer_del(7);
	feed_writer_commit(&w);
	POLL_UNTIL(st->updates_applied >= 2);
	assert_true(ss->update_flips >= 1);
	each_live_has(5000, true);
	each_live_has(7, false);
	assert_int_equal(metabolism_feed()->mirror.digest, table.digest);
	printf("flips %" PRIu64 " (worker saw %" PRIu64 "), flip latency p50 %.3f ms max %.3f ms,"
	       " update latency p50 %.3f ms\n",
	       ss->flips, worker_flips, latency_stats_pct(&ss->flip_ns, 50) / 1e6,
	       ss->flip_ns.max / 1e6, latency_stats_pct(&st->update_ns, 50) / 1e6);
}

// With a driver that seals (molt), a standby takes updates into its rule table and is sealed
// just before the flip to it: the slot workers read answers with every change, round after
// round, whichever of the two molt slots it is.
static void test_live_updates_sealed(void **state)
{
	const struct metabolism_stats *st = metabolism_stats();
	const struct slot_set_stats *ss = metabolism_slot_stats();

	// Two molt generations: the first slot (fib-lpm6) is retired, the older molt one is the
	// standby.
	assert_int_equal(metabolize("molt"), 0);
	assert_int_equal(metabolize("molt"), 0);
	for (unsigned r = 0; r < 4; r++) {
		uint64_t applied = st->updates_applied;

		writer_add(5000 + r);
		writer_del(7 + r);
		feed_writer_commit(&w);
		POLL_UNTIL(st->updates_applied >= applied + 2);
		assert_string_equal(active()->driver->name, "molt");
		assert_true(has(active(), 5000 + r));
		assert_false(has(active(), 7 + r));
	}
	assert_true(ss->update_flips >= 4);
	assert_true(ss->seal_ns.n >= 4);
	assert_int_equal(ss->slot_update_errors, 0);
}

// A third build retires the oldest slot (scrubbed and freed after its grace period); the
// update made before it is in every slot left.
static void test_retire_oldest(void **state)
{
	uint64_t erased = slot_edge_count(SLOT_DRAINING, SLOT_ERASED) +
			  slot_edge_count(SLOT_READY, SLOT_ERASED);

	assert_int_equal(metabolize(NULL), 0);
	writer_add(5000);
	feed_writer_commit(&w);
	POLL_UNTIL(metabolism_stats()->updates_applied >= 1);
	assert_int_equal(metabolize("reference"), 0);
	assert_string_equal(active()->driver->name, "reference");
	POLL_UNTIL(slot_edge_count(SLOT_DRAINING, SLOT_ERASED) +
			   slot_edge_count(SLOT_READY, SLOT_ERASED) >
		   erased);
	each_live_has(5000, true);
}

// A build that cannot fit the table fails, is reported, and leaves the active slot serving.
static void test_build_fails(void **state)
{
	const struct metabolism_stats *st = metabolism_stats();
	const struct slot *first = active();

	cfg.fib_max_routes_v4 = 100;
	assert_true(metabolize("lpm") < 0);
	assert_int_equal(st->builds_failed, 1);
	assert_ptr_equal(active(), first);
	assert_non_null(strstr(st->last_error, "fib.max_routes"));
	each_live_has(ROUTES - 1, true);
}

// Overrun: more entries than the ring holds before moltd looks, and a snapshot covering them.
// The mirror resyncs from it and a fresh slot is flipped in.
static void test_overrun_resync(void **state)
{
	for (unsigned i = 0; i < 3000; i++)
		writer_add(10000 + i);
	assert_int_equal(feed_writer_publish(&w, table.routes, table.count, w.next_seq), 0);
	feed_writer_commit(&w);
	done_ret = 1;
	assert_int_equal(metabolism_request(NULL, on_done, NULL), 0);
	POLL_UNTIL(metabolism_feed()->resyncs >= 1 && done_ret == 0 &&
		   active()->routes4 == table.count);
	assert_true(metabolism_feed()->overruns >= 1);
	assert_int_equal(metabolism_feed()->mirror.digest, table.digest);
	each_live_has(12999, true);
}

// Route server restart with another table: a new object, a new generation.
static void test_route_server_restart(void **state)
{
	feed_writer_close(&w, 1);
	writer_open(1500, 1024);
	POLL_UNTIL(metabolism_feed()->generation == w.hdr->generation &&
		   active()->feed_generation == w.hdr->generation && !metabolism_building());
	assert_int_equal(active()->routes4, 1500);
	assert_int_equal(metabolism_feed()->mirror.digest, table.digest);
	each_live_has(1600, false);
}

// Tampering: a rule added to the ACTIVE slot behind the slot manager's back. The periodic audit
// walk notices, and the slot is replaced (from the standby at once, then rebuilt).
static void test_audit_tamper(void **state)
{
	const struct metabolism_stats *st = metabolism_stats();
	uint32_t ip = 0xc6336400; // 198.51.100.0/24
	struct slot *t;

	assert_int_equal(metabolize(NULL), 0); // a standby
	t = (struct slot *)active();
	POLL_UNTIL(st->audits >= 1 && !metabolism_building());
	assert_int_equal(st->audits_failed, 0);
	assert_int_equal(t->ops4->add(t->fib4, &ip, 24, 0), 0);
	POLL_UNTIL(st->audits_failed == 1 && active() != t && !metabolism_building());
}

// Two slots: no standby, so updates wait for the active slot's replacement, which is built at
// once for them (docs/metabolism.md, "Live updates").
static void test_two_slots(void **state)
{
	const struct metabolism_stats *st = metabolism_stats();
	uint64_t builds = st->builds_ok;

	writer_add(5000);
	feed_writer_commit(&w);
	POLL_UNTIL(st->updates_applied >= 1);
	assert_true(st->builds_ok > builds);
	assert_int_equal(metabolism_slot_stats()->update_flips, 0);
	assert_true(has(active(), 5000));
}

// A burst of updates (BGP converging) larger than the headroom of the slot being built comes
// in during its build: the catch-up has no room for it (ENOSPC). That is no failed build: a slot
// is built again at once from the mirror, sized for the new table, with no backoff, and the
// request is answered by it.
static void test_burst_outgrows_build(void **state)
{
	const struct metabolism_stats *st = metabolism_stats();
	unsigned i;

	done_ret = 1;
	assert_int_equal(metabolism_request("lpm", on_done, NULL), 0);
	// The poll that starts the build returns before any entry of the burst exists; the next
	// one reads the whole burst (METABOLISM_BATCH) into the catch-up list before it collects
	// the build.
	POLL_UNTIL(metabolism_building());
	for (i = 0; i < 1500; i++)
		writer_add(20000 + i);
	feed_writer_commit(&w);
	POLL_UNTIL(done_ret != 1 && !metabolism_building());
	assert_int_equal(done_ret, 0);
	assert_int_equal(st->builds_failed, 0);
	assert_int_equal(st->builds_outgrown, 1);
	assert_int_equal(active()->routes4, ROUTES + 1500);
	POLL_UNTIL(st->updates_applied >= 1500);
	each_live_has(20000 + 1499, true);
	assert_int_equal(metabolism_feed()->mirror.digest, table.digest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_demand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_updates_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retire_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_server_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_slots, setup_two_slots, teardown),
		cmocka_unit_test_setup_teardown(test_burst_outgrows_build, setup_big_journal,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
