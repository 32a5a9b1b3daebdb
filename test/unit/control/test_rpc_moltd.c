// SPDX-License-Identifier: BSD-3-Clause
// moltd's JSON-RPC methods without ports: requests go through rpc_handle_line (the library's
// socket-free entry) to the registered handlers, against a slot built by slot_build on the
// reference driver. Checks route.lookup's answer for every action, params validation messages,
// static neighbours showing up in lookups, slot.list, route.count and port.stats with reset.
// Needs a --no-huge EAL for rte_zmalloc.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "control/neigh/neigh.h"
#include "control/rpc/rpc_moltd.h"
#include "control/slot/slot_build.h"
#include "dataplane/dataplane.h"
#include "dataplane/ecmp_path.h"
#include "test/unit/control/slot_test_env.h"

static struct molt_config cfg;
static struct slot *slot;

static void build_slot(void)
{
	static const char *const lines[] = {
		"192.0.2.0/24 via 10.0.2.2",       "198.51.100.0/24 via 10.0.2.2 dev p0",
		"203.0.113.0/24 blackhole",        "100.64.0.0/10 dev p1",
		"2001:db8:400::/48 via fd00:1::2",
	};
	struct molt_route routes[sizeof(lines) / sizeof(lines[0])];
	struct slot_build_stats st;
	char err[256] = "";

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(molt_route_parse(lines[i], &routes[i], err, sizeof(err)), 0);
	slot = slot_build(&cfg, fib_driver_find("reference"), 7, routes,
			  sizeof(lines) / sizeof(lines[0]), &st, err, sizeof(err));
	if (slot == NULL)
		fail_msg("slot_build: %s", err);
	neigh_slot_attach(slot);
	slot->state = SLOT_ACTIVE;
	atomic_store(&molt_dp.active, slot);
}

static int setup(void **state)
{
	if (slot_test_eal("molt-test-rpc-moltd", "256") < 0)
		return -1;
	slot_test_config(&cfg);
	addr("fe80::ff:fe00:101", cfg.ports[0].ll6);
	cfg.neigh_timeout_ms = 30000;
	cfg.neigh_hold = 3;
	if (neigh_init(&cfg, 64) < 0)
		return -1;
	moltd_rpc.cfg = &cfg;
	moltd_rpc.slots = &slot;
	moltd_rpc.n_slots = 1;
	moltd_rpc.start_ns = molt_now_ns();
	build_slot();
	return 0;
}

static int teardown(void **state)
{
	atomic_store(&molt_dp.active, NULL);
	neigh_slot_detach(slot);
	slot_free_scrub(slot);
	neigh_fini();
	rte_eal_cleanup();
	return 0;
}

// Sends one request; returns the reply's result (the reply must not be an error).
static json_t *reply_of(const char *method, const char *params)
{
	char line[4096];
	json_error_t jerr;
	json_t *reply;
	char *out;

	snprintf(line, sizeof(line), "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"%s\"%s%s}",
		 method, params ? ", \"params\": " : "", params ? params : "");
	out = rpc_handle_line(line, strlen(line));
	assert_non_null(out);
	reply = json_loads(out, 0, &jerr);
	if (reply == NULL)
		fail_msg("bad reply to %s: %s", line, out);
	free(out);
	return reply;
}

static json_t *call(const char *method, const char *params)
{
	json_t *reply = reply_of(method, params), *result;

	if (json_object_get(reply, "error") != NULL) {
		char *s = json_dumps(reply, 0);

		fail_msg("%s %s failed: %s", method, params ? params : "", s);
	}
	result = json_incref(json_object_get(reply, "result"));
	json_decref(reply);
	return result;
}

// Expects an error with this code whose message starts with want.
static void call_fails(const char *method, const char *params, int code, const char *want)
{
	json_t *reply = reply_of(method, params);
	json_t *e = json_object_get(reply, "error");
	const char *msg;

	if (e == NULL)
		fail_msg("%s %s succeeded", method, params ? params : "");
	msg = json_string_value(json_object_get(e, "message"));
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	if (msg == NULL || strncmp(msg, want, strlen(want)) != 0)
		fail_msg("%s %s:\n  got:  %s\n  want: %s", method, params ? params : "",
			 msg ? msg : "(none)", want);
	json_decref(reply);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		fail_msg("no string \"%s\"", key);
	return s;
}

static void test_lookup_actions(void **state)
{
	json_t *r = call("route.lookup",
			 "{\"addresses\": [\"192.0.2.9\", \"198.51.100.1\", "
			 "\"203.0.113.7\", \"100.64.0.1\", \"10.0.1.1\", \"8.8.8.8\", "
			 "\"fe80::99\", \"2001:DB8:400::1\", \"fd00:1::9\"]}");
	json_t *a;

	assert_int_equal(json_array_size(r), 9);
	a = json_array_get(r, 0);
	assert_string_equal(str(a, "address"), "192.0.2.9");
	assert_string_equal(str(a, "action"), "forward");
	assert_string_equal(str(a, "next_hop"), "10.0.2.2");
	assert_string_equal(str(a, "port"), "p1");
	assert_null(json_object_get(a, "neighbor")); // nobody resolved 10.0.2.2
	a = json_array_get(r, 1);
	assert_string_equal(str(a, "next_hop"), "10.0.2.2");
	assert_string_equal(str(a, "port"), "p0"); // dev wins over the on-link port
	assert_string_equal(str(json_array_get(r, 2), "action"), "blackhole");
	assert_null(json_object_get(json_array_get(r, 2), "port"));
	a = json_array_get(r, 3);
	assert_string_equal(str(a, "action"), "forward");
	assert_string_equal(str(a, "next_hop"), "on-link");
	assert_string_equal(str(a, "port"), "p1");
	assert_string_equal(str(json_array_get(r, 4), "action"), "local");
	assert_string_equal(str(json_array_get(r, 5), "action"), "unreachable");
	assert_string_equal(str(json_array_get(r, 6), "action"), "drop");
	a = json_array_get(r, 7);
	assert_string_equal(str(a, "address"), "2001:db8:400::1"); // canonical form
	assert_string_equal(str(a, "next_hop"), "fd00:1::2");
	assert_string_equal(str(a, "port"), "p0");
	a = json_array_get(r, 8);
	assert_string_equal(str(a, "next_hop"), "on-link");
	assert_string_equal(str(a, "port"), "p0");
	json_decref(r);

	r = call("route.lookup", "{\"addresses\": []}");
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
}

static void test_lookup_params(void **state)
{
	char *big, *out;
	size_t n = 0;

	call_fails("route.lookup",
		   "{\"addresses\": [\"1.1.1.1\", \"::1\", \"10.0.0.1\", "
		   "\"10.0.0.300\"]}",
		   RPC_INVALID_PARAMS,
		   "addresses[3]: \"10.0.0.300\" is not an IPv4 or IPv6 address");
	call_fails("route.lookup", "{\"addresses\": [17]}", RPC_INVALID_PARAMS,
		   "addresses[0]: 17 is not an IPv4 or IPv6 address");
	call_fails("route.lookup", "{\"addresses\": \"1.1.1.1\"}", RPC_INVALID_PARAMS,
		   "addresses: expected an array");
	call_fails("route.lookup", "{}", RPC_INVALID_PARAMS, "params: missing \"addresses\"");
	call_fails("route.lookup", NULL, RPC_INVALID_PARAMS, "params: expected an object");
	call_fails("route.lookup", "{\"addresses\": [], \"vrf\": 1}", RPC_INVALID_PARAMS,
		   "params.vrf: unknown parameter (known: addresses, flow)");
	call_fails("route.lookup", "{\"addresses\": [], \"flow\": {\"src\": \"10.0.0.1\"}}",
		   RPC_INVALID_PARAMS, "flow: missing \"proto\"");
	call_fails("route.lookup",
		   "{\"addresses\": [], \"flow\": {\"src\": \"10.0.0.1\", \"proto\": 6, "
		   "\"sport\": 70000}}",
		   RPC_INVALID_PARAMS, "flow.sport: expected an integer 0-65535");
	call_fails("route.lookup",
		   "{\"addresses\": [], \"flow\": {\"src\": \"10.0.0.1\", \"proto\": 6, "
		   "\"port\": 1}}",
		   RPC_INVALID_PARAMS, "flow: unknown member \"port\" (src, proto, sport, dport)");

	// One more than the limit, built as the request itself (rpc_handle_line takes any size).
	big = malloc((MRPC_LOOKUP_MAX + 1) * 20 + 128);
	assert_non_null(big);
	n += (size_t)sprintf(big + n, "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": "
				      "\"route.lookup\", \"params\": {\"addresses\": [");
	for (int i = 0; i <= MRPC_LOOKUP_MAX; i++)
		n += (size_t)sprintf(big + n, "%s\"10.%d.%d.1\"", i ? "," : "", i / 256, i % 256);
	n += (size_t)sprintf(big + n, "]}}");
	out = rpc_handle_line(big, n);
	assert_non_null(strstr(out, "addresses: 10001 addresses, at most 10000 per call"));
	free(out);
	free(big);
}

static void test_no_slot(void **state)
{
	atomic_store(&molt_dp.active, NULL);
	call_fails("route.lookup", "{\"addresses\": [\"1.1.1.1\"]}", RPC_ERR_FAILED,
		   "no slot in use yet");
	call_fails("route.count", NULL, RPC_ERR_FAILED, "no slot in use yet");
	atomic_store(&molt_dp.active, slot);
}

static void test_neigh(void **state)
{
	json_t *r, *a;

	call_fails("neigh.add",
		   "{\"ip\": \"10.0.2.2\", \"mac\": \"02:00:00:00:02:02\", "
		   "\"port\": \"p9\"}",
		   RPC_INVALID_PARAMS, "port 'p9' does not exist (ports: p0, p1)");
	call_fails("neigh.add",
		   "{\"ip\": \"10.0.2.2\", \"mac\": \"02:00:00:00:02\", "
		   "\"port\": \"p1\"}",
		   RPC_INVALID_PARAMS, "mac: \"02:00:00:00:02\" is not a MAC address");
	call_fails("neigh.add",
		   "{\"ip\": \"10.0.2.2\", \"mac\": \"01:00:5e:00:00:01\", "
		   "\"port\": \"p1\"}",
		   RPC_INVALID_PARAMS, "mac: \"01:00:5e:00:00:01\" is not a unicast MAC address");
	call_fails("neigh.add",
		   "{\"ip\": \"224.0.0.1\", \"mac\": \"02:00:00:00:02:02\", "
		   "\"port\": \"p1\"}",
		   RPC_INVALID_PARAMS, "ip: \"224.0.0.1\" is not a unicast host address");
	call_fails("neigh.add", "{\"ip\": \"10.0.2.2\", \"port\": \"p1\"}", RPC_INVALID_PARAMS,
		   "params: missing \"mac\"");
	call_fails("neigh.del", "{\"ip\": \"10.0.2.77\", \"port\": \"p1\"}", RPC_ERR_FAILED,
		   "no static neighbour 10.0.2.77 on p1");

	json_decref(call("neigh.add", "{\"ip\": \"10.0.2.2\", \"mac\": \"02:00:00:00:02:0A\", "
				      "\"port\": \"p1\"}"));
	json_decref(call("neigh.add", "{\"ip\": \"100.64.0.1\", \"mac\": \"02:00:00:00:02:0b\", "
				      "\"port\": \"p1\"}"));
	r = call("route.lookup", "{\"addresses\": [\"192.0.2.1\", \"198.51.100.1\", "
				 "\"100.64.0.1\"]}");
	a = json_object_get(json_array_get(r, 0), "neighbor");
	assert_non_null(a);
	assert_string_equal(str(a, "mac"), "02:00:00:00:02:0a");
	assert_string_equal(str(a, "state"), "static");
	// Same gateway on another port: another neighbour, unknown.
	assert_null(json_object_get(json_array_get(r, 1), "neighbor"));
	a = json_object_get(json_array_get(r, 2), "neighbor"); // on-link: the destination itself
	assert_non_null(a);
	assert_string_equal(str(a, "mac"), "02:00:00:00:02:0b");
	json_decref(r);

	r = call("neigh.list", "{\"port\": \"p1\"}");
	assert_int_equal(json_array_size(r), 2);
	a = json_array_get(r, 0);
	assert_string_equal(str(a, "port"), "p1");
	assert_string_equal(str(a, "state"), "static");
	json_decref(r);
	r = call("neigh.list", "{\"port\": \"p0\"}");
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);

	json_decref(call("neigh.del", "{\"ip\": \"10.0.2.2\", \"port\": \"p1\"}"));
	json_decref(call("neigh.del", "{\"ip\": \"100.64.0.1\", \"port\": \"p1\"}"));
	r = call("route.lookup", "{\"addresses\": [\"192.0.2.1\"]}");
	assert_null(json_object_get(json_array_get(r, 0), "neighbor"));
	json_decref(r);
	r = call("neigh.list", NULL);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
}

static void test_slot_and_count(void **state)
{
	json_t *r = call("slot.list", NULL), *s;

	assert_int_equal(json_array_size(r), 1);
	s = json_array_get(r, 0);
	assert_string_equal(str(s, "state"), "active");
	assert_string_equal(str(s, "driver"), "reference");
	assert_true(json_is_true(json_object_get(s, "active")));
	assert_int_equal(json_integer_value(json_object_get(s, "generation")), 7);
	assert_int_equal(json_integer_value(json_object_get(s, "routes4")), 4);
	assert_int_equal(json_integer_value(json_object_get(s, "routes6")), 1);
	assert_true(json_integer_value(json_object_get(s, "memory")) > 0);
	json_decref(r);

	r = call("route.count", NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "ipv4")), 4);
	assert_int_equal(json_integer_value(json_object_get(r, "ipv6")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 5);
	json_decref(r);
	call_fails("slot.list", "{\"id\": 1}", RPC_INVALID_PARAMS,
		   "params.id: unknown parameter (known: none)");
}

static void test_port_stats(void **state)
{
	json_t *r, *p;

	molt_port_ctr[5][0].rx = 10;
	molt_port_ctr[5][MOLT_MAX_WORKERS].rx = 1; // the control thread's column counts too
	molt_port_ctr[5][0].drops[MOLT_DROP_NO_ROUTE] = 4;
	molt_port_ctr[5][1].drops[MOLT_DROP_TTL_EXCEEDED] = 2;
	r = call("port.stats", "{\"port\": \"p1\", \"reset\": true}");
	assert_int_equal(json_array_size(r), 1);
	p = json_array_get(r, 0);
	assert_string_equal(str(p, "name"), "p1");
	assert_int_equal(json_integer_value(json_object_get(p, "rx")), 11);
	assert_int_equal(json_integer_value(json_object_get(p, "dropped")), 6);
	assert_int_equal(json_object_size(json_object_get(p, "drops")), MOLT_DROP_MAX);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(p, "drops"), "no_route")), 4);
	json_decref(r);
	r = call("port.stats", NULL);
	assert_int_equal(json_array_size(r), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "rx")), 0);
	json_decref(r);
	call_fails("port.stats", "{\"reset\": 1}", RPC_INVALID_PARAMS,
		   "reset: 1 is not true or false");
	call_fails("port.stats", "{\"port\": \"eth0\"}", RPC_INVALID_PARAMS,
		   "port 'eth0' does not exist (ports: p0, p1)");
	call_fails("port.stats", "[\"p0\"]", RPC_INVALID_PARAMS, "params: expected an object");
}

static void test_misc(void **state)
{
	json_t *r = call("molt.version", NULL);

	assert_non_null(json_string_value(json_object_get(r, "version")));
	assert_non_null(strstr(str(r, "dpdk"), "22.11"));
	json_decref(r);
	r = call("molt.status", NULL);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "slot"), "generation")), 7);
	assert_true(json_is_null(json_object_get(r, "feed")));
	// Memory: each slot's, and DPDK's heap (some of it free, all of it within the total).
	{
		const json_t *m = json_object_get(r, "memory"), *sl = json_object_get(m, "slots");
		json_int_t used = json_integer_value(json_object_get(m, "heap_used_bytes"));
		json_int_t free_b = json_integer_value(json_object_get(m, "heap_free_bytes"));
		json_int_t total = json_integer_value(json_object_get(m, "heap_total_bytes"));

		assert_int_equal(json_array_size(sl), 1);
		assert_true(json_integer_value(json_object_get(json_array_get(sl, 0), "memory")) >
			    0);
		assert_int_equal(
			json_integer_value(json_object_get(m, "slots_bytes")),
			json_integer_value(json_object_get(json_array_get(sl, 0), "memory")));
		assert_true(used > 0 && free_b > 0 && used + free_b <= total);
	}
	json_decref(r);
	r = call("worker.stats", NULL);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	// No device behind the ids: names and addresses still listed, link unknown.
	r = call("port.list", NULL);
	assert_int_equal(json_array_size(r), 2);
	assert_string_equal(str(json_array_get(r, 0), "name"), "p0");
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(json_array_get(r, 0), "ipv4"), 0)),
		"10.0.1.1/24");
	assert_string_equal(str(json_array_get(r, 0), "link_local"), "fe80::ff:fe00:101");
	json_decref(r);
}

// A multipath route: every path of its group, and for a flow the path ecmp_path (what the
// workers run) gives it; an unresolved path is not usable, a path not on-link is not placed.
static void test_lookup_multipath(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0x50, 1 };
	const char *line = "198.18.0.0/16 nexthop via 10.0.2.20 nexthop via 10.0.2.30 weight 2 "
			   "nexthop via 10.0.1.50 nexthop via 10.7.7.7";
	struct molt_route recs[MOLT_ROUTE_RECS_MAX];
	struct slot_build_stats st;
	struct slot *s, *prev = slot;
	uint8_t gw[16] = { 0 }, gw2[16] = { 0 };
	unsigned seen[4] = { 0 };
	char err[256] = "", req[256];
	int n = molt_route_parse_multi(line, recs, err, sizeof(err));
	json_t *r, *a, *paths;

	assert_int_equal(n, 5);
	s = slot_build(&cfg, fib_driver_find("reference"), 8, recs, (uint64_t)n, &st, err,
		       sizeof(err));
	if (s == NULL)
		fail_msg("slot_build: %s", err);
	neigh_slot_attach(s);
	atomic_store(&molt_dp.active, s);
	addr("10.0.2.20", gw);
	addr("10.0.1.50", gw2);
	assert_int_equal(neigh_add_static(4, gw, (const struct rte_ether_addr *)mac, 5), 0);
	assert_int_equal(neigh_add_static(4, gw2, (const struct rte_ether_addr *)mac, 3), 0);

	r = call("route.lookup", "{\"addresses\": [\"198.18.1.1\"]}");
	a = json_array_get(r, 0);
	assert_string_equal(str(a, "action"), "forward");
	assert_string_equal(str(a, "next_hop"), "multipath");
	assert_null(json_object_get(a, "flow_path"));
	paths = json_object_get(a, "paths");
	assert_int_equal(json_array_size(paths), 4);
	// Gateway order: 10.0.1.50, 10.0.2.20, 10.0.2.30, 10.7.7.7.
	assert_string_equal(str(json_array_get(paths, 0), "gateway"), "10.0.1.50");
	assert_string_equal(str(json_array_get(paths, 0), "port"), "p0");
	assert_true(json_is_true(json_object_get(json_array_get(paths, 0), "usable")));
	assert_string_equal(str(json_array_get(paths, 1), "gateway"), "10.0.2.20");
	assert_string_equal(str(json_array_get(paths, 2), "gateway"), "10.0.2.30");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(paths, 2), "weight")),
			 2);
	assert_true(json_is_false(json_object_get(json_array_get(paths, 2), "usable")));
	assert_true(json_is_false(json_object_get(json_array_get(paths, 3), "placed")));
	assert_null(json_object_get(json_array_get(paths, 3), "gateway"));
	assert_non_null(json_object_get(json_array_get(paths, 1), "packets"));
	json_decref(r);

	for (unsigned i = 0; i < 200; i++) {
		const struct molt_nh_group *g = &s->grp[0];
		uint8_t src[16] = { 10, 0, 1, (uint8_t)(i + 2) }, dst[16] = { 198, 18, 0, 1 };
		struct ecmp_flow f;
		bool usable;
		int want;

		snprintf(req, sizeof(req),
			 "{\"addresses\": [\"198.18.0.1\"], \"flow\": {\"src\": \"10.0.1.%u\", "
			 "\"proto\": 6, \"sport\": %u, \"dport\": 443}}",
			 i + 2, 30000 + i);
		r = call("route.lookup", req);
		a = json_object_get(json_array_get(r, 0), "flow_path");
		assert_non_null(a);
		ecmp_flow_make(4, src, dst, 6, (uint16_t)(30000 + i), 443, &f);
		want = ecmp_path(s, g, ecmp_flow_hash(&f), 0, &usable);
		assert_true(usable);
		assert_int_equal(json_integer_value(json_object_get(a, "index")), want);
		assert_true(want == 0 || want == 1); // the resolved paths only
		seen[want]++;
		json_decref(r);
	}
	assert_true(seen[0] > 40 && seen[1] > 40);
	assert_int_equal(neigh_del_static(4, gw, 5), 0);
	assert_int_equal(neigh_del_static(4, gw2, 3), 0);
	atomic_store(&molt_dp.active, prev);
	neigh_slot_detach(s);
	slot_free_scrub(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_actions), cmocka_unit_test(test_lookup_params),
		cmocka_unit_test(test_no_slot),        cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_slot_and_count), cmocka_unit_test(test_port_stats),
		cmocka_unit_test(test_misc),           cmocka_unit_test(test_lookup_multipath),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
