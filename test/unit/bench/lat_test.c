// SPDX-License-Identifier: BSD-3-Clause
// The latency generator's bookkeeping (tools/bench/lat_hist.h, lat_seq.h, lat_stamp.h): a wrong
// bucket or a missed duplicate would turn into a wrong number in every latency report.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lat_hist.h"
#include "lat_seq.h"
#include "lat_stamp.h"

// Every value lands in a bucket whose high end is at or above it and within 1/64 of it, and
// buckets never go backwards.
static void hist_buckets_cover_values(void **state)
{
	unsigned last = 0;

	(void)state;
	for (uint64_t v = 0; v < 1u << 20; v++) {
		unsigned i = lat_hist_index(v);
		uint64_t hi = lat_hist_bucket_high(i);

		assert_true(i >= last);
		assert_true(i < LAT_HIST_BUCKETS);
		assert_true(hi >= v);
		assert_true(hi - v <= v / 64);
		last = i;
	}
	for (unsigned s = 20; s < 64; s++) {
		uint64_t v = (1ull << s) + (1ull << s) / 3;
		unsigned i = lat_hist_index(v);

		assert_true(i < LAT_HIST_BUCKETS);
		assert_true(lat_hist_bucket_high(i) >= v);
	}
	assert_int_equal(lat_hist_index(UINT64_MAX), LAT_HIST_BUCKETS - 1);
	assert_true(lat_hist_bucket_high(LAT_HIST_BUCKETS - 1) == UINT64_MAX);
}

static void hist_quantiles(void **state)
{
	struct lat_hist *h = malloc(sizeof(*h));

	(void)state;
	lat_hist_reset(h);
	assert_int_equal(lat_hist_quantile(h, 0.5), 0);
	for (uint64_t v = 1; v <= 1000; v++)
		lat_hist_add(h, v * 100);
	assert_int_equal(h->count, 1000);
	assert_int_equal(h->min, 100);
	assert_int_equal(h->max, 100000);
	// The 500th value is 50000; reported as its bucket's high end, within 1/64.
	assert_true(lat_hist_quantile(h, 0.5) >= 50000);
	assert_true(lat_hist_quantile(h, 0.5) <= 50000 + 50000 / 64);
	assert_true(lat_hist_quantile(h, 0.99) >= 99000);
	// Never above the exact maximum.
	assert_int_equal(lat_hist_quantile(h, 1.0), 100000);
	assert_int_equal(lat_hist_quantile(h, 0.0), 100);
	free(h);
}

static void seq_counts(void **state)
{
	struct lat_seq s;

	(void)state;
	assert_int_equal(lat_seq_init(&s, 1000), 0);
	assert_int_equal(lat_seq_mark(&s, 0, 0, 10), LAT_SEQ_NEW);
	assert_int_equal(lat_seq_mark(&s, 0, 2, 10), LAT_SEQ_NEW);
	assert_int_equal(lat_seq_mark(&s, 0, 1, 10), LAT_SEQ_NEW); // after 2: reordered
	assert_int_equal(lat_seq_mark(&s, 1, 3, 10), LAT_SEQ_NEW); // another stream
	assert_int_equal(lat_seq_mark(&s, 0, 2, 10), LAT_SEQ_DUPLICATE);
	assert_int_equal(lat_seq_mark(&s, 0, 10, 10), LAT_SEQ_FOREIGN); // not sent yet
	assert_int_equal(lat_seq_mark(&s, 0, 5000, 9000), LAT_SEQ_FOREIGN); // beyond capacity
	assert_int_equal(s.received, 4);
	assert_int_equal(s.duplicated, 1);
	assert_int_equal(s.reordered, 1);
	lat_seq_fini(&s);
}

static void stamp_offsets(void **state)
{
	uint8_t f[128] = { 0 };
	uint64_t seq, tsc;

	(void)state;
	f[12] = 0x08; // IPv4, IHL 5, UDP
	f[14] = 0x45;
	f[14 + 9] = 17;
	assert_int_equal(lat_stamp_offset(f, 60), 42);
	assert_int_equal(lat_stamp_offset(f, 57), -1); // no room for 16 bytes
	f[14] = 0x46; // options: the payload moves
	assert_int_equal(lat_stamp_offset(f, 80), 46);
	f[14 + 9] = 6; // TCP
	assert_int_equal(lat_stamp_offset(f, 80), -1);
	memset(f, 0, sizeof(f));
	f[12] = 0x86; // IPv6, UDP
	f[13] = 0xdd;
	f[14 + 6] = 17;
	assert_int_equal(lat_stamp_offset(f, 78), 62);
	assert_int_equal(lat_stamp_offset(f, 77), -1);
	lat_stamp_write(f + 62, 12345, 678);
	assert_int_equal(lat_stamp_read(f + 62, &seq, &tsc), 0);
	assert_int_equal(seq, 12345);
	assert_int_equal(tsc, 678);
	f[62 + 7] ^= 1; // the tag's top byte
	assert_int_equal(lat_stamp_read(f + 62, &seq, &tsc), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist_buckets_cover_values),
		cmocka_unit_test(hist_quantiles),
		cmocka_unit_test(seq_counts),
		cmocka_unit_test(stamp_offsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
