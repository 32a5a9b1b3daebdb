// SPDX-License-Identifier: BSD-3-Clause
// The feed journal ring: in-order consumption, commit visibility, wraparound, overrun
// detection, and a concurrent producer lapping a slow consumer (every entry a consumer accepts
// is exactly the one the producer wrote under that sequence number).
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/feed/feed.h"

#define JOURNAL 64

static char name[64];
static struct feed_writer w;
static struct feed_reader r;
// setup_keyed: writer and reader MAC every entry, each with its own copy of the key (a key is
// used by one thread at a time, and the producer below is a thread of its own)
static struct feed_key *key, *rkey;

// Route n: 10.x.y.0/24 via 10.0.1.2, encoding n in the prefix so a torn or stale entry shows.
static struct molt_route route_n(uint64_t n)
{
	struct molt_route rt;

	memset(&rt, 0, sizeof(rt));
	rt.family = 4;
	rt.plen = 24;
	rt.type = MOLT_RT_VIA;
	rt.prefix[0] = 11 + (uint8_t)(n >> 16 & 0x3f);
	rt.prefix[1] = (uint8_t)(n >> 8);
	rt.prefix[2] = (uint8_t)n;
	rt.gateway[0] = 10;
	rt.gateway[2] = 1;
	rt.gateway[3] = 2;
	return rt;
}

static uint64_t route_id(const struct molt_route *rt)
{
	return (uint64_t)(rt->prefix[0] - 11) << 16 | (uint64_t)rt->prefix[1] << 8 | rt->prefix[2];
}

static int setup(void **state)
{
	static int n;
	char err[256];

	snprintf(name, sizeof(name), "/molt-jtest-%d-%d", (int)getpid(), n++);
	assert_int_equal(feed_writer_create(&w, name, 16, JOURNAL, key, err, sizeof(err)), 0);
	assert_int_equal(feed_writer_publish(&w, NULL, 0, 0), 0);
	assert_int_equal(feed_reader_open(&r, name, rkey, err, sizeof(err)), 0);
	return 0;
}

// The same with a key: a reader racing the producer must see torn or overwritten entries as
// overruns, never as MAC failures (the MAC is checked on a copy the seqlock vouched for).
static int setup_keyed(void **state)
{
	uint8_t m[FEED_KEY_LEN];
	char err[256];

	for (unsigned i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(0x40 + i);
	assert_int_equal(feed_key_from_bytes(m, sizeof(m), &key, err, sizeof(err)), 0);
	assert_int_equal(feed_key_from_bytes(m, sizeof(m), &rkey, err, sizeof(err)), 0);
	return setup(state);
}

static int teardown(void **state)
{
	feed_reader_close(&r);
	feed_writer_close(&w, 1);
	feed_key_free(key);
	feed_key_free(rkey);
	key = rkey = NULL;
	return 0;
}

static void test_in_order_and_commit(void **state)
{
	struct feed_journal_entry e;
	struct molt_route rt = route_n(7);
	char err[256];

	assert_int_equal(feed_writer_append(&w, FEED_OP_ADD, &rt), 0);
	// Not visible before the commit.
	assert_int_equal(feed_reader_head(&r), 0);
	assert_int_equal(feed_reader_entry(&r, 0, &e, err, sizeof(err)), -EAGAIN);
	feed_writer_commit(&w);
	assert_int_equal(feed_reader_head(&r), 1);
	assert_int_equal(feed_reader_entry(&r, 0, &e, err, sizeof(err)), 0);
	assert_int_equal(e.op, FEED_OP_ADD);
	assert_memory_equal(&e.route, &rt, sizeof(rt));
	assert_int_equal(feed_reader_entry(&r, 1, &e, err, sizeof(err)), -EAGAIN);
	assert_int_equal(feed_writer_append(&w, FEED_OP_DEL, &rt), 1);
	feed_writer_commit(&w);
	assert_int_equal(feed_reader_entry(&r, 1, &e, err, sizeof(err)), 0);
	assert_int_equal(e.op, FEED_OP_DEL);
}

static void test_wraparound_and_overrun(void **state)
{
	struct feed_journal_entry e;
	char err[256];

	// Three laps of the ring, read in step: every entry is the right one.
	for (uint64_t i = 0; i < 3 * JOURNAL; i++) {
		struct molt_route rt = route_n(i);

		assert_int_equal(feed_writer_append(&w, FEED_OP_ADD, &rt), i);
		feed_writer_commit(&w);
		assert_int_equal(feed_reader_entry(&r, i, &e, err, sizeof(err)), 0);
		assert_int_equal(route_id(&e.route), i);
	}
	// The oldest entries still in the ring are readable, one older is not.
	uint64_t head = feed_reader_head(&r);
	assert_int_equal(feed_reader_entry(&r, head - JOURNAL, &e, err, sizeof(err)), 0);
	assert_int_equal(route_id(&e.route), head - JOURNAL);
	assert_int_equal(feed_reader_entry(&r, head - JOURNAL - 1, &e, err, sizeof(err)), -ERANGE);
	assert_int_equal(feed_reader_entry(&r, 0, &e, err, sizeof(err)), -ERANGE);
}

static void test_corrupt_entry(void **state)
{
	struct molt_route rt = route_n(1);
	struct feed_journal_entry e;
	char err[256];

	rt.plen = 8; // host bits set in 11.0.1.0/8
	feed_writer_append(&w, FEED_OP_ADD, &rt);
	feed_writer_commit(&w);
	assert_int_equal(feed_reader_entry(&r, 0, &e, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "host bits"));
}

static volatile int producer_done;

static void *producer(void *arg)
{
	for (uint64_t i = 0; i < 200000; i++) {
		struct molt_route rt = route_n(i & 0x3fffff);

		feed_writer_append(&w, FEED_OP_ADD, &rt);
		if (i % 7 == 0)
			feed_writer_commit(&w);
	}
	feed_writer_commit(&w);
	producer_done = 1;
	return NULL;
}

static void test_concurrent_lapping(void **state)
{
	struct feed_journal_entry e;
	uint64_t next = 0, ok = 0, overruns = 0;
	pthread_t t;
	char err[256];

	producer_done = 0;
	assert_int_equal(pthread_create(&t, NULL, producer, NULL), 0);
	while (!producer_done || next < feed_reader_head(&r)) {
		int ret = feed_reader_entry(&r, next, &e, err, sizeof(err));

		if (ret == 0) {
			// Accepted entries are never torn or stale.
			assert_int_equal(route_id(&e.route), next & 0x3fffff);
			ok++;
			next++;
		} else if (ret == -ERANGE) {
			overruns++;
			next = feed_reader_head(&r); // resync: skip to the present
		} else {
			assert_int_equal(ret, -EAGAIN);
		}
	}
	pthread_join(t, NULL);
	print_message("consumed %llu entries, %llu overruns\n", (unsigned long long)ok,
		      (unsigned long long)overruns);
	// Quiescent now: the whole last lap reads back exactly.
	for (uint64_t seq = feed_reader_head(&r) - JOURNAL; seq < feed_reader_head(&r); seq++) {
		assert_int_equal(feed_reader_entry(&r, seq, &e, err, sizeof(err)), 0);
		assert_int_equal(route_id(&e.route), seq & 0x3fffff);
	}
	assert_int_equal(feed_reader_head(&r), 200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_and_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound_and_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_lapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_lapping, setup_keyed, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
