// SPDX-License-Identifier: BSD-3-Clause
// The route server's table (rs_table) on a real feed of its own, for the route server's unit
// tests: empty, published once, and closed with its shared memory unlinked.
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "routeserver/rs_table.h"

// Opens rs_table with room for capacity routes and as many group records, on a feed named
// after tag and the process (snapshot of snap_records records, journal of journal_entries).
static inline void rs_test_table_open(const char *tag, uint32_t capacity, uint32_t snap_records,
				      uint32_t journal_entries)
{
	char name[64], err[256];

	snprintf(name, sizeof(name), "/molt-test-%s-%d", tag, (int)getpid());
	memset(&rs_table, 0, sizeof(rs_table));
	rs_table.capacity = capacity;
	rs_table.group_capacity = capacity;
	assert_int_equal(rs_table_init(&rs_table), 0);
	assert_int_equal(rib_init(&rs_table.rib, 0), 0);
	assert_int_equal(feed_writer_create(&rs_table.feed, name, snap_records, journal_entries,
					    NULL, err, sizeof(err)),
			 0);
	assert_int_equal(rs_table_publish(&rs_table, err, sizeof(err)), 0);
}

static inline void rs_test_table_close(void)
{
	feed_writer_close(&rs_table.feed, 1);
	rs_table_free(&rs_table);
}
