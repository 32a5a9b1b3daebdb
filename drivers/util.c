// SPDX-License-Identifier: BSD-3-Clause

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>

#include "drivers/util.h"

int drv_dpdk_name(char *buf, size_t len, const char *tag, const char *name)
{
	if (name == NULL || name[0] == '\0' || strlen(name) > DRV_NAME_MAX)
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s%s", tag, name) >= len)
		return -EINVAL;
	return 0;
}

int drv_create_errno(void)
{
	// DPDK's create calls also report ENAMETOOLONG and E_RTE_* codes.
	switch (rte_errno) {
	case EEXIST:
	case EINVAL:
		return rte_errno;
	case ENAMETOOLONG:
		return EINVAL;
	default:
		return ENOMEM;
	}
}

// rte_lpm6 lays out IPv6 as a 2^24-entry table indexed by the first three bytes, then one
// 256-entry tbl8 group per further byte. A /48 needs the groups keyed by its /24, /32 and /40
// prefixes: 3 when it shares none of them, ceil((plen - 24) / 8) in general, 13 for a /128.
// Small tables share little, so they get the worst case for routes up to /48 (3 a route).
// In large Internet-like tables the /24 and /32 levels are shared by many routes and the
// deepest level dominates, but /56 and /64 routes need 4 and 5 groups: tools/gen-routes'
// 200k-route table (53% /48, 37% /32-/44, 3% /64) ran out at 150k routes with 1.25n + 64k
// groups. So: min(3n, 2n + 65536). A group is 1 KiB plus 16 bytes of bookkeeping: 200k routes
// cost ~470 MiB on top of the 64 MiB tbl24. A table that needs more makes add fail with -ENOSPC and leaves the FIB
// unchanged (rte_lpm6 checks before changing anything); if the memory is not there, create
// fails with ENOMEM.
uint32_t drv_v6_tbl8_groups(uint32_t max_routes)
{
	uint64_t worst = (uint64_t)max_routes * 3 + 256;
	uint64_t shared = (uint64_t)max_routes * 2 + 65536;
	uint64_t g = worst < shared ? worst : shared;

	return g > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)g;
}
