// SPDX-License-Identifier: BSD-3-Clause
// Route feed: writer/reader round trip over real POSIX shared memory, buffer switching, and
// every way the reader refuses a bad object.
#include <fcntl.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/feed/feed.h"

static char name[64];

static int setup(void **state)
{
	static int n;

	snprintf(name, sizeof(name), "/molt-test-%d-%d", (int)getpid(), n++);
	return 0;
}

static int teardown(void **state)
{
	shm_unlink(name);
	return 0;
}

static struct molt_route *make_routes(uint64_t n, uint32_t salt)
{
	struct molt_route *r = calloc(n ? n : 1, sizeof(*r));

	for (uint64_t i = 0; i < n; i++) {
		uint32_t x = (uint32_t)i * 2654435761u + salt;

		if (i % 5 == 4) {
			r[i].family = 6;
			r[i].plen = 48;
			r[i].prefix[0] = 0x20;
			r[i].prefix[1] = 0x01;
			memcpy(r[i].prefix + 2, &x, 4);
			r[i].type = MOLT_RT_DEV;
			snprintf(r[i].dev, sizeof(r[i].dev), "p%u", x % 4);
		} else {
			r[i].family = 4;
			r[i].plen = 32;
			memcpy(r[i].prefix, &x, 4);
			r[i].type = MOLT_RT_VIA;
			r[i].gateway[0] = 10;
			r[i].gateway[3] = (uint8_t)(1 + salt % 200);
		}
	}
	return r;
}

static uint64_t digest_of(const struct molt_route *r, uint64_t n)
{
	uint64_t d = 0;

	while (n-- > 0)
		d += molt_route_hash(r++);
	return d;
}

static void expect_snapshot(struct feed_reader *rd, const struct molt_route *want, uint64_t n)
{
	struct feed_snapshot_desc desc;
	struct molt_route *got = NULL;
	char err[256];
	int ret;

	ret = feed_reader_snapshot(rd, &got, &desc, err, sizeof(err));
	if (ret != 0)
		fail_msg("snapshot: %d %s", ret, err);
	assert_int_equal(desc.count, n);
	assert_int_equal(desc.count_v4 + desc.count_v6, n);
	assert_int_equal(desc.digest, digest_of(want, n));
	assert_int_equal(desc.seq % 2, 0);
	if (n > 0)
		assert_memory_equal(got, want, n * sizeof(*want));
	free(got);
}

static void test_round_trip(void **state)
{
	struct molt_route *routes = make_routes(10000, 7);
	struct feed_snapshot_desc desc;
	struct molt_route *got = NULL;
	struct feed_writer w;
	struct feed_reader rd;
	char err[256];
	struct stat st;

	assert_int_equal(feed_writer_create(&w, name + 1, 20000, 1024, NULL, err, sizeof(err)), 0);
	assert_int_equal(fstat(w.fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(w.hdr->alive, 1);

	// Opened before any publish: valid header, no table yet.
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), 0);
	assert_int_equal(rd.generation, w.hdr->generation);
	assert_int_equal(fcntl(rd.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(feed_reader_snapshot(&rd, &got, &desc, err, sizeof(err)), -EAGAIN);
	assert_non_null(strstr(err, "not published"));

	assert_int_equal(feed_writer_publish(&w, routes, 10000, 5), 0);
	expect_snapshot(&rd, routes, 10000);
	assert_int_equal(feed_reader_snapshot(&rd, &got, &desc, err, sizeof(err)), 0);
	assert_int_equal(desc.covers_seq, 5);
	assert_int_equal(desc.count_v6, 2000);
	assert_true(desc.published_ns > 0);
	free(got);

	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "is molt-routeserver running"));
	free(routes);
}

static void test_republish_switches_buffers(void **state)
{
	struct molt_route *a = make_routes(3000, 1), *b = make_routes(2500, 2);
	struct feed_writer w;
	struct feed_reader rd;
	uint32_t cur;
	char err[256];

	assert_int_equal(feed_writer_create(&w, name, 4000, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), 0);
	assert_int_equal(feed_writer_publish(&w, a, 3000, 0), 0);
	cur = rd.hdr->current;
	expect_snapshot(&rd, a, 3000);

	assert_int_equal(feed_writer_publish(&w, b, 2500, 0), 0);
	assert_int_equal(rd.hdr->current, cur ^ 1);
	expect_snapshot(&rd, b, 2500);

	assert_int_equal(feed_writer_publish(&w, a, 0, 0), 0); // an empty table is a table
	assert_int_equal(rd.hdr->current, cur);
	expect_snapshot(&rd, a, 0);

	assert_int_equal(feed_writer_publish(&w, a, 4001, 0), -ENOSPC);
	assert_int_equal(rd.hdr->current, cur); // a refused publish changes nothing
	feed_reader_close(&rd);

	// A new writer under the same name gets a new generation; the old reader is unaffected.
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), 0);
	{
		struct feed_writer w2;

		assert_int_equal(feed_writer_create(&w2, name, 4000, 0, NULL, err, sizeof(err)), 0);
		assert_int_not_equal(w2.hdr->generation, rd.generation);
		expect_snapshot(&rd, a, 0);
		feed_writer_close(&w2, 0);
	}
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
	free(a);
	free(b);
}

// A writer republishing as fast as it can (another process, as in production) while the reader
// copies: every snapshot must be exactly one of the two tables, never a mix.
static void test_concurrent_republish(void **state)
{
	struct molt_route *a = make_routes(20000, 11), *b = make_routes(15000, 12), *got;
	uint64_t da = digest_of(a, 20000), db = digest_of(b, 15000);
	struct feed_snapshot_desc desc;
	struct feed_writer w;
	struct feed_reader rd;
	int status, ret, i;
	char err[256];
	pid_t pid;

	// *state: a key (the keyed run) or NULL. Keyed, a copy torn by the writer must come back
	// as a retry, never as a MAC failure.
	assert_int_equal(feed_writer_create(&w, name, 20000, 0, *state, err, sizeof(err)), 0);
	assert_int_equal(feed_writer_publish(&w, a, 20000, 0), 0);
	assert_int_equal(feed_reader_open(&rd, name, *state, err, sizeof(err)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (i = 0; i < 2000 && rd.hdr->alive; i++)
			feed_writer_publish(&w, i % 2 ? a : b, i % 2 ? 20000 : 15000, (uint64_t)i);
		_exit(0);
	}
	for (i = 0; i < 300; i++) {
		ret = feed_reader_snapshot(&rd, &got, &desc, err, sizeof(err));
		if (ret == -EAGAIN)
			continue; // lapped SNAPSHOT_TRIES times: allowed, just retried by the caller
		if (ret != 0)
			fail_msg("snapshot %d: %d %s", i, ret, err);
		if (desc.count == 20000)
			assert_true(desc.digest == da && memcmp(got, a, 20000 * sizeof(*a)) == 0);
		else
			assert_true(desc.count == 15000 && desc.digest == db &&
				    memcmp(got, b, 15000 * sizeof(*b)) == 0);
		free(got);
	}
	atomic_store(&w.hdr->alive, 0); // stops the child early if it is still running
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
	free(a);
	free(b);
}

static void expect_open_error(int want, const char *msg)
{
	struct feed_reader rd;
	char err[256];
	int ret = feed_reader_open(&rd, name, NULL, err, sizeof(err));

	if (ret != want || strstr(err, msg) == NULL)
		fail_msg("open: got %d '%s', want %d '%s'", ret, err, want, msg);
	assert_null(rd.hdr);
	assert_int_equal(rd.fd, -1);
}

static void test_bad_header(void **state)
{
	struct feed_writer w;
	char err[256];

	assert_int_equal(feed_writer_create(&w, name, 100, 16, NULL, err, sizeof(err)), 0);
	w.hdr->magic = 0x1234;
	expect_open_error(-EPROTO, "not a molt feed (bad magic)");
	w.hdr->magic = FEED_MAGIC;

	w.hdr->version = FEED_VERSION + 1;
	expect_open_error(-EPROTONOSUPPORT, "this moltd reads version");
	w.hdr->version = FEED_VERSION;

	w.hdr->route_size = 48;
	expect_open_error(-EBADMSG, "element sizes");
	w.hdr->route_size = sizeof(struct molt_route);

	w.hdr->snap_capacity = 1ULL << 60;
	expect_open_error(-EBADMSG, "capacity");
	w.hdr->snap_capacity = 100;

	w.hdr->snap[1].offset += 52;
	expect_open_error(-EBADMSG, "wrong offset");
	w.hdr->snap[1].offset -= 52;

	w.hdr->journal_size = 1ULL << 40;
	expect_open_error(-EBADMSG, "journal lies outside");
	w.hdr->journal_size = 12;
	expect_open_error(-EBADMSG, "power of two");
	w.hdr->journal_size = 16;

	w.hdr->total_size += 4096;
	expect_open_error(-EBADMSG, "truncated?");
	w.hdr->total_size -= 4096;

	feed_writer_close(&w, 1);
}

static void test_truncated_object(void **state)
{
	struct feed_writer w;
	struct feed_header copy;
	char err[256];
	int fd;

	assert_int_equal(feed_writer_create(&w, name, 1000, 16, NULL, err, sizeof(err)), 0);
	memcpy(&copy, w.hdr, sizeof(copy));
	feed_writer_close(&w, 1);

	// A valid header on an object cut short after its first page.
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, FEED_HEADER_SIZE), 0);
	assert_int_equal(pwrite(fd, &copy, sizeof(copy), 0), sizeof(copy));
	expect_open_error(-EBADMSG, "truncated");

	// Shorter than a header.
	assert_int_equal(ftruncate(fd, 100), 0);
	expect_open_error(-EBADMSG, "truncated (100 bytes)");
	close(fd);
}

static void test_corrupt_snapshot(void **state)
{
	struct molt_route *routes = make_routes(100, 3), *got = NULL;
	struct feed_snapshot_desc desc;
	struct feed_writer w;
	struct feed_reader rd;
	struct molt_route *live;
	char err[256];

	assert_int_equal(feed_writer_create(&w, name, 100, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(feed_writer_publish(&w, routes, 100, 0), 0);
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), 0);
	live = (struct molt_route *)((uint8_t *)w.hdr + w.hdr->snap[w.hdr->current].offset);

	live[42].plen = 40; // an IPv4 /40
	assert_int_equal(feed_reader_snapshot(&rd, &got, &desc, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "route 42 is corrupt: prefix length 40 too long"));
	live[42].plen = routes[42].plen;

	live[7].gateway[3] ^= 1; // valid route, wrong content: only the digest catches it
	assert_int_equal(feed_reader_snapshot(&rd, &got, &desc, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "digest mismatch"));
	live[7].gateway[3] ^= 1;

	w.hdr->snap[w.hdr->current].count = 101;
	assert_int_equal(feed_reader_snapshot(&rd, &got, &desc, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "exceeds capacity"));
	w.hdr->snap[w.hdr->current].count = 100;

	expect_snapshot(&rd, routes, 100);
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
	free(routes);
}

static void test_reader_mapping_is_read_only(void **state)
{
	struct feed_writer w;
	struct feed_reader rd;
	char err[256];
	int status;
	pid_t pid;

	assert_int_equal(feed_writer_create(&w, name, 10, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		// The sanitizers turn a SEGV into an exit(1) report; the default action is what
		// is being tested.
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		*(volatile uint64_t *)&rd.hdr->generation = 0;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_true(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
	assert_int_equal(rd.generation, w.hdr->generation);
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
}

static void test_writer_close_marks_dead(void **state)
{
	struct feed_writer w;
	struct feed_reader rd;
	char err[256];

	assert_int_equal(feed_writer_create(&w, "no/slash", 10, 0, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(feed_writer_create(&w, name, 10, 3, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "power of two"));
	assert_int_equal(feed_writer_create(&w, name, 10, 0, NULL, err, sizeof(err)), 0);
	assert_true(w.hdr->heartbeat_ns > 0);
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), 0);
	assert_int_equal(rd.hdr->alive, 1);
	feed_writer_close(&w, 0);
	assert_int_equal(rd.hdr->alive, 0);
	feed_reader_close(&rd);
}

int main(void)
{
	uint8_t m[FEED_KEY_LEN];
	struct feed_key *key;
	char err[256];
	int ret;

	for (unsigned i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(0x20 + i);
	if (feed_key_from_bytes(m, sizeof(m), &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_republish_switches_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_republish, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(test_concurrent_republish, setup, teardown,
							 key),
		cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_mapping_is_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_close_marks_dead, setup, teardown),
	};

	ret = cmocka_run_group_tests(tests, NULL, NULL);
	feed_key_free(key);
	return ret;
}
