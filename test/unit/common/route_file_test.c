// SPDX-License-Identifier: BSD-3-Clause
// Route file loader: whole-file acceptance, replace-on-duplicate, errors with file and line.
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

#include "routeserver/route_file.h"

static int parse(const char *text, struct rib *rib, struct route_file_stats *st, char *err,
		 size_t errlen)
{
	assert_int_equal(rib_init(rib, 0), 0);
	return route_file_parse("routes.txt", text, strlen(text), rib, st, err, errlen);
}

static const struct molt_route *find(const struct rib *rib, const char *line)
{
	struct molt_route key;
	char err[128];

	assert_int_equal(molt_route_parse(line, &key, err, sizeof(err)), 0);
	return rib_find(rib, &key);
}

static void test_good_file(void **state)
{
	static const char text[] = "# molt routes\n"
				   "\n"
				   "192.0.2.0/24 via 10.0.1.2\n"
				   "2001:db8::/32 via fd00:1::2 dev p1   # upstream\n"
				   "198.51.100.0/24 dev p0\r\n"
				   "203.0.113.0/24 blackhole\n"
				   "\t\n"
				   "2001:db8:1::/48 blackhole"; // no final newline
	struct route_file_stats st;
	struct rib rib;
	char err[256];

	assert_int_equal(parse(text, &rib, &st, err, sizeof(err)), 0);
	assert_int_equal(rib.count, 5);
	assert_int_equal(rib.count_v4, 3);
	assert_int_equal(st.lines, 8);
	assert_int_equal(st.routes, 5);
	assert_int_equal(st.replaced, 0);
	assert_non_null(find(&rib, "2001:db8:1::/48 blackhole"));
	assert_string_equal(find(&rib, "198.51.100.0/24 blackhole")->dev, "p0");
	rib_free(&rib);
}

static void test_duplicate_replaces(void **state)
{
	static const char text[] = "192.0.2.0/24 via 10.0.1.2\n"
				   "192.0.2.0/25 via 10.0.1.2\n"
				   "192.0.2.0/24 via 10.0.2.2 dev p2\n"
				   "2001:db8::/32 blackhole\n"
				   "192.0.2.0/24 blackhole\n"
				   "2001:db8::/32 dev p1\n";
	struct route_file_stats st;
	const struct molt_route *r;
	uint64_t digest = 0;
	struct rib rib;
	char err[256];

	assert_int_equal(parse(text, &rib, &st, err, sizeof(err)), 0);
	assert_int_equal(rib.count, 3);
	assert_int_equal(st.routes, 6);
	assert_int_equal(st.replaced, 3);
	r = find(&rib, "192.0.2.0/24 blackhole");
	assert_int_equal(r->type, MOLT_RT_BLACKHOLE); // the last line wins
	assert_string_equal(r->dev, "");
	r = find(&rib, "2001:db8::/32 blackhole");
	assert_int_equal(r->type, MOLT_RT_DEV);
	// The incremental digest follows the replacements.
	for (uint32_t i = 0; i < rib.count; i++)
		digest += molt_route_hash(&rib.routes[i]);
	assert_int_equal(digest, rib.digest);
	rib_free(&rib);
}

static void test_error_names_file_and_line(void **state)
{
	static const char text[] = "192.0.2.0/24 via 10.0.1.2\n"
				   "# fine so far\n"
				   "10.0.0.1/8 via 192.0.2.1\n"
				   "this line is never reached\n";
	struct rib rib;
	char err[256];

	assert_int_equal(parse(text, &rib, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "routes.txt:3: host bits set in 10.0.0.1/8, did you mean "
				 "10.0.0.0/8?");
	rib_free(&rib);

	assert_int_equal(parse("\n\n\n\n192.0.2.0/24 via 10.0.1.2 proto static\n", &rib, NULL, err,
			       sizeof(err)),
			 -EINVAL);
	assert_string_equal(
		err, "routes.txt:5: unknown keyword (expected via, dev, blackhole or nexthop) "
		     "(near 'proto')");
	rib_free(&rib);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "192.0.2.0/24 via 10.0.1.2\n192.0.2.0/24\0 garbage\n";
	struct rib rib;
	char err[256];

	assert_int_equal(rib_init(&rib, 0), 0);
	assert_int_equal(
		route_file_parse("bin", text, sizeof(text) - 1, &rib, NULL, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "bin:2: NUL byte in the file (is it a text file?)");
	rib_free(&rib);
}

static void test_load_from_disk(void **state)
{
	char path[] = "/tmp/molt-routes-XXXXXX", err[512];
	struct route_file_stats st;
	struct rib rib;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "%d.%d.%d.0/24 via 10.0.%d.2\n", 100 + i / 65536 % 100, i / 256 % 256,
			i % 256, i % 4);
	fprintf(f, "2001:db8::/32 via fd00::2\n");
	fclose(f);

	assert_int_equal(rib_init(&rib, route_file_size_hint(100)), 0);
	assert_int_equal(route_file_load(path, &rib, &st, err, sizeof(err)), 0);
	assert_int_equal(rib.count, 3001);
	assert_int_equal(rib.count_v4, 3000);
	assert_int_equal(st.lines, 3001);
	rib_free(&rib);

	unlink(path);
	assert_int_equal(rib_init(&rib, 0), 0);
	assert_int_equal(route_file_load(path, &rib, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(route_file_load("/tmp", &rib, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	rib_free(&rib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_duplicate_replaces),
		cmocka_unit_test(test_error_names_file_and_line),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_load_from_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
