// SPDX-License-Identifier: BSD-3-Clause
// The route server's route.add / route.del / route.show / route.count methods on a real feed,
// through the JSON-RPC dispatcher: the structured multipath form {"prefix", "paths": [...]}
// gives exactly the records of the route-file line "P nexthop via A ...", and refuses the same
// mistakes with a message naming the path; counts are of routes, not of group records.
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
#include <jansson.h>

#include "common/rpc/rpc.h"
#include "routeserver/rs_table.h"
#include "test/unit/routeserver/rs_test_table.h"

static int setup(void **state)
{
	rs_test_table_open("rpcroute", 100, 200, 64);
	return 0;
}

static int teardown(void **state)
{
	rs_test_table_close();
	return 0;
}

// Calls method with params (JSON text); returns the reply's result or error object (caller
// decrefs) and sets *ok.
static json_t *call(const char *method, const char *params, bool *ok)
{
	char line[4096], *out;
	json_t *reply, *v;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
	out = rpc_handle_line(line, strlen(line));
	assert_non_null(out);
	reply = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(reply);
	v = json_object_get(reply, "result");
	*ok = v != NULL;
	if (v == NULL)
		v = json_object_get(reply, "error");
	assert_non_null(v);
	json_incref(v);
	json_decref(reply);
	return v;
}

// The call must fail with a message containing want.
static void refused(const char *method, const char *params, const char *want)
{
	bool ok;
	json_t *e = call(method, params, &ok);
	const char *msg = json_string_value(json_object_get(e, "message"));

	if (ok || msg == NULL || strstr(msg, want) == NULL)
		fail_msg("%s %s: expected an error with '%s', got %s", method, params, want,
			 msg != NULL ? msg : "success");
	json_decref(e);
}

static void succeeds(const char *method, const char *params)
{
	bool ok;
	json_t *r = call(method, params, &ok);

	if (!ok)
		fail_msg("%s %s: %s", method, params,
			 json_string_value(json_object_get(r, "message")));
	json_decref(r);
}

// The published table's records, sorted bytewise, as one comparable blob.
static int rec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct molt_route));
}

static struct molt_route *snapshot_recs(uint32_t *n)
{
	struct molt_route *r = malloc(sizeof(*r) * (rs_table.rib.count + 1));

	assert_non_null(r);
	memcpy(r, rs_table.rib.routes, sizeof(*r) * rs_table.rib.count);
	qsort(r, rs_table.rib.count, sizeof(*r), rec_cmp);
	*n = rs_table.rib.count;
	return r;
}

static void test_structured_equals_line(void **state)
{
	struct molt_route *a, *b;
	uint32_t na, nb;

	succeeds("route.add", "{\"route\": \"203.0.113.0/24 nexthop via 10.0.1.2 dev p1 weight 2 "
			      "nexthop via 10.0.2.2\"}");
	a = snapshot_recs(&na);
	assert_int_equal(na, 3); // the route and its group's two path records
	succeeds("route.del", "{\"route\": \"203.0.113.0/24\"}");
	// gc of the group's records happens before the next snapshot
	rs_table_flush(&rs_table, UINT64_MAX / 2);
	assert_int_equal(rs_table.rib.count, 0);
	// Same paths in another order and with the default weight spelt out: same records.
	succeeds(
		"route.add",
		"{\"route\": {\"prefix\": \"203.0.113.0/24\", \"paths\": [{\"via\": "
		"\"10.0.2.2\", \"weight\": 1}, {\"via\": \"10.0.1.2\", \"dev\": \"p1\", \"weight\": "
		"2}]}}");
	b = snapshot_recs(&nb);
	assert_int_equal(nb, na);
	assert_memory_equal(a, b, sizeof(*a) * na);
	free(a);
	free(b);

	// A route.del of the full structured route matches the published one.
	succeeds("route.del", "{\"route\": {\"prefix\": \"203.0.113.0/24\", \"paths\": [{\"via\": "
			      "\"10.0.1.2\", \"dev\": \"p1\", \"weight\": 2}, {\"via\": "
			      "\"10.0.2.2\"}]}}");
	assert_int_equal(rib_routes(&rs_table.rib), 0);
}

static void test_show_and_count(void **state)
{
	json_t *r, *p;
	bool ok;

	succeeds("route.add",
		 "{\"routes\": [{\"prefix\": \"2001:db8:5::/48\", \"paths\": [{\"via\": "
		 "\"2001:db8::2\"}, {\"via\": \"2001:db8::3\", \"weight\": 256}, {\"via\": "
		 "\"fe80::1\", \"dev\": \"p0\"}]}, {\"prefix\": \"198.51.100.0/24\", \"paths\": "
		 "[{\"via\": \"10.0.1.2\", \"dev\": \"p1\"}]}, \"192.0.2.0/24 blackhole\"]}");
	r = call("route.show", "{\"prefix\": \"2001:db8:5::/48\"}", &ok);
	assert_true(ok);
	assert_string_equal(
		json_string_value(json_object_get(r, "published")),
		"2001:db8:5::/48 nexthop via 2001:db8::2 nexthop via 2001:db8::3 weight "
		"256 nexthop via fe80::1 dev p0");
	p = json_object_get(r, "paths");
	assert_int_equal(json_array_size(p), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p, 1), "via")),
			    "2001:db8::3");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 1), "weight")), 256);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p, 2), "dev")), "p0");
	json_decref(r);

	// One path is a plain 'via' route.
	r = call("route.show", "{\"prefix\": \"198.51.100.0/24\"}", &ok);
	assert_true(ok);
	assert_string_equal(json_string_value(json_object_get(r, "published")),
			    "198.51.100.0/24 via 10.0.1.2 dev p1");
	json_decref(r);

	// Three routes, whatever the group records.
	r = call("route.count", "{}", &ok);
	assert_true(ok);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 3);
	assert_int_equal(json_integer_value(json_object_get(r, "ipv4")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "ipv6")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "groups")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "group_records")), 3);
	json_decref(r);
}

static void test_refusals(void **state)
{
	static const char *const P = "{\"route\": {\"prefix\": \"203.0.113.0/24\", \"paths\": [";
	char buf[2048];
	size_t off;
	int i;

#define REFUSED(paths, want) \
	do { \
		snprintf(buf, sizeof(buf), "%s%s]}}", P, paths); \
		refused("route.add", buf, want); \
	} while (0)
	REFUSED("{\"via\": \"10.0.1.2\"}, {\"via\": \"10.0.1.2\"}",
		"route.paths[1]: the same nexthop is given twice");
	REFUSED("{\"via\": \"10.0.1.2\"}, {\"via\": \"2001:db8::1\"}",
		"route.paths[1]: gateway is IPv6 but the prefix is IPv4");
	REFUSED("{\"via\": \"10.0.1.2\", \"weight\": 0}", "route.paths[0]: weight must be 1-256");
	REFUSED("{\"via\": \"10.0.1.2\", \"weight\": 257}", "weight must be 1-256");
	REFUSED("{\"via\": \"10.0.1.2\", \"weight\": -1}", "weight must be 1-256");
	REFUSED("{\"via\": \"10.0.1.2\", \"weight\": \"2\"}",
		"route.paths[0].weight: expected an integer 1-256, got a string");
	REFUSED("{\"dev\": \"p1\"}", "route.paths[0]: missing \"via\"");
	REFUSED("{\"via\": \"10.0.1.2 dev p9\"}", "route.paths[0].via: \"10.0.1.2 dev p9\" is not "
						  "one word");
	REFUSED("{\"via\": \"10.0.1.2\", \"gw\": 1}", "route.paths[0].gw: unknown parameter");
	REFUSED("{\"via\": \"10.0.1.2\", \"dev\": \"a-port-name-too-long\"}",
		"port name longer than 15 characters");
	REFUSED("", "route.paths: needs at least 1 element");
	off = 0;
	for (i = 0; i < 17; i++)
		off += (size_t)snprintf(buf + 1024 + off, 1024 - off, "%s{\"via\": \"10.0.1.%d\"}",
					i ? "," : "", i + 1);
	{
		char many[1100];

		snprintf(many, sizeof(many), "%s", buf + 1024);
		REFUSED(many, "route.paths: has 17 elements, at most 16");
	}
#undef REFUSED
	refused("route.add",
		"{\"route\": {\"prefix\": \"203.0.113.1/24\", \"paths\": [{\"via\": "
		"\"10.0.1.2\"}]}}",
		"route.prefix: host bits set");
	refused("route.add", "{\"route\": {\"prefix\": \"203.0.113.0/24\"}}",
		"route: missing \"paths\"");
	refused("route.add",
		"{\"routes\": [\"10.9.0.0/16 blackhole\", {\"prefix\": \"10.8.0.0/16\", "
		"\"paths\": [{\"via\": \"10.0.1.1\"}, {\"via\": \"10.0.1.1\"}]}]}",
		"routes[1].paths[1]: the same nexthop is given twice");
	// Nothing of the refused requests was applied.
	assert_int_equal(rs_table.rib.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_structured_equals_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_and_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
