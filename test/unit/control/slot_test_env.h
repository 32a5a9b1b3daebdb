// SPDX-License-Identifier: BSD-3-Clause
// What the slot tests (test_slot_build, test_slot_update, test_rpc_moltd) start from: an EAL of
// their own (--no-huge, for rte_zmalloc) and a config with two ports whose DPDK ids differ from
// their config indices on purpose (p0 is port 3, p1 is port 5): p0 has 10.0.1.1/24 and
// fd00:1::1/64, p1 has 10.0.2.1/24. Include after cmocka.h.
#pragma once

#include <stdio.h>
#include <string.h>

#include <rte_eal.h>

#include "common/route.h"
#include "control/config/config.h"
#include "test/unit/eal_tidy.h"

static inline void addr(const char *s, uint8_t out[16])
{
	uint8_t fam;

	assert_int_equal(molt_addr_parse(s, &fam, out), 0);
}

static inline void ifaddr(struct molt_ifaddr *a, const char *s, uint8_t plen)
{
	addr(s, a->addr);
	a->plen = plen;
}

// Starts the EAL with mem_mb MB under the file prefix `prefix`. Returns 0 or -1.
static inline int slot_test_eal(const char *prefix, const char *mem_mb)
{
	char *argv[] = { "test",          "--no-huge",    "-m",
			 (char *)mem_mb,  "--no-pci",     "--no-shconf",
			 "--file-prefix", (char *)prefix, "--log-level",
			 "lib.*:error",   "-l",           "0" };

	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	eal_tidy_at_exit();
	return 0;
}

static inline void slot_test_config(struct molt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_ports = 2;
	snprintf(cfg->ports[0].name, MOLT_PORT_NAME_MAX, "p0");
	snprintf(cfg->ports[1].name, MOLT_PORT_NAME_MAX, "p1");
	cfg->ports[0].port_id = 3;
	cfg->ports[1].port_id = 5;
	cfg->ports[0].n_v4 = 1;
	ifaddr(&cfg->ports[0].v4[0], "10.0.1.1", 24);
	cfg->ports[0].n_v6 = 1;
	ifaddr(&cfg->ports[0].v6[0], "fd00:1::1", 64);
	cfg->ports[1].n_v4 = 1;
	ifaddr(&cfg->ports[1].v4[0], "10.0.2.1", 24);
	cfg->fib_max_routes_v4 = 1024;
	cfg->fib_max_routes_v6 = 1024;
	cfg->fib_tbl8_groups_v4 = 256;
}
