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
#include "test/unit/routeserver/rs_test_table.h"

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
	rs_test_table_open("rs", 1000, 1000, 64);
	return 0;
}

static int teardown(void **state)
{
	rs_test_table_close();
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

// Parses a multipath line into route *r and its group's records (returns how many).
static unsigned multi(const char *text, struct molt_route *r, struct molt_route *grp)
{
	struct molt_route out[MOLT_ROUTE_RECS_MAX];
	char err[256];
	int n = molt_route_parse_multi(text, out, err, sizeof(err));

	if (n < 1)
		fail_msg("'%s': %s", text, err);
	*r = out[n - 1];
	memcpy(grp, out, sizeof(out[0]) * (size_t)(n - 1));
	return (unsigned)n - 1;
}

// The journal entries [from, to) as "+G" (group record added), "+R", "-G", "-R".
static const char *journal_ops(uint64_t from, uint64_t to)
{
	static char buf[256];
	struct feed_journal_entry e;
	struct feed_reader rd;
	char err[256];
	size_t n = 0;

	assert_int_equal(feed_reader_open(&rd, rs_table.feed.name, NULL, err, sizeof(err)), 0);
	for (uint64_t q = from; q < to; q++) {
		if (feed_reader_entry(&rd, q, &e, err, sizeof(err)) != 0)
			fail_msg("entry %llu: %s", (unsigned long long)q, err);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%c%c",
				      e.op == FEED_OP_ADD ? '+' : '-',
				      e.route.family == MOLT_FAMILY_GROUP ? 'G' : 'R');
	}
	buf[n] = '\0';
	feed_reader_close(&rd);
	return buf;
}

// Multipath routes: a group's records are published (and journaled) before the first route
// that uses it, shared by routes with the same paths, travel through the snapshot, and are
// deleted after the last route using them is gone.
static void test_multipath(void **state)
{
	struct molt_route a, b, c, ga[MOLT_MAX_PATHS], gb[MOLT_MAX_PATHS], gc[MOLT_MAX_PATHS];
	unsigned na = multi("10.9.0.0/16 nexthop via 10.0.0.2 weight 2 nexthop via 10.0.0.1", &a,
			    ga),
		 nb = multi("10.8.0.0/16 nexthop via 10.0.0.1 nexthop via 10.0.0.2 weight 2", &b,
			    gb),
		 nc = multi("10.9.0.0/16 nexthop via 10.0.0.3 nexthop via 10.0.0.4", &c, gc);
	struct feed_snapshot_desc desc;
	struct molt_route *snap = NULL;
	struct feed_reader rd;
	struct rib copy;
	uint64_t seq = rs_table.feed.next_seq;
	char err[256], text[256];

	assert_int_equal(na, 2);
	assert_int_equal(nb, 2);
	assert_int_equal(rs_table_add_group(&rs_table, RS_SRC_FILE, ga, na), 0);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FILE, &a, false), 1);
	assert_int_equal(rs_table_add_group(&rs_table, RS_SRC_RPC, gb, nb), 0);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &b, false), 1);
	assert_int_equal(rs_table_publish(&rs_table, err, sizeof(err)), 0);
	assert_string_equal(journal_ops(seq, rs_table.feed.next_seq), "+G+G+R+R");
	assert_int_equal(rs_table.rib.count, 4);
	rib_route_format(&rs_table.rib, rib_find(&rs_table.rib, &b), text, sizeof(text));
	assert_string_equal(text, "10.8.0.0/16 nexthop via 10.0.0.1 nexthop via 10.0.0.2 weight 2");

	// The snapshot carries the records; a reader's table formats the route the same way.
	rs_table_flush(&rs_table, UINT64_MAX / 2);
	assert_int_equal(feed_reader_open(&rd, rs_table.feed.name, NULL, err, sizeof(err)), 0);
	assert_int_equal(feed_reader_snapshot(&rd, &snap, &desc, err, sizeof(err)), 0);
	assert_int_equal(desc.count, 4);
	assert_int_equal(rib_init(&copy, 4), 0);
	assert_int_equal(rib_add_bulk(&copy, snap, (uint32_t)desc.count), 0);
	rib_route_format(&copy, rib_find(&copy, &a), text, sizeof(text));
	assert_string_equal(text, "10.9.0.0/16 nexthop via 10.0.0.1 nexthop via 10.0.0.2 weight 2");
	rib_free(&copy);
	free(snap);
	feed_reader_close(&rd);

	// a's paths change: the new group first; the old one stays while b uses it.
	seq = rs_table.feed.next_seq;
	assert_int_equal(rs_table_add_group(&rs_table, RS_SRC_FILE, gc, nc), 0);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_FILE, &c, false), 1);
	assert_int_equal(rs_table_publish(&rs_table, err, sizeof(err)), 0);
	rs_table_flush(&rs_table, UINT64_MAX / 2);
	assert_string_equal(journal_ops(seq, rs_table.feed.next_seq), "+G+G+R");
	assert_int_equal(rs_table.rib.count, 6);

	// b goes: its route first, its group at the next flush.
	seq = rs_table.feed.next_seq;
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &b, true), 1);
	assert_int_equal(rs_table_publish(&rs_table, err, sizeof(err)), 0);
	rs_table_flush(&rs_table, UINT64_MAX / 2);
	assert_string_equal(journal_ops(seq, rs_table.feed.next_seq), "-R-G-G");
	assert_int_equal(rs_table.rib.count, 3);
	assert_int_equal(rs_table.src[RS_SRC_RPC].count, 0);
	assert_int_equal(rs_table.src[RS_SRC_FILE].count, 3);

	// A change rolled back (route.add's batch failing) takes its group's records out of the
	// published table too: added again, they are journaled again.
	seq = rs_table.feed.next_seq;
	assert_int_equal(rs_table_add_group(&rs_table, RS_SRC_RPC, gb, nb), 0);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &b, false), 1);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &b, true), 1);
	rs_table_abort(&rs_table);
	assert_int_equal(rs_table.rib.count, 3);
	assert_int_equal(rs_table_set(&rs_table, RS_SRC_RPC, &b, false), 1);
	assert_int_equal(rs_table_publish(&rs_table, err, sizeof(err)), 0);
	assert_string_equal(journal_ops(seq, rs_table.feed.next_seq), "+G+G+R");
}

// The file loader and the table's limits count routes, not the records of their groups.
static void test_counts(void **state)
{
	static const char file[] = "10.1.0.0/16 nexthop via 10.0.0.1 nexthop via 10.0.0.2\n"
				   "10.2.0.0/16 nexthop via 10.0.0.2 nexthop via 10.0.0.1\n"
				   "10.1.0.0/16 nexthop via 10.0.0.1 nexthop via 10.0.0.3\n"
				   "10.3.0.0/16 via 10.0.0.1\n";
	struct route_file_stats st;
	struct rib rib;
	char err[256];

	assert_int_equal(rib_init(&rib, 0), 0);
	assert_int_equal(route_file_parse("t", file, sizeof(file) - 1, &rib, &st, err, sizeof(err)),
			 0);
	assert_int_equal(st.lines, 4);
	assert_int_equal(st.routes, 4); // route lines, not their group records
	assert_int_equal(st.replaced, 1); // the third line; the second shares the first's group
	assert_int_equal(rib_routes(&rib), 3);
	assert_int_equal(rib.count_group_ids, 2);
	assert_int_equal(rib.count_groups, 4);
	assert_int_equal(rib.count_v4, 3);

	// --capacity 3 holds the three routes; the limit on group records is apart.
	rs_table.capacity = 3;
	rs_table.group_capacity = 4;
	assert_int_equal(rs_table_check_room(&rs_table, &rib, err, sizeof(err)), 0);
	rs_table.capacity = 2;
	assert_int_equal(rs_table_check_room(&rs_table, &rib, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "3 routes exceed the capacity of 2 (--capacity)"));
	rs_table.capacity = 3;
	rs_table.group_capacity = 3;
	assert_int_equal(rs_table_check_room(&rs_table, &rib, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "4 next-hop group records"));
	assert_non_null(strstr(err, "(--group-records)"));
	rib_free(&rib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipath, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
