// SPDX-License-Identifier: BSD-3-Clause
// moltd's control-plane filter (control/cpif/cp_filter.c): which frames are routing-protocol
// traffic, in IPv4 and IPv6, the config's extra protocols, what is never judged a protocol
// (fragments, other ports, other ICMP); the punt token bucket; and the control_plane config
// keys, each mistake with its message.
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
#include "control/cpif/cp_filter.h"

static uint8_t frame[128];
static struct molt_config cfg;

// An Ethernet + IPv4 frame of protocol proto with ports sp -> dp; returns its length.
static uint32_t ip4(uint8_t proto, uint16_t sp, uint16_t dp, uint16_t frag)
{
	memset(frame, 0, sizeof(frame));
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[14 + 6] = (uint8_t)(frag >> 8);
	frame[14 + 7] = (uint8_t)frag;
	frame[14 + 9] = proto;
	frame[34] = (uint8_t)(sp >> 8);
	frame[35] = (uint8_t)sp;
	frame[36] = (uint8_t)(dp >> 8);
	frame[37] = (uint8_t)dp;
	return 14 + 20 + 20;
}

static uint32_t ip6(uint8_t nh, uint16_t sp, uint16_t dp)
{
	memset(frame, 0, sizeof(frame));
	frame[12] = 0x86;
	frame[13] = 0xdd;
	frame[14] = 0x60;
	frame[14 + 6] = nh;
	frame[54] = (uint8_t)(sp >> 8);
	frame[55] = (uint8_t)sp;
	frame[56] = (uint8_t)(dp >> 8);
	frame[57] = (uint8_t)dp;
	return 14 + 40 + 20;
}

static void test_builtin(void **state)
{
	const struct molt_cp_conf none = { .enabled = true };

	assert_int_equal(cp_classify(frame, ip4(6, 40000, 179, 0), &none), CP_BGP);
	assert_int_equal(cp_classify(frame, ip4(6, 179, 40000, 0), &none), CP_BGP);
	assert_int_equal(cp_classify(frame, ip6(6, 179, 40000), &none), CP_BGP);
	assert_int_equal(cp_classify(frame, ip6(6, 40000, 179), &none), CP_BGP);
	for (unsigned p = 0; p < 3; p++) {
		uint16_t port = (uint16_t[]){ 3784, 3785, 4784 }[p];

		assert_int_equal(cp_classify(frame, ip4(17, 49152, port, 0), &none), CP_BFD);
		assert_int_equal(cp_classify(frame, ip6(17, 49152, port), &none), CP_BFD);
		// BFD is judged by its destination port only.
		assert_int_equal(cp_classify(frame, ip4(17, port, 5000, 0), &none), CP_NONE);
	}
	assert_int_equal(cp_classify(frame, ip4(89, 0, 0, 0), &none), CP_OSPF);
	assert_int_equal(cp_classify(frame, ip6(89, 0, 0), &none), CP_OSPF);
	// Neighbour solicitation and advertisement, not other ICMPv6.
	assert_int_equal(cp_classify(frame, ip6(58, 135 << 8, 0), &none), CP_ND);
	assert_int_equal(cp_classify(frame, ip6(58, 136 << 8, 0), &none), CP_ND);
	assert_int_equal(cp_classify(frame, ip6(58, 128 << 8, 0), &none), CP_NONE);
	assert_int_equal(cp_classify(frame, ip6(58, 133 << 8, 0), &none), CP_NONE);
}

static void test_not_protocol(void **state)
{
	const struct molt_cp_conf none = { .enabled = true };
	uint32_t len;

	assert_int_equal(cp_classify(frame, ip4(6, 40000, 22, 0), &none), CP_NONE);
	assert_int_equal(cp_classify(frame, ip4(17, 40000, 179, 0), &none), CP_NONE);
	assert_int_equal(cp_classify(frame, ip4(1, 0, 0, 0), &none), CP_NONE);
	assert_int_equal(cp_classify(frame, ip6(6, 40000, 80), &none), CP_NONE);
	// A later fragment has no ports; the first one (MF, offset 0) has them.
	assert_int_equal(cp_classify(frame, ip4(6, 40000, 179, 0x0010), &none), CP_NONE);
	assert_int_equal(cp_classify(frame, ip4(6, 40000, 179, 0x2000), &none), CP_BGP);
	// An IPv6 extension header (fragment, hop-by-hop) is not looked through.
	assert_int_equal(cp_classify(frame, ip6(44, 40000, 179), &none), CP_NONE);
	assert_int_equal(cp_classify(frame, ip6(0, 40000, 179), &none), CP_NONE);
	// Truncated: header cut before the ports, IHL past the end, bad version.
	assert_int_equal(cp_classify(frame, 14 + 20 + 2, &none), CP_NONE);
	len = ip4(6, 40000, 179, 0);
	frame[14] = 0x4f;
	assert_int_equal(cp_classify(frame, 14 + 40, &none), CP_NONE);
	frame[14] = 0x65;
	assert_int_equal(cp_classify(frame, len, &none), CP_NONE);
	assert_int_equal(cp_classify(frame, 10, &none), CP_NONE);
	// Ethertype other than IPv4/IPv6/ARP.
	ip4(6, 40000, 179, 0);
	frame[12] = 0x88;
	frame[13] = 0xcc;
	assert_int_equal(cp_classify(frame, len, &none), CP_NONE);
	// ARP is recognised when whole.
	frame[12] = 0x08;
	frame[13] = 0x06;
	assert_int_equal(cp_classify(frame, 14 + 28, &none), CP_ARP);
	assert_int_equal(cp_classify(frame, 14 + 27, &none), CP_NONE);
}

static void test_extra(void **state)
{
	struct molt_cp_conf cp = { .enabled = true, .n_protocols = 3 };

	cp.protocols[0] = (struct molt_cp_proto){ .proto = 6, .port = 646 };
	cp.protocols[1] = (struct molt_cp_proto){ .proto = 17, .port = 520 };
	cp.protocols[2] = (struct molt_cp_proto){ .proto = 112, .port = 0 };
	assert_int_equal(cp_classify(frame, ip4(6, 646, 40000, 0), &cp), CP_EXTRA);
	assert_int_equal(cp_classify(frame, ip6(6, 40000, 646), &cp), CP_EXTRA);
	assert_int_equal(cp_classify(frame, ip4(17, 520, 520, 0), &cp), CP_EXTRA);
	assert_int_equal(cp_classify(frame, ip4(17, 520, 40000, 0), &cp), CP_NONE);
	assert_int_equal(cp_classify(frame, ip4(112, 0, 0, 0), &cp), CP_EXTRA);
	assert_int_equal(cp_classify(frame, ip4(113, 0, 0, 0), &cp), CP_NONE);
	assert_int_equal(cp_classify(frame, ip4(6, 40000, 647, 0), &cp), CP_NONE);
}

static void test_bucket(void **state)
{
	const uint64_t hz = 1000000;
	struct cp_bucket b;
	unsigned n = 0;

	cp_bucket_init(&b, 10, hz, 0);
	while (cp_bucket_take(&b, 100, 10, hz, 0))
		n++;
	assert_int_equal(n, 10);
	// 100 per second: 50 ms brings 5 tokens.
	for (n = 0; cp_bucket_take(&b, 100, 10, hz, 50000);)
		n++;
	assert_int_equal(n, 5);
	// A long silence refills to the burst, no more.
	for (n = 0; cp_bucket_take(&b, 100, 10, hz, 100 * hz);)
		n++;
	assert_int_equal(n, 10);
}

static char dir[64], path[128];

static int load(const char *cp_json, char *err, size_t errlen)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"{\"ports\": [{\"name\": \"p0\", \"devargs\": \"net_null0\"}], "
		"\"feed\": {\"shm\": \"/molt\"}, \"control_plane\": %s}",
		cp_json);
	fclose(f);
	err[0] = '\0';
	return molt_config_load(path, &cfg, err, errlen);
}

static void expect_error(const char *cp_json, const char *want)
{
	char err[512];

	assert_int_equal(load(cp_json, err, sizeof(err)), -EINVAL);
	if (strstr(err, want) == NULL)
		fail_msg("config %s: expected \"%s\" in: %s", cp_json, want, err);
}

static void test_config(void **state)
{
	char err[512];

	snprintf(dir, sizeof(dir), "/tmp/molt-cpif-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(load("{\"netns\": \"cp\"}", err, sizeof(err)), 0);
	assert_true(cfg.cp.enabled);
	assert_string_equal(cfg.cp.netns, "cp");
	assert_int_equal(cfg.cp.rate_per_sec, 5000);
	assert_int_equal(cfg.cp.burst, 500);
	assert_true(cfg.cp.guard);
	assert_int_equal(cfg.cp.n_peers, 0);

	assert_int_equal(load("{\"netns\": \"cp-1\", \"peers\": [\"10.0.1.2\", \"fd00:1::2\"], "
			      "\"protocols\": [\"tcp/646\", \"udp/520\", \"ip/112\"], "
			      "\"rate_per_sec\": 100, \"burst\": 7, \"guard\": false}",
			      err, sizeof(err)),
			 0);
	assert_int_equal(cfg.cp.n_peers, 2);
	assert_int_equal(cfg.cp.peers[0].family, 4);
	assert_int_equal(cfg.cp.peers[1].family, 6);
	assert_int_equal(cfg.cp.n_protocols, 3);
	assert_int_equal(cfg.cp.protocols[0].proto, 6);
	assert_int_equal(cfg.cp.protocols[0].port, 646);
	assert_int_equal(cfg.cp.protocols[1].proto, 17);
	assert_int_equal(cfg.cp.protocols[2].proto, 112);
	assert_int_equal(cfg.cp.protocols[2].port, 0);
	assert_int_equal(cfg.cp.rate_per_sec, 100);
	assert_int_equal(cfg.cp.burst, 7);
	assert_false(cfg.cp.guard);

	expect_error("{}", "control_plane: missing \"netns\"");
	expect_error("{\"netns\": \"a/b\"}", "control_plane.netns: \"a/b\": a namespace name");
	expect_error("{\"netns\": \"..\"}", "\"..\" is not a namespace name");
	expect_error("{\"netns\": \"cp\", \"peers\": [\"10.0.1\"]}",
		     "control_plane.peers[0]: \"10.0.1\" is not an IPv4 or IPv6 address");
	expect_error("{\"netns\": \"cp\", \"peers\": [\"10.0.1.2\", \"10.0.1.2\"]}",
		     "control_plane.peers[1]: \"10.0.1.2\" is already given");
	expect_error("{\"netns\": \"cp\", \"protocols\": [\"sctp/9\"]}",
		     "control_plane.protocols[0]: \"sctp/9\" is not a protocol");
	expect_error("{\"netns\": \"cp\", \"protocols\": [\"tcp/0\"]}",
		     "\"tcp/0\": a port is 1..65535");
	expect_error("{\"netns\": \"cp\", \"protocols\": [\"ip/6\"]}", "give TCP and UDP");
	expect_error("{\"netns\": \"cp\", \"protocols\": [\"tcp/\"]}", "is not a protocol");
	expect_error("{\"netns\": \"cp\", \"rate_per_sec\": 0}", "control_plane.rate_per_sec");
	expect_error("{\"netns\": \"cp\", \"guard\": 1}", "control_plane.guard");
	expect_error("{\"netns\": \"cp\", \"peer\": []}", "control_plane.peer");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin), cmocka_unit_test(test_not_protocol),
		cmocka_unit_test(test_extra),   cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
