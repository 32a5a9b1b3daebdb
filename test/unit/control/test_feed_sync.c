// SPDX-License-Identifier: BSD-3-Clause
// The feed mirror against a writer in the same process: journal entries (add, replace, delete),
// the reader lapped by the producer (overrun -> resync from the snapshot), a stalled heartbeat,
// the route server restarting as a new object with another table, and an authenticated feed
// changed by a third party (refused entries and snapshots, the mirror kept). No EAL needed.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "control/metabolism/feed_sync.h"

static char shm[64];
static struct feed_writer w;
static struct rib table;
static unsigned n_add, n_replace, n_del;
static struct feed_key *wkey; // the writer's key, NULL: unauthenticated

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

	assert_int_equal(feed_writer_create(&w, shm, 10000, 64, wkey, err, sizeof(err)), 0);
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

static void write_key(const char *path, uint8_t first)
{
	uint8_t m[FEED_KEY_LEN];
	FILE *f;

	for (unsigned i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(first + i);
	unlink(path);
	f = fopen(path, "wx");
	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), 0600), 0);
	assert_int_equal(fwrite(m, 1, sizeof(m), f), sizeof(m));
	fclose(f);
}

// Flips one bit of the first route of the current snapshot, as a third process could.
static void tamper_snapshot(void)
{
	const struct feed_snapshot_desc *d = &w.hdr->snap[atomic_load(&w.hdr->current)];

	((uint8_t *)w.hdr + d->offset)[30] ^= 1; // a gateway byte
}

static void tamper_entry(uint64_t seq)
{
	struct feed_journal_entry *ring = (struct feed_journal_entry *)((uint8_t *)w.hdr +
									w.hdr->journal_offset);

	ring[seq & (w.hdr->journal_size - 1)].route.gateway[3] ^= 1;
}

static void test_feed_sync_auth(void **state)
{
	char key1[64], key2[64], err[256];
	struct feed_sync fs;
	uint64_t digest, t, bad;
	bool resynced;

	if (geteuid() != 0)
		skip(); // the key file must be root's
	snprintf(shm, sizeof(shm), "/molt-test-fsauth-%d", getpid());
	snprintf(key1, sizeof(key1), "/tmp/molt-test-fsauth-%d-1.key", getpid());
	snprintf(key2, sizeof(key2), "/tmp/molt-test-fsauth-%d-2.key", getpid());
	write_key(key1, 1);
	write_key(key2, 2);
	assert_int_equal(feed_key_load(key1, &wkey, err, sizeof(err)), 0);
	writer(100);

	// Key on one side only, or another key: refused at open, with the reason.
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(feed_sync_open(&fs, shm, NULL, err, sizeof(err)), -ENOKEY);
	feed_sync_close(&fs);
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(feed_sync_open(&fs, shm, key2, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "another key"));
	feed_sync_close(&fs);
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(feed_sync_open(&fs, shm, key1, err, sizeof(err)), 0);
	assert_int_equal(fs.mirror.count, 100);

	// A legitimate entry is applied; a changed one is refused and the mirror stops before it.
	add(200, 0);
	feed_writer_commit(&w);
	assert_int_equal(feed_sync_poll(&fs, molt_now_ns(), 4096, cb, NULL, &resynced), 1);
	digest = fs.mirror.digest;
	bad = w.next_seq;
	add(201, 0);
	tamper_entry(bad);
	add(202, 0);
	feed_writer_commit(&w);
	t = molt_now_ns();
	atomic_store(&w.hdr->heartbeat_ns, t);
	assert_int_equal(feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced), 0);
	assert_int_equal(fs.refused, 1);
	assert_true(fs.need_resync);
	assert_true(fs.mirror.digest == digest);
	assert_non_null(strstr(fs.last_error, "MAC mismatch"));

	// The current snapshot predates the bad entry: nothing to load yet, the mirror stays.
	tamper_snapshot();
	t += FEED_SYNC_RETRY_NS;
	atomic_store(&w.hdr->heartbeat_ns, t);
	feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced);
	assert_false(resynced);
	assert_int_equal(fs.refused, 1);
	assert_true(fs.mirror.digest == digest);

	// The route server's next snapshot covers it, but it was changed too: refused, kept.
	assert_int_equal(feed_writer_publish(&w, table.routes, table.count, w.next_seq), 0);
	tamper_snapshot();
	t += FEED_SYNC_RETRY_NS;
	atomic_store(&w.hdr->heartbeat_ns, t);
	feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced);
	assert_false(resynced);
	assert_int_equal(fs.refused, 2);
	assert_true(fs.mirror.digest == digest);
	assert_non_null(strstr(fs.last_error, "snapshot buffer"));
	// Refused again on every retry, counted and logged once.
	t += FEED_SYNC_REFUSED_NS;
	atomic_store(&w.hdr->heartbeat_ns, t);
	feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced);
	assert_false(resynced);
	assert_int_equal(fs.refused, 2);

	// The one after is intact: loaded, with the route of the refused entry as the route
	// server holds it; later entries follow from the journal again.
	assert_int_equal(feed_writer_publish(&w, table.routes, table.count, w.next_seq), 0);
	t += FEED_SYNC_REFUSED_NS;
	atomic_store(&w.hdr->heartbeat_ns, t);
	feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced);
	assert_true(resynced);
	assert_true(fs.mirror.digest == table.digest);
	add(203, 1);
	feed_writer_commit(&w);
	assert_int_equal(feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced), 1);
	assert_true(fs.mirror.digest == table.digest);
	assert_int_equal(fs.refused, 2);

	// The route server restarts with another key: refused, said once, the mirror kept.
	digest = fs.mirror.digest;
	feed_writer_close(&w, 1);
	feed_key_free(wkey);
	assert_int_equal(feed_key_load(key2, &wkey, err, sizeof(err)), 0);
	t += FEED_SYNC_REOPEN_NS;
	feed_sync_poll(&fs, t, 4096, cb, NULL, &resynced);
	assert_true(fs.lost);
	writer(10);
	for (int i = 1; i <= 3; i++) {
		atomic_store(&w.hdr->heartbeat_ns, t + (uint64_t)i * FEED_SYNC_REOPEN_NS);
		feed_sync_poll(&fs, t + (uint64_t)i * FEED_SYNC_REOPEN_NS, 4096, cb, NULL,
			       &resynced);
		assert_false(resynced);
	}
	assert_true(fs.lost);
	assert_int_equal(fs.refused, 3);
	assert_true(fs.mirror.digest == digest);

	feed_sync_close(&fs);
	feed_writer_close(&w, 1);
	feed_key_free(wkey);
	wkey = NULL;
	rib_free(&table);
	unlink(key1);
	unlink(key2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_sync),
		cmocka_unit_test(test_mapping_read_only),
		cmocka_unit_test(test_feed_sync_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
