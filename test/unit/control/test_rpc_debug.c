// SPDX-License-Identifier: BSD-3-Clause
// debug.tamper (control/rpc/rpc_debug.c) through rpc_handle_line, on a slot of each driver of
// the default rotation (molt, fib):
// the method does not exist until fault injection is enabled; then each kind changes what the
// slot forwards to (the next hop's MAC, its port, or the lookup itself) without any update path,
// and says where. Needs a --no-huge EAL for rte_zmalloc.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/neigh/neigh.h"
#include "control/rpc/rpc_debug.h"
#include "control/rpc/rpc_moltd.h"
#include "control/slot/slot_build.h"
#include "dataplane/dataplane.h"
#include "test/unit/control/slot_test_env.h"

static struct molt_config cfg;
static struct slot *slot;

static int group_setup(void **state)
{
	if (slot_test_eal("molt-test-rpc-debug", "256") < 0)
		return -1;
	slot_test_config(&cfg);
	cfg.neigh_timeout_ms = 30000;
	cfg.neigh_hold = 3;
	if (neigh_init(&cfg, 64) < 0)
		return -1;
	moltd_rpc.cfg = &cfg;
	moltd_rpc.slots = &slot;
	moltd_rpc.n_slots = 1;
	return 0;
}

static int group_teardown(void **state)
{
	neigh_fini();
	rte_eal_cleanup();
	return 0;
}

// A slot of the driver named by *state, in use.
static int setup(void **state)
{
	static const char *const lines[] = {
		"192.0.2.0/24 via 10.0.2.2",       "198.51.100.0/24 via 10.0.2.3",
		"203.0.113.0/24 via 10.0.1.2",     "100.64.0.0/10 dev p1",
		"2001:db8:400::/48 via fd00:1::2",
	};
	struct molt_route routes[sizeof(lines) / sizeof(lines[0])];
	struct slot_build_stats st;
	static uint64_t generation = 9;
	char err[256] = "";

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(molt_route_parse(lines[i], &routes[i], err, sizeof(err)), 0);
	slot = slot_build(&cfg, fib_driver_find(*state), generation++, routes,
			  sizeof(lines) / sizeof(lines[0]), &st, err, sizeof(err));
	if (slot == NULL)
		fail_msg("slot_build: %s", err);
	neigh_slot_attach(slot);
	slot->state = SLOT_ACTIVE;
	atomic_store(&molt_dp.active, slot);
	return 0;
}

static int teardown(void **state)
{
	static const char *const ips[] = { "10.0.2.2", "10.0.2.3", "10.0.1.2", "fd00:1::2" };
	static const char *const ports[] = { "p1", "p1", "p0", "p0" };
	uint8_t ip[16];

	atomic_store(&molt_dp.active, NULL);
	neigh_slot_detach(slot);
	slot_free_scrub(slot);
	slot = NULL;
	for (int i = 0; i < 4; i++) {
		const struct molt_port_conf *pc = strcmp(ports[i], "p0") == 0 ? &cfg.ports[0]
									      : &cfg.ports[1];

		addr(ips[i], ip);
		neigh_del_static(strchr(ips[i], ':') ? 6 : 4, ip, pc->port_id);
	}
	return 0;
}

// The reply to one request (result or error object).
static json_t *request(const char *method, const char *params)
{
	char line[1024];
	json_t *reply;
	char *out;

	snprintf(line, sizeof(line), "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"%s\"%s%s}",
		 method, params ? ", \"params\": " : "", params ? params : "");
	out = rpc_handle_line(line, strlen(line));
	assert_non_null(out);
	reply = json_loads(out, 0, NULL);
	assert_non_null(reply);
	free(out);
	return reply;
}

static json_t *call(const char *method, const char *params)
{
	json_t *reply = request(method, params), *r;

	if (json_object_get(reply, "error") != NULL)
		fail_msg("%s %s: %s", method, params,
			 json_string_value(
				 json_object_get(json_object_get(reply, "error"), "message")));
	r = json_incref(json_object_get(reply, "result"));
	json_decref(reply);
	return r;
}

static void call_fails(const char *method, const char *params, int code, const char *want)
{
	json_t *reply = request(method, params), *e = json_object_get(reply, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));

	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	if (msg == NULL || strncmp(msg, want, strlen(want)) != 0)
		fail_msg("%s %s:\n  got:  %s\n  want: %s", method, params, msg ? msg : "(none)",
			 want);
	json_decref(reply);
}

// The next hop a worker would use for an IPv4 address (dotted quad) now.
static uint32_t nh_of(const char *ip)
{
	uint8_t a[16];
	uint32_t host, nh;

	addr(ip, a);
	host = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	slot->ops4->lookup_bulk(slot->fib4, &host, &nh, 1);
	return nh;
}

static uint32_t nh6_of(const char *ip)
{
	uint8_t a[16];
	uint32_t nh;

	addr(ip, a);
	slot->ops6->lookup_bulk(slot->fib6, a, &nh, 1);
	return nh;
}

static void resolve(const char *ip, const char *mac, const char *port)
{
	char p[160];

	snprintf(p, sizeof(p), "{\"ip\": \"%s\", \"mac\": \"%s\", \"port\": \"%s\"}", ip, mac,
		 port);
	json_decref(call("neigh.add", p));
}

static void test_tamper(void **state)
{
	const char *mac = "{\"kind\": \"nexthop_mac\", \"address\": \"192.0.2.9\"}";
	uint32_t nh, other;
	uint64_t l2;
	json_t *r;

	// Without fault injection the method does not exist.
	mrpc_debug_enable(); // once is enough; twice is harmless

	call_fails("debug.tamper", "{\"kind\": \"bitflip\", \"address\": \"192.0.2.9\"}",
		   RPC_INVALID_PARAMS, "params.kind: expected \"nexthop_mac\"");
	call_fails("debug.tamper", "{\"kind\": \"lookup\"}", RPC_INVALID_PARAMS,
		   "params: missing \"address\"");
	call_fails("debug.tamper", "{\"kind\": \"lookup\", \"address\": \"10.255.0.1\"}",
		   RPC_ERR_FAILED, "no route to 10.255.0.1 in slot");
	// Unresolved: no MAC to change yet.
	call_fails("debug.tamper", mac, RPC_ERR_FAILED, "next hop");

	resolve("10.0.2.2", "02:00:00:00:02:02", "p1");
	resolve("10.0.2.3", "02:00:00:00:02:03", "p1");
	resolve("10.0.1.2", "02:00:00:00:01:02", "p0");
	nh = nh_of("192.0.2.9");
	l2 = atomic_load(&slot->nh[nh].l2);
	assert_int_equal(nh_l2_kind(l2), NH_FORWARD);

	// The MAC: one byte of the word changes, nothing else.
	r = call("debug.tamper", mac);
	assert_string_equal(json_string_value(json_object_get(r, "region")), "nexthops");
	assert_int_equal(json_integer_value(json_object_get(r, "offset")),
			 nh * sizeof(struct molt_nh) + offsetof(struct molt_nh, l2));
	assert_int_equal(json_integer_value(json_object_get(r, "generation")), slot->generation);
	assert_string_equal(json_string_value(json_object_get(r, "driver")), *state);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "old"), "mac")),
			    "02:00:00:00:02:02");
	assert_string_not_equal(
		json_string_value(json_object_get(json_object_get(r, "new"), "mac")),
		"02:00:00:00:02:02");
	json_decref(r);
	assert_int_equal(atomic_load(&slot->nh[nh].l2) & ~NH_L2_MAC_MASK, l2 & ~NH_L2_MAC_MASK);
	assert_int_not_equal(atomic_load(&slot->nh[nh].l2), l2);

	// The lookup: 192.0.2.9 now resolves to the next hop out of another port (10.0.1.2's).
	other = nh_of("203.0.113.1");
	r = call("debug.tamper", "{\"kind\": \"lookup\", \"address\": \"192.0.2.9\"}");
	assert_string_equal(json_string_value(json_object_get(r, "region")), "lookup");
	assert_int_equal(json_integer_value(json_object_get(r, "old")), nh);
	assert_int_equal(json_integer_value(json_object_get(r, "new")), other);
	assert_true(strlen(json_string_value(json_object_get(r, "what"))) > 0);
	json_decref(r);
	assert_int_equal(nh_of("192.0.2.9"), other);
	call_fails("debug.tamper",
		   "{\"kind\": \"lookup\", \"address\": \"192.0.2.10\", \"nexthop\": 100000}",
		   RPC_INVALID_PARAMS, "params.nexthop: expected a next-hop index below");

	// The port: the other one (p0, DPDK port 3), unless named.
	call_fails("debug.tamper",
		   "{\"kind\": \"nexthop_port\", \"address\": \"198.51.100.1\", \"port\": \"p1\"}",
		   RPC_INVALID_PARAMS, "params.port: p1 is the port it uses already");
	r = call("debug.tamper", "{\"kind\": \"nexthop_port\", \"address\": \"198.51.100.1\"}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "new"), "port")),
			    "p0");
	json_decref(r);
	assert_int_equal(nh_l2_port(atomic_load(&slot->nh[nh_of("198.51.100.1")].l2)), 3);

	// IPv6: the next hop's MAC, then the lookup (to an IPv4 gateway's next hop out of p1: the
	// index is all the FIB holds).
	resolve("fd00:1::2", "02:00:00:00:01:06", "p0");
	r = call("debug.tamper", "{\"kind\": \"nexthop_mac\", \"address\": \"2001:db8:400::1\"}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "old"), "mac")),
			    "02:00:00:00:01:06");
	json_decref(r);
	r = call("debug.tamper", "{\"kind\": \"lookup\", \"address\": \"2001:db8:400::1\"}");
	other = (uint32_t)json_integer_value(json_object_get(r, "new"));
	assert_int_not_equal(other, json_integer_value(json_object_get(r, "old")));
	json_decref(r);
	assert_int_equal(nh6_of("2001:db8:400::1"), other);
}

// Before anything enables it, the method does not exist.
static void test_absent(void **state)
{
	call_fails("debug.tamper", "{\"kind\": \"lookup\", \"address\": \"192.0.2.9\"}",
		   RPC_METHOD_NOT_FOUND, "");
}

int main(void)
{
	static const char *molt = "molt", *fib = "fib";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent),
		cmocka_unit_test_prestate_setup_teardown(test_tamper, setup, teardown,
							 (void *)molt),
		cmocka_unit_test_prestate_setup_teardown(test_tamper, setup, teardown, (void *)fib),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
