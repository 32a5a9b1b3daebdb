// SPDX-License-Identifier: BSD-3-Clause
// The feed mirror against a writer in the same process: journal entries (add, replace, delete),
// the reader lapped by the producer (overrun -> resync from the snapshot), a stalled heartbeat,
// and the route server restarting as a new object with another table. No EAL needed.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "control/metabolism/feed_sync.h"

static char shm[64];
static struct feed_writer w;
static struct rib table;
static unsigned n_add, n_replace, n_del;

static struct molt_route mk(unsigned i, unsigned gw)
{
	struct molt_route r;

	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.plen = 24;
	r.type = MOLT_RT_VIA;
	r.prefix[0] = 20;
	r.prefix[1] = (uint8_t)(i >> 8);
	r.prefix[2] = (uint8_t)i;
	r.gateway[0] = 10;
	r.gateway[3] = (uint8_t)(1 + gw);
	return r;
}

static void add(unsigned i, unsigned gw)
{
	struct molt_route r = mk(i, gw);

	assert_true(rib_add(&table, &r) >= 0);
	feed_writer_append(&w, FEED_OP_ADD, &r);
}

static void del(unsigned i)
{
	struct molt_route r = mk(i, 0);

	assert_int_equal(rib_del(&table, &r), 0);
	feed_writer_append(&w, FEED_OP_DEL, &r);
}

static void writer(unsigned n)
{
	char err[256];

	assert_int_equal(feed_writer_create(&w, shm, 10000, 64, NULL, err, sizeof(err)), 0);
	rib_free(&table);
	assert_int_equal(rib_init(&table, n), 0);
	for (unsigned i = 0; i < n; i++)
		add(i, i % 3);
	assert_int_equal(feed_writer_publish(&w, table.routes, table.count, w.next_seq), 0);
	feed_writer_commit(&w);
}

static void cb(void *arg, const struct molt_route *old, const struct molt_route *new_)
{
	if (old == NULL)
		n_add++;
	else if (new_ != NULL)
		n_replace++;
	else
		n_del++;
}

static void test_feed_sync(void **state)
{
	struct feed_sync fs;
	uint64_t gen1, t;
	bool resynced;
	char err[256];

	snprintf(shm, sizeof(shm), "/molt-test-fsync-%d", getpid());
	memset(&fs, 0, sizeof(fs));
	writer(100);
	assert_int_equal(feed_sync_open(&fs, shm, NULL, err, sizeof(err)), 0);
	assert_int_equal(fs.mirror.count, 100);
	assert_int_equal(fs.next_seq, 100);
	assert_true(fs.mirror.digest == table.digest);

	// Entries: two adds, a replace, a delete.
	add(200, 0);
	add(201, 0);
	add(5, 2);
	del(6);
	feed_writer_commit(&w);
	assert_int_equal(feed_sync_poll(&fs, molt_now_ns(), 4096, cb, NULL, &resynced), 4);
	assert_false(resynced);
	assert_int_equal(n_add, 2);
	assert_int_equal(n_replace, 1);
	assert_int_equal(n_del, 1);
	assert_true(fs.mirror.digest == table.digest);
	assert_int_equal(feed_sync_lag(&fs), 0);

	// Lapped: 200 entries in a ring of 64 before the reader looks.
	for (unsigned i = 0; i < 200; i++)
		add(300 + i, 1);
	feed_writer_commit(&w);
	assert_int_equal(feed_sync_lag(&fs), 200);
	assert_int_equal(feed_sync_poll(&fs, molt_now_ns(), 4096, cb, NULL, &resynced), 0);
	assert_int_equal(fs.overruns, 1);
	assert_true(fs.need_resync);
	// The route server republishes its snapshot periodically; the next one covers the lap.
	assert_int_equal(feed_writer_publish(&w, table.routes, table.count, w.next_seq), 0);
	t = molt_now_ns() + FEED_SYNC_RETRY_NS;
	atomic_store(&w.hdr->heartbeat_ns, t);
	feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced);
	assert_true(resynced);
	assert_int_equal(fs.resyncs, 1);
	assert_int_equal(fs.mirror.count, table.count);
	assert_true(fs.mirror.digest == table.digest);

	// Heartbeat stalls: lost; it comes back on the same object: found again, no resync.
	t += 2 * FEED_SYNC_DEAD_NS;
	assert_int_equal(feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced), 0);
	assert_true(fs.lost);
	atomic_store(&w.hdr->heartbeat_ns, t);
	feed_sync_poll(&fs, t + FEED_SYNC_REOPEN_NS, 4096, cb, NULL, &resynced);
	assert_false(fs.lost);
	assert_false(resynced);

	// Restart: the old object is marked dead and removed, a new one has another table.
	gen1 = fs.generation;
	feed_writer_close(&w, 1);
	t += FEED_SYNC_REOPEN_NS * 2;
	feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced);
	assert_true(fs.lost);
	assert_int_equal(fs.mirror.count, 301); // kept while the route server is gone
	writer(50);
	atomic_store(&w.hdr->heartbeat_ns, t + FEED_SYNC_REOPEN_NS);
	feed_sync_poll(&fs, t + FEED_SYNC_REOPEN_NS, 4096, cb, NULL, &resynced);
	assert_true(resynced);
	assert_false(fs.lost);
	assert_true(fs.generation != gen1);
	assert_int_equal(fs.reopens, 1);
	assert_int_equal(fs.mirror.count, 50);
	assert_true(fs.mirror.digest == table.digest);

	feed_sync_close(&fs);
	feed_writer_close(&w, 1);
	rib_free(&table);
}

// moltd's mapping cannot be written: the object is opened O_RDONLY and mapped PROT_READ, so a
// store through it faults (tried in a child, which must die of SIGSEGV).
static void test_mapping_read_only(void **state)
{
	struct feed_sync fs;
	char err[256];
	int status;
	pid_t pid;

	snprintf(shm, sizeof(shm), "/molt-test-fsro-%d", getpid());
	memset(&fs, 0, sizeof(fs));
	writer(10);
	assert_int_equal(feed_sync_open(&fs, shm, NULL, err, sizeof(err)), 0);
	assert_int_equal(fcntl(fs.rd.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile uint64_t *)&fs.rd.hdr->journal_head = 42;
		_exit(0); // reached only if the store went through
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_true(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
	assert_true(atomic_load(&w.hdr->journal_head) != 42);
	feed_sync_close(&fs);
	feed_writer_close(&w, 1);
	rib_free(&table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_sync),
		cmocka_unit_test(test_mapping_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
