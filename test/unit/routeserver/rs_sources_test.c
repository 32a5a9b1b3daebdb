// SPDX-License-Identifier: BSD-3-Clause
// The route server's table sources (routeserver/rs_table.h) on a real feed: precedence (rpc over
// file over fpm over stale fpm), what each change journals, FPM routes turning stale and being
// swept, rs_table_replace (route file reloads) keeping FPM's routes, and rs_table_abort.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "routeserver/rs_table.h"

static struct molt_route rt(const char *text)
{
	struct molt_route r;
	char err[128];

	assert_int_equal(molt_route_parse(text, &r, err, sizeof(err)), 0);
	return r;
}

// The published route for text's prefix, formatted ("" when none).
static const char *published(const char *text)
{
	static char buf[128];
	struct molt_route k = rt(text);
	const struct molt_route *f = rib_find(&rs_table.rib, &k);

	buf[0] = '\0';
	if (f != NULL)
		molt_route_format(f, buf, sizeof(buf));
	return buf;
}

static int setup(void **state)
{
	char name[64], err[256];

	snprintf(name, sizeof(name), "/molt-test-rs-%d", (int)getpid());
	memset(&rs_table, 0, sizeof(rs_table));
	rs_table.capacity = 1000;
	assert_int_equal(rs_table_init(&rs_table), 0);
	assert_int_equal(rib_init(&rs_table.rib, 0), 0);
	assert_int_equal(feed_writer_create(&rs_table.feed, name, 1000, 64, NULL, err, sizeof(err)),
			 0);
	assert_int_equal(rs_table_publish(&rs_table, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	feed_writer_close(&rs_table.feed, 1);
	rs_table_free(&rs_table);
	return 0;
}

static void test_precedence(void **state)
{
	struct molt_route p_file = rt("10.1.0.0/16 via 10.0.0.1"),
			  p_fpm = rt("10.1.0.0/16 via 10.0.0.2"),
			  p_rpc = rt("10.1.0.0/16 blackhole"),
			  q_fpm = rt("10.2.0.0/16 via 10.0.0.3");
	uint64_t seq = rs_table.feed.next_seq;
	char err[256];

	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FILE, &p_file, false), 1);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM, &p_fpm, false), 0); // shadowed
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM, &q_fpm, false), 1);
	assert_string_equal(published("10.1.0.0/16 blackhole"), "10.1.0.0/16 via 10.0.0.1");
	assert_int_equal(rs_table_source_of(&rs_table, &p_fpm), RS_SRC_FILE);
	assert_int_equal(rs_table.feed.next_seq, seq + 2); // one entry per published change
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &p_rpc, false), 1);
	assert_string_equal(published("10.1.0.0/16 blackhole"), "10.1.0.0/16 blackhole");
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &p_rpc, true), 1);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FILE, &p_file, true), 1);
	assert_string_equal(published("10.1.0.0/16 blackhole"), "10.1.0.0/16 via 10.0.0.2");
	assert_int_equal(rs_table_source_of(&rs_table, &p_fpm), RS_SRC_FPM);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &p_rpc, true), -ENOENT);
	assert_int_equal(rs_table_publish(&rs_table, err, sizeof(err)), 0);
	assert_int_equal(rs_table.rib.count, 2);
	assert_int_equal(rs_table_source_of(&rs_table, &p_rpc), RS_SRC_FPM);
	assert_string_equal(rs_source_name(RS_SRC_FPM_STALE), "fpm-stale");
	assert_true(rs_source_distance(RS_SRC_RPC) < rs_source_distance(RS_SRC_FILE));
	assert_true(rs_source_distance(RS_SRC_FILE) < rs_source_distance(RS_SRC_FPM));

	// Changes rolled back without a commit leave the feed's journal as it was.
	seq = rs_table.feed.next_seq;
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &p_rpc, false), 1);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &p_rpc, true), 1);
	rs_table_abort(&rs_table);
	assert_int_equal(rs_table.feed.next_seq, seq);
}

static void test_stale_and_sweep(void **state)
{
	struct molt_route p = rt("10.1.0.0/16 via 10.0.0.2"), q = rt("10.2.0.0/16 via 10.0.0.3"),
			  q2 = rt("10.2.0.0/16 via 10.0.0.9"), f = rt("10.1.0.0/16 via 10.0.0.1");
	struct rib fresh;
	uint64_t seq;
	char err[256];

	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM, &p, false), 1);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM, &q, false), 1);
	seq = rs_table.feed.next_seq;
	assert_int_equal(rs_table_fpm_stale(&rs_table), 2);
	assert_int_equal(rs_table.feed.next_seq, seq); // nothing published changes
	assert_int_equal(rs_table.src[RS_SRC_FPM].count, 0);
	assert_int_equal(rs_table_source_of(&rs_table, &p), RS_SRC_FPM_STALE);
	assert_string_equal(published("10.1.0.0/16 blackhole"), "10.1.0.0/16 via 10.0.0.2");

	// The resend: q comes back changed, and is no longer stale.
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM, &q2, false), 1);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM_STALE, &q2, true), 0);
	// A second disconnect before the sweep: both sets merge, the newer route wins.
	assert_int_equal(rs_table_fpm_stale(&rs_table), 2);
	assert_string_equal(published("10.2.0.0/16 blackhole"), "10.2.0.0/16 via 10.0.0.9");
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM, &q2, false), 0);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FPM_STALE, &q2, true), 0);
	assert_int_equal(rs_table_fpm_sweep(&rs_table), 1);
	assert_string_equal(published("10.1.0.0/16 blackhole"), "");
	assert_string_equal(published("10.2.0.0/16 blackhole"), "10.2.0.0/16 via 10.0.0.9");

	// A route file reload replaces the file's and RPC's routes, not FPM's.
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &p, false), 1);
	assert_int_equal(rib_init(&fresh, 0), 0);
	assert_int_equal(rib_add(&fresh, &f), 0);
	assert_int_equal(rs_table_replace(&rs_table, &fresh, err, sizeof(err)), 0);
	assert_string_equal(published("10.1.0.0/16 blackhole"), "10.1.0.0/16 via 10.0.0.1");
	assert_string_equal(published("10.2.0.0/16 blackhole"), "10.2.0.0/16 via 10.0.0.9");
	assert_int_equal(rs_table.src[RS_SRC_RPC].count, 0);
	assert_int_equal(rs_table.rib.count, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_sweep, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
