// SPDX-License-Identifier: BSD-3-Clause
// Route line parser: every accepted form, every error kind and the text it reports.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/feed/feed.h"
#include "common/route.h"

static struct molt_route parse_ok(const char *line)
{
	struct molt_route r;
	char err[256];
	int ret = molt_route_parse(line, &r, err, sizeof(err));

	if (ret != 0)
		fail_msg("'%s' rejected: %s", line, err);
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), 0);
	return r;
}

static void test_good_v4(void **state)
{
	struct molt_route r;
	char buf[128];

	r = parse_ok("192.0.2.0/24 via 10.0.1.2");
	assert_int_equal(r.family, 4);
	assert_int_equal(r.plen, 24);
	assert_int_equal(r.type, MOLT_RT_VIA);
	assert_memory_equal(r.prefix, ((uint8_t[16]){ 192, 0, 2, 0 }), 16);
	assert_memory_equal(r.gateway, ((uint8_t[16]){ 10, 0, 1, 2 }), 16);
	assert_string_equal(r.dev, "");

	r = parse_ok("  198.51.100.0/25\tdev p1  ");
	assert_int_equal(r.type, MOLT_RT_DEV);
	assert_string_equal(r.dev, "p1");

	r = parse_ok("0.0.0.0/0 via 10.0.1.2 dev port-with-15ch");
	assert_int_equal(r.plen, 0);
	assert_string_equal(r.dev, "port-with-15ch");
	molt_route_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0/0 via 10.0.1.2 dev port-with-15ch");

	r = parse_ok("203.0.113.7/32 blackhole # trailing comment");
	assert_int_equal(r.type, MOLT_RT_BLACKHOLE);
	assert_int_equal(r.plen, 32);

	r = parse_ok("203.0.113.0/24 dev p0 via 10.0.0.1\r");
	assert_int_equal(r.type, MOLT_RT_VIA);
	assert_string_equal(r.dev, "p0");

	// The parser stops at a newline: the route server hands it lines inside one buffer.
	r = parse_ok("192.0.2.0/24 blackhole\n10.0.0.1 garbage");
	assert_int_equal(r.type, MOLT_RT_BLACKHOLE);
}

static void test_good_v6(void **state)
{
	struct molt_route r;
	char buf[128];

	r = parse_ok("2001:db8::/32 via fd00:1::2");
	assert_int_equal(r.family, 6);
	assert_int_equal(r.plen, 32);
	assert_int_equal(r.prefix[0], 0x20);
	assert_int_equal(r.prefix[3], 0xb8);
	molt_route_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32 via fd00:1::2");

	r = parse_ok("::/0 via fe80::1 dev p1");
	assert_int_equal(r.plen, 0);
	assert_string_equal(r.dev, "p1");

	r = parse_ok("2001:db8:1:2:3:4:5:6/128 blackhole");
	assert_int_equal(r.plen, 128);
	r = parse_ok("2001:db8:8000::/33 dev p2");
	assert_int_equal(r.prefix[4], 0x80);
}

static void test_blank_and_comments(void **state)
{
	static const char *const lines[] = {
		"", "   ", "\t\r", "# a comment", "   # indented", "\n", "#10.0.0.0/8 via 1.2.3.4"
	};
	struct molt_route r;
	char err[64];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(molt_route_parse(lines[i], &r, err, sizeof(err)), 1);
}

struct bad {
	const char *line;
	const char *msg; // must appear in the error
};

static void test_bad_lines(void **state)
{
	static const struct bad bad[] = {
		{ "10.0.0.1/8 via 192.0.2.1",
		  "host bits set in 10.0.0.1/8, did you mean 10.0.0.0/8?" },
		{ "2001:db8::1/64 blackhole",
		  "host bits set in 2001:db8::1/64, did you mean 2001:db8::/64?" },
		{ "10.0.0.1 via 192.0.2.1",
		  "missing prefix length: write 10.0.0.1/32 for a single host (near '10.0.0.1')" },
		{ "2001:db8::1 blackhole", "missing prefix length: write 2001:db8::1/128" },
		{ "10.0.0.0/33 via 192.0.2.1",
		  "prefix length 33 too long (IPv4 allows 0-32) (near '10.0.0.0/33')" },
		{ "2001:db8::/129 blackhole", "prefix length 129 too long (IPv6 allows 0-128)" },
		{ "10.0.0.0/ via 192.0.2.1",
		  "invalid prefix length (IPv4 allows 0-32) (near '10.0.0.0/')" },
		{ "10.0.0.0/2x via 192.0.2.1", "invalid prefix length" },
		{ "10.0.0.0/0024 via 192.0.2.1", "invalid prefix length" },
		{ "10.0.0.256/24 via 192.0.2.1",
		  "invalid address in prefix (near '10.0.0.256/24')" },
		{ "10.0.0/24 via 192.0.2.1", "invalid address in prefix" },
		{ "010.0.0.0/24 via 192.0.2.1", "invalid address in prefix" },
		{ "2001:db8:::/48 blackhole", "invalid address in prefix" },
		{ "bogus via 192.0.2.1", "invalid prefix: expected ADDRESS/LENGTH (near 'bogus')" },
		{ "default via 192.0.2.1", "write 0.0.0.0/0 or ::/0 for a default route" },
		{ "10.0.0.0/8 via", "'via' needs a gateway address (near 'via')" },
		{ "10.0.0.0/8 via 192.0.2", "invalid gateway address (near '192.0.2')" },
		{ "10.0.0.0/8 via fd00::1",
		  "gateway is IPv6 but the prefix is IPv4 (near 'fd00::1')" },
		{ "2001:db8::/32 via 192.0.2.1", "gateway is IPv4 but the prefix is IPv6" },
		{ "10.0.0.0/8 via 0.0.0.0", "gateway cannot be the unspecified address" },
		{ "10.0.0.0/8 dev", "'dev' needs a port name (near 'dev')" },
		{ "10.0.0.0/8 dev port-name-16-chr",
		  "port name longer than 15 characters (near 'port-name-16-chr')" },
		{ "10.0.0.0/8 via 192.0.2.1 via 192.0.2.2", "'via' given twice (near 'via')" },
		{ "10.0.0.0/8 dev p0 dev p1", "'dev' given twice" },
		{ "10.0.0.0/8 blackhole blackhole", "'blackhole' given twice" },
		{ "10.0.0.0/8 via 192.0.2.1 metric 10",
		  "unknown keyword (expected via, dev, blackhole or nexthop) (near 'metric')" },
		{ "10.0.0.0/8",
		  "no next hop: add 'via GATEWAY', 'dev PORT' or 'blackhole' (near '10.0.0.0/8')" },
		{ "10.0.0.0/8 # blackhole", "no next hop" },
		{ "10.0.0.0/8 blackhole via 192.0.2.1",
		  "a blackhole route takes no 'via' or 'dev'" },
		{ "10.0.0.0/8 dev p0 blackhole", "a blackhole route takes no 'via' or 'dev'" },
		{ "2001:db8::/32 via fe80::1", "link-local gateway needs 'dev PORT'" },
	};
	struct molt_route r;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = molt_route_parse(bad[i].line, &r, err, sizeof(err));

		if (ret != -EINVAL || strstr(err, bad[i].msg) == NULL)
			fail_msg("'%s': got %d '%s', want '%s'", bad[i].line, ret, err, bad[i].msg);
	}
}

static void test_long_token_truncated(void **state)
{
	char line[400], err[256];
	struct molt_route r;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(molt_route_parse(line, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "...')"));
	// A tiny buffer still gets a terminated message.
	assert_int_equal(molt_route_parse(line, &r, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
}

static void test_prefix_and_addr(void **state)
{
	uint8_t fam, a[16], plen;
	char err[128], buf[64];

	assert_int_equal(molt_prefix_parse("10.0.1.1/24", &fam, a, &plen, true, err, sizeof(err)),
			 0);
	assert_int_equal(fam, 4);
	assert_int_equal(plen, 24);
	assert_int_equal(a[3], 1); // host bits kept for a port address
	assert_int_equal(molt_prefix_parse("10.0.1.1/24", &fam, a, &plen, false, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "did you mean 10.0.1.0/24?"));
	assert_int_equal(molt_prefix_parse("fd00:1::1/64", &fam, a, &plen, true, err, sizeof(err)),
			 0);
	assert_int_equal(fam, 6);

	assert_int_equal(molt_addr_parse("fe80::1", &fam, a), 0);
	assert_int_equal(fam, 6);
	assert_string_equal(molt_addr_format(fam, a, buf, sizeof(buf)), "fe80::1");
	assert_int_equal(molt_addr_parse("192.0.2.255", &fam, a), 0);
	assert_string_equal(molt_addr_format(fam, a, buf, sizeof(buf)), "192.0.2.255");
	assert_int_equal(molt_addr_parse("192.0.2.1 ", &fam, a), -EINVAL);
	assert_int_equal(molt_addr_parse("fe80::1%eth0", &fam, a), -EINVAL);
	assert_int_equal(molt_addr_parse("", &fam, a), -EINVAL);
}

static void test_format_round_trip(void **state)
{
	static const char *const lines[] = {
		"192.0.2.0/24 via 10.0.1.2",  "192.0.2.128/25 dev p0",
		"0.0.0.0/0 blackhole",        "2001:db8::/32 via fd00:1::2 dev p1",
		"2001:db8:1::/48 dev veth-a", "::/0 via fe80::1 dev p1",
	};
	struct molt_route r, again;
	char buf[128], err[128];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		r = parse_ok(lines[i]);
		assert_int_equal(molt_route_format(&r, buf, sizeof(buf)), strlen(lines[i]));
		assert_string_equal(buf, lines[i]);
		assert_int_equal(molt_route_parse(buf, &again, err, sizeof(err)), 0);
		assert_memory_equal(&r, &again, sizeof(r));
	}
}

static void test_same_key_and_hash(void **state)
{
	struct molt_route a = parse_ok("192.0.2.0/24 via 10.0.1.2");
	struct molt_route b = parse_ok("192.0.2.0/24 via 10.0.2.2");
	struct molt_route c = parse_ok("192.0.2.0/25 via 10.0.1.2");
	struct molt_route d = parse_ok("192.0.2.0/24 via 10.0.1.2");
	uint64_t ha = molt_route_hash(&a);

	assert_true(molt_route_same_key(&a, &b));
	assert_false(molt_route_same_key(&a, &c));
	assert_int_equal(ha, molt_route_hash(&d));
	assert_int_not_equal(ha, molt_route_hash(&b)); // next hop is part of the content
	assert_int_not_equal(ha, molt_route_hash(&c));

	// Every single-bit change anywhere in the 52 bytes changes the hash.
	for (size_t i = 0; i < sizeof(a) * 8; i++) {
		struct molt_route x = a;

		((uint8_t *)&x)[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(ha, molt_route_hash(&x));
	}
}

static void test_validate(void **state)
{
	struct molt_route ok = parse_ok("2001:db8::/32 via fd00:1::2 dev p1"), r;
	char err[128];

	r = ok;
	r.family = 5;
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	r = ok;
	r.plen = 129;
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "prefix length 129"));
	r = ok;
	r.prefix[15] = 1;
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "host bits"));
	r = ok;
	r.type = 9;
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	r = ok;
	memset(r.dev, 'a', sizeof(r.dev));
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	r = ok;
	r.reserved = 1;
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	r = ok;
	memset(r.gateway, 0, sizeof(r.gateway));
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	r = parse_ok("192.0.2.0/24 blackhole");
	r.gateway[0] = 1;
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
	r = parse_ok("192.0.2.0/24 dev p0");
	r.dev[0] = '\0';
	assert_int_equal(molt_route_validate(&r, err, sizeof(err)), -EINVAL);
}

// The multipath form: canonical path order whatever the line's order, the group's records,
// weights, the round trip through the formatter, and what is refused.
static void test_multipath(void **state)
{
	struct molt_route a[MOLT_ROUTE_RECS_MAX], b[MOLT_ROUTE_RECS_MAX];
	struct molt_path paths[MOLT_MAX_PATHS];
	char err[256], buf[1280], line[1280];
	int n;

	n = molt_route_parse_multi("192.0.2.0/24 nexthop via 10.0.2.1 dev p1 weight 3 "
				   "nexthop via 10.0.1.1",
				   a, err, sizeof(err));
	if (n != 3)
		fail_msg("%d %s", n, err);
	assert_int_equal(a[2].type, MOLT_RT_MULTIPATH);
	assert_int_equal(molt_route_group_size(&a[2]), 2);
	for (int i = 0; i < n; i++)
		if (molt_route_validate(&a[i], err, sizeof(err)) != 0)
			fail_msg("record %d: %s", i, err);
	// Path 0 is the lower gateway, whatever the order on the line.
	molt_route_group_path(&a[0], &paths[0]);
	molt_route_group_path(&a[1], &paths[1]);
	assert_memory_equal(paths[0].gateway, ((uint8_t[4]){ 10, 0, 1, 1 }), 4);
	assert_int_equal(paths[0].weight, 1);
	assert_int_equal(paths[1].weight, 3);
	assert_string_equal(paths[1].dev, "p1");
	assert_int_equal(a[0].family, MOLT_FAMILY_GROUP);
	assert_int_equal(molt_route_group_id(&a[0]), molt_route_group_id(&a[2]));
	molt_route_format_paths(&a[2], paths, 2, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.0/24 nexthop via 10.0.1.1 nexthop via 10.0.2.1 dev p1 "
				 "weight 3");
	// Same paths in another order and for another prefix: the same group.
	n = molt_route_parse_multi("198.51.100.0/24 nexthop via 10.0.1.1 nexthop via 10.0.2.1 "
				   "weight 3 dev p1",
				   b, err, sizeof(err));
	assert_int_equal(n, 3);
	assert_int_equal(molt_route_group_id(&b[2]), molt_route_group_id(&a[2]));
	assert_memory_equal(&a[0], &b[0], sizeof(a[0]));
	// Another weight: another group.
	n = molt_route_parse_multi("198.51.100.0/24 nexthop via 10.0.1.1 nexthop via 10.0.2.1 "
				   "dev p1",
				   b, err, sizeof(err));
	assert_int_equal(n, 3);
	assert_true(molt_route_group_id(&b[2]) != molt_route_group_id(&a[2]));
	// One nexthop is a plain route; a single-path line still parses.
	assert_int_equal(molt_route_parse_multi("10.0.0.0/8 nexthop via 10.0.1.1 dev p0", b, err,
						sizeof(err)),
			 1);
	assert_int_equal(b[0].type, MOLT_RT_VIA);
	assert_string_equal(b[0].dev, "p0");
	assert_int_equal(molt_route_parse_multi("10.0.0.0/8 blackhole", b, err, sizeof(err)), 1);
	assert_int_equal(molt_route_parse_multi("  # nothing", b, err, sizeof(err)), 0);
	// 16 paths, IPv6, round trip through the formatter.
	n = snprintf(line, sizeof(line), "2001:db8::/32");
	for (int i = 16; i > 0; i--)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " nexthop via 2001:db8:ff::%x",
			      i);
	n = molt_route_parse_multi(line, a, err, sizeof(err));
	assert_int_equal(n, 17);
	for (int i = 0; i < 16; i++)
		molt_route_group_path(&a[i], &paths[i]);
	molt_route_format_paths(&a[16], paths, 16, buf, sizeof(buf));
	assert_int_equal(molt_route_parse_multi(buf, b, err, sizeof(err)), 17);
	assert_memory_equal(a, b, sizeof(a[0]) * 17);
	assert_int_equal(paths[0].gateway[15], 1);
	assert_int_equal(paths[15].gateway[15], 16);
}

static void test_multipath_errors(void **state)
{
	static const struct bad bad[] = {
		{ "10.0.0.0/8 nexthop via 10.0.1.1 nexthop", "a nexthop needs 'via GATEWAY'" },
		{ "10.0.0.0/8 nexthop dev p0 nexthop via 10.0.1.1", "a nexthop needs 'via" },
		{ "10.0.0.0/8 nexthop via 10.0.1.1 weight 0 nexthop via 10.0.1.2",
		  "weight must be 1-256 (near '0')" },
		{ "10.0.0.0/8 nexthop via 10.0.1.1 weight 257", "weight must be 1-256" },
		{ "10.0.0.0/8 nexthop via 10.0.1.1 weight", "'weight' needs a number" },
		{ "10.0.0.0/8 nexthop via 10.0.1.1 weight x1", "weight must be 1-256" },
		{ "10.0.0.0/8 nexthop via 10.0.1.1 via 10.0.1.2",
		  "'via' given twice in one nexthop" },
		{ "10.0.0.0/8 nexthop via 10.0.1.1 nexthop via 10.0.1.1",
		  "the same nexthop is given twice" },
		{ "10.0.0.0/8 nexthop via 2001:db8::1", "gateway is IPv6 but the prefix is IPv4" },
		{ "10.0.0.0/8 nexthop via 10.0.1.1 blackhole",
		  "unknown keyword in a nexthop (expected via, dev or weight) (near 'blackhole')" },
		{ "2001:db8::/32 nexthop via fe80::1 nexthop via fe80::2 dev p0",
		  "link-local gateway needs 'dev PORT'" },
		{ "10.0.0.0/8 via 10.0.1.1 nexthop via 10.0.1.2",
		  "unknown keyword (expected via, dev, blackhole or nexthop)" },
	};
	struct molt_route out[MOLT_ROUTE_RECS_MAX];
	char err[256], line[1024];
	int n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(molt_route_parse_multi(bad[i].line, out, err, sizeof(err)),
				 -EINVAL);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].line, err, bad[i].msg);
	}
	n = snprintf(line, sizeof(line), "10.0.0.0/8");
	for (int i = 1; i <= 17; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " nexthop via 10.0.1.%d", i);
	assert_int_equal(molt_route_parse_multi(line, out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than 16 nexthops"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_v4),
		cmocka_unit_test(test_good_v6),
		cmocka_unit_test(test_blank_and_comments),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_long_token_truncated),
		cmocka_unit_test(test_prefix_and_addr),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_same_key_and_hash),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_multipath),
		cmocka_unit_test(test_multipath_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
