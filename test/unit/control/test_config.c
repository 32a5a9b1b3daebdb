// SPDX-License-Identifier: BSD-3-Clause
// molt_config_load: a full config, the defaults, and one case per kind of mistake, each checked
// for the exact file/path/value message an operator will read.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/config/config.h"

static char dir[64];
static char path[128];
static struct molt_config cfg;

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/molt-config-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/config.json", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static int load(const char *json, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	return molt_config_load(path, &cfg, err, errlen);
}

#define PORT0 "{\"name\": \"p0\", \"devargs\": \"net_null0\", \"ipv4\": [\"10.0.1.1/24\"]}"
#define FEED "\"feed\": {\"shm\": \"/molt\"}"
// One port p0 with extra keys.
#define P0(extra) \
	"{\"ports\": [{\"name\": \"p0\", \"devargs\": \"net_null0\", " extra "}], " FEED "}"
// A valid config plus extra top-level keys.
#define WITH(extra) "{\"ports\": [" PORT0 "], " FEED ", " extra "}"

static void test_full(void **state)
{
	static const char json[] =
		"{\n"
		"  \"ports\": [\n"
		"    {\"name\": \"p0\",\n"
		"     \"devargs\": \"net_af_packet0,iface=veth0\",\n"
		"     \"ipv4\": [\"10.0.1.1/24\", \"10.0.9.1/30\"],\n"
		"     \"ipv6\": [\"2001:db8:1::1/64\"],\n"
		"     \"mac\": \"02:00:00:00:01:01\"},\n"
		"    {\"name\": \"uplink-1.v\",\n"
		"     \"devargs\": \"net_pcap0,rx_pcap=in.pcap,tx_pcap=o.pcap\",\n"
		"     \"ipv6\": [\"fd00:2::1/64\"]}\n"
		"  ],\n"
		"  \"neighbors\": [\n"
		"    {\"ip\": \"10.0.1.2\", \"mac\": \"02:00:00:00:01:02\", \"port\": \"p0\"},\n"
		"    {\"ip\": \"fe80::1\", \"mac\": \"02:AA:00:00:01:02\",\n"
		"     \"port\": \"uplink-1.v\"}\n"
		"  ],\n"
		"  \"feed\": {\"shm\": \"/molt-x\"},\n"
		"  \"control\": {\"socket\": \"/tmp/m.sock\", \"group\": \"molt\"},\n"
		"  \"fib\": {\"driver\": \"reference\", \"max_routes_v4\": 1000,\n"
		"          \"max_routes_v6\": 500, \"tbl8_groups_v4\": 256,\n"
		"          \"headroom_percent\": 50},\n"
		"  \"metabolism\": {\"slots\": 2, \"interval_ms\": 100,\n"
		"                 \"drivers\": [\"lpm\", \"reference\"]},\n"
		"  \"icmp\": {\"rate_per_sec\": 5, \"burst\": 2},\n"
		"  \"neighbor_timeout_ms\": 5000,\n"
		"  \"neighbor_hold\": 7\n"
		"}\n";
	char err[512] = "";

	assert_int_equal(load(json, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_ports, 2);
	assert_string_equal(cfg.ports[0].name, "p0");
	assert_string_equal(cfg.ports[0].devargs, "net_af_packet0,iface=veth0");
	assert_int_equal(cfg.ports[0].n_v4, 2);
	assert_memory_equal(cfg.ports[0].v4[0].addr, "\x0a\x00\x01\x01", 4);
	assert_int_equal(cfg.ports[0].v4[0].plen, 24);
	assert_int_equal(cfg.ports[0].v4[1].plen, 30);
	assert_int_equal(cfg.ports[0].n_v6, 1);
	assert_int_equal(cfg.ports[0].v6[0].addr[15], 1);
	assert_int_equal(cfg.ports[0].v6[0].plen, 64);
	assert_true(cfg.ports[0].has_mac);
	assert_memory_equal(cfg.ports[0].mac.addr_bytes, "\x02\x00\x00\x00\x01\x01", 6);
	assert_string_equal(cfg.ports[1].name, "uplink-1.v");
	assert_false(cfg.ports[1].has_mac);
	assert_int_equal(cfg.ports[1].n_v4, 0);
	assert_int_equal(cfg.n_neigh, 2);
	assert_int_equal(cfg.neigh[0].family, 4);
	assert_string_equal(cfg.neigh[1].port, "uplink-1.v");
	assert_int_equal(cfg.neigh[1].family, 6);
	assert_int_equal(cfg.neigh[1].mac.addr_bytes[1], 0xaa);
	assert_string_equal(cfg.feed_shm, "/molt-x");
	assert_string_equal(cfg.control_socket, "/tmp/m.sock");
	assert_string_equal(cfg.control_group, "molt");
	assert_string_equal(cfg.driver, "reference");
	assert_int_equal(cfg.fib_max_routes_v4, 1000);
	assert_int_equal(cfg.fib_max_routes_v6, 500);
	assert_int_equal(cfg.fib_tbl8_groups_v4, 256);
	assert_int_equal(cfg.fib_headroom_percent, 50);
	assert_int_equal(cfg.slots, 2);
	assert_int_equal(cfg.interval_ms, 100);
	assert_int_equal(cfg.n_drivers, 2);
	assert_string_equal(cfg.drivers[1], "reference");
	assert_int_equal(cfg.icmp_rate, 5);
	assert_int_equal(cfg.icmp_burst, 2);
	assert_int_equal(cfg.neigh_timeout_ms, 5000);
	assert_int_equal(cfg.neigh_hold, 7);
	assert_ptr_equal(molt_config_port(&cfg, "uplink-1.v"), &cfg.ports[1]);
	assert_null(molt_config_port(&cfg, "p9"));
}

static void test_defaults(void **state)
{
	char err[512] = "";

	assert_int_equal(load("{\"ports\": [" PORT0 "], " FEED "}", err, sizeof(err)), 0);
	assert_string_equal(cfg.control_socket, "/run/molt/moltd.sock");
	assert_string_equal(cfg.control_group, "");
	assert_string_equal(cfg.driver, "molt");
	// No caps: every slot is sized from its table, with 25 % headroom.
	assert_int_equal(cfg.fib_max_routes_v4, 0);
	assert_int_equal(cfg.fib_max_routes_v6, 0);
	assert_int_equal(cfg.fib_tbl8_groups_v4, 0);
	assert_int_equal(cfg.fib_headroom_percent, 25);
	assert_int_equal(cfg.slots, 3);
	assert_int_equal(cfg.interval_ms, 10000);
	// A rotation of engines of different families.
	assert_int_equal(cfg.n_drivers, 2);
	assert_string_equal(cfg.drivers[0], "molt");
	assert_string_equal(cfg.drivers[1], "fib");
	assert_int_equal(cfg.icmp_rate, 100);
	assert_int_equal(cfg.icmp_burst, 10);
	assert_int_equal(cfg.neigh_timeout_ms, 30000);
	assert_int_equal(cfg.neigh_hold, 3);
	assert_int_equal(cfg.n_neigh, 0);
}

// fib.driver alone pins the engine: the metabolism rebuilds with it only.
static void test_driver_pinned(void **state)
{
	char err[512] = "";

	assert_int_equal(load("{\"ports\": [" PORT0 "], " FEED ", \"fib\": {\"driver\": \"molt\"}}",
			      err, sizeof(err)),
			 0);
	assert_string_equal(cfg.driver, "molt");
	assert_int_equal(cfg.n_drivers, 1);
	assert_string_equal(cfg.drivers[0], "molt");
}

static void test_missing_file(void **state)
{
	char err[512] = "";

	assert_int_equal(molt_config_load("/nonexistent/moltd.json", &cfg, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/moltd.json: No such file or directory");
}

static void test_bad_json(void **state)
{
	char err[512] = "";

	assert_int_equal(load("{\"ports\": [\n  {,}\n]}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "config.json:2:"));
	assert_non_null(strstr(err, "invalid JSON"));
}

// One mistake per entry: the config and the message expected after "<dir>/".
struct bad {
	const char *json;
	const char *msg;
};

static const struct bad bad_cases[] = {
	{ "[1]", "config.json: the top level must be a JSON object" },
	{ WITH("\"bogus\": 1"), "config.json: bogus: unknown key" },
	{ "{\"ports\": [" PORT0 "], " FEED ", \"feed\": {\"shm\": \"/b\"}}",
	  "duplicate object key" },
	{ "{" FEED "}", "config.json: missing \"ports\"" },
	{ "{\"ports\": [], " FEED "}", "config.json: ports: needs at least 1 element" },
	{ "{\"ports\": {}, " FEED "}", "config.json: ports: expected an array, got an object" },
	{ "{\"ports\": [" PORT0 "]}", "config.json: missing \"feed\"" },
	{ "{\"ports\": [" PORT0 "], \"feed\": {}}", "config.json: feed: missing \"shm\"" },
	{ "{\"ports\": [" PORT0 "], \"feed\": {\"shm\": 3}}",
	  "config.json: feed.shm: expected a string, got an integer" },
	{ "{\"ports\": [" PORT0
	  ", {\"name\": \"p1\", \"devargs\": \"net_null1\", \"speed\": 1}], " FEED "}",
	  "config.json: ports[1].speed: unknown key" },
	{ "{\"ports\": [{\"devargs\": \"net_null0\"}], " FEED "}",
	  "config.json: ports[0]: missing \"name\"" },
	{ "{\"ports\": [{\"name\": \"p0\"}], " FEED "}",
	  "config.json: ports[0]: missing \"devargs\"" },
	{ "{\"ports\": [{\"name\": \"a-very-long-name-x\", \"devargs\": \"net_null0\"}], " FEED "}",
	  "config.json: ports[0].name: \"a-very-long-name-x\" is too long (at most 15 characters)" },
	{ "{\"ports\": [{\"name\": \"p 0\", \"devargs\": \"net_null0\"}], " FEED "}",
	  "config.json: ports[0].name: \"p 0\": use only letters" },
	{ "{\"ports\": [{\"name\": \"\", \"devargs\": \"net_null0\"}], " FEED "}",
	  "config.json: ports[0].name: must not be empty" },
	{ "{\"ports\": [" PORT0 ", {\"name\": \"p0\", \"devargs\": \"net_null1\"}], " FEED "}",
	  "config.json: ports[1].name: \"p0\" is already the name of ports[0]" },
	{ "{\"ports\": [" PORT0 ", {\"name\": \"p1\", \"devargs\": \"net_null0,size=64\"}], " FEED
	  "}",
	  "config.json: ports[1].devargs: device \"net_null0\" is already used by "
	  "ports[0] (\"p0\")" },
	{ "{\"ports\": [" PORT0 ", {\"name\": \"p1\", \"devargs\": \"net_null1\", "
	  "\"ipv4\": [\"10.0.1.300/24\"]}], " FEED "}",
	  "config.json: ports[1].ipv4[0]: \"10.0.1.300/24\" is not an IPv4 prefix" },
	{ P0("\"ipv4\": [\"fd00::1/64\"]"),
	  "config.json: ports[0].ipv4[0]: \"fd00::1/64\" is not an IPv4 prefix" },
	{ P0("\"ipv6\": [\"10.0.0.1/8\"]"),
	  "config.json: ports[0].ipv6[0]: \"10.0.0.1/8\" is not an IPv6 prefix" },
	{ P0("\"ipv4\": [\"10.0.0.1\"]"),
	  "config.json: ports[0].ipv4[0]: \"10.0.0.1\" has no prefix length" },
	{ P0("\"ipv4\": [\"10.0.0.1/33\"]"),
	  "config.json: ports[0].ipv4[0]: \"10.0.0.1/33\" is not an IPv4 prefix" },
	{ "{\"ports\": [{\"name\": \"p0\", \"devargs\": \"net_null0\", \"ipv4\": [24]}], " FEED "}",
	  "config.json: ports[0].ipv4[0]: 24 is not an IPv4 prefix" },
	{ P0("\"ipv4\": \"10.0.0.1/8\""),
	  "config.json: ports[0].ipv4: expected an array, got a string" },
	{ P0("\"ipv4\": [\"224.0.0.1/4\"]"),
	  "config.json: ports[0].ipv4[0]: \"224.0.0.1/4\" is not a unicast host address" },
	{ "{\"ports\": [" PORT0 ", {\"name\": \"p1\", \"devargs\": \"net_null1\", "
	  "\"ipv4\": [\"10.0.1.1/24\"]}], " FEED "}",
	  "config.json: ports[1].ipv4[0]: \"10.0.1.1/24\": this address is already given at "
	  "ports[0].ipv4[0]" },
	{ P0("\"mac\": \"02:00:00:00:01\""),
	  "config.json: ports[0].mac: \"02:00:00:00:01\" is not a MAC address" },
	{ P0("\"mac\": \"01:00:5e:00:00:01\""),
	  "config.json: ports[0].mac: \"01:00:5e:00:00:01\" is not a unicast MAC address" },
	{ "{\"ports\": [" PORT0 "], " FEED ", \"neighbors\": [{\"ip\": \"10.0.1.2\", "
	  "\"mac\": \"02:00:00:00:00:01\", \"port\": \"p7\"}]}",
	  "config.json: neighbors[0].port: \"p7\" is not the name of a configured port" },
	{ "{\"ports\": [" PORT0 "], " FEED ", \"neighbors\": [{\"ip\": \"10.0.1.256\", "
	  "\"mac\": \"02:00:00:00:00:01\", \"port\": \"p0\"}]}",
	  "config.json: neighbors[0].ip: \"10.0.1.256\" is not an IPv4 or IPv6 address" },
	{ WITH("\"neighbors\": [{\"ip\": \"10.0.1.2\", \"port\": \"p0\"}]"),
	  "config.json: neighbors[0]: missing \"mac\"" },
	{ WITH("\"fib\": {\"driver\": \"trie\"}"),
	  "config.json: fib.driver: \"trie\" is not a FIB driver (known: " },
	{ WITH("\"fib\": {\"max_routes_v4\": -5}"),
	  "config.json: fib.max_routes_v4: -5 is out of range (16.." },
	{ WITH("\"fib\": {\"max_routes_v6\": \"lots\"}"),
	  "config.json: fib.max_routes_v6: \"lots\" is not an integer" },
	{ WITH("\"fib\": {\"tbl8_groups_v4\": 1.5}"),
	  "config.json: fib.tbl8_groups_v4: 1.5 is not an integer" },
	{ WITH("\"fib\": {\"headroom_percent\": 1001}"),
	  "config.json: fib.headroom_percent: 1001 is out of range (0..1000)" },
	{ WITH("\"fib\": {\"headroom\": 10}"),
	  "config.json: fib.headroom: unknown key (known: driver, max_routes_v4, max_routes_v6, "
	  "tbl8_groups_v4, headroom_percent)" },
	{ WITH("\"metabolism\": {\"slots\": 1}"),
	  "config.json: metabolism.slots: 1 is out of range (2..16)" },
	{ WITH("\"metabolism\": {\"drivers\": [\"lpm\", \"x\"]}"),
	  "config.json: metabolism.drivers[1]: \"x\" is not a FIB driver" },
	{ WITH("\"metabolism\": {\"drivers\": []}"),
	  "config.json: metabolism.drivers: needs at least 1 element" },
	{ WITH("\"icmp\": {\"rate\": 5}"),
	  "config.json: icmp.rate: unknown key (known: rate_per_sec, burst)" },
	{ WITH("\"control\": {\"socket\": \"\"}"),
	  "config.json: control.socket: must not be empty" },
	{ WITH("\"control\": {\"group\": 0}"), "config.json: control.group: expected a string" },
	{ WITH("\"control\": {\"user\": \"molt\"}"),
	  "config.json: control.user: unknown key (known: socket, group)" },
	{ WITH("\"neighbor_timeout_ms\": 10"),
	  "config.json: neighbor_timeout_ms: 10 is out of range (1000..86400000)" },
	{ WITH("\"neighbor_hold\": true"), "config.json: neighbor_hold: true is not an integer" },
};

static void test_bad(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char err[512] = "", want[600];

		snprintf(want, sizeof(want), "%s/%s", dir, bad_cases[i].msg);
		if (load(bad_cases[i].json, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu accepted: %s", i, bad_cases[i].json);
		// A message either starts exactly as expected, or (JSON syntax) contains it.
		if (strncmp(err, want, strlen(want)) != 0 && strstr(err, bad_cases[i].msg) == NULL)
			fail_msg("case %zu:\n  got:  %s\n  want: %s", i, err, want);
	}
}

static void test_too_many_ports(void **state)
{
	char json[8192], err[512] = "";
	size_t n = 0;

	n += (size_t)snprintf(json + n, sizeof(json) - n, "{" FEED ", \"ports\": [");
	for (int i = 0; i <= MOLT_MAX_PORTS; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
				      "%s{\"name\": \"p%d\", \"devargs\": \"net_null%d\"}",
				      i ? "," : "", i, i);
	snprintf(json + n, sizeof(json) - n, "]}");
	assert_int_equal(load(json, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "config.json: ports: has 33 elements, at most 32"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),           cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_driver_pinned),  cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_json),       cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_many_ports),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
