// SPDX-License-Identifier: BSD-3-Clause
// moltd's molt_log (common/log.h): through rte_log, one log type per subsystem named
// "molt.<subsys>" after the subsystem each line is printed with, so an operator who sees
// "neigh: ..." raises exactly that with --log-level=molt.neigh:debug (or all of molt with
// --log-level='molt.*:debug'). Lines carry a wall-clock timestamp to line events up with
// traffic. Linked into the moltd executable itself: an object given on the link line wins over
// common/log.c in the static library, which the other binaries use.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>

#include "common/log.h"

int molt_log_level = MOLT_LOG_NOTICE;

// The subsystems molt logs as. Registered the way RTE_LOG_REGISTER_SUFFIX registers a DPDK
// component's types (at load, so --log-level applies to them), from one table.
static struct {
	const char *subsys;
	int type;
} logtypes[] = {
	{ .subsys = "moltd" }, { .subsys = "ports" },
	{ .subsys = "feed" },  { .subsys = "rpc" },
	{ .subsys = "slot" },  { .subsys = "metabolism" },
	{ .subsys = "neigh" }, { .subsys = "punt" },
	{ .subsys = "fib" },   { .subsys = "lpm" },
	{ .subsys = "lat" },   { .subsys = "other" }, // last: any subsystem name not listed
};

RTE_INIT(molt_log_register)
{
	char name[32];

	for (size_t i = 0; i < RTE_DIM(logtypes); i++) {
		snprintf(name, sizeof(name), "molt.%s", logtypes[i].subsys);
		logtypes[i].type = rte_log_register_type_and_pick_level(name, RTE_LOG_NOTICE);
		if (logtypes[i].type < 0)
			logtypes[i].type = RTE_LOGTYPE_USER1;
	}
}

static uint32_t logtype_of(const char *subsys)
{
	size_t i;

	for (i = 0; i < RTE_DIM(logtypes) - 1; i++)
		if (strcmp(logtypes[i].subsys, subsys) == 0)
			break;
	return (uint32_t)logtypes[i].type;
}

static uint32_t rte_level(int level)
{
	switch (level) {
	case MOLT_LOG_ERR:
		return RTE_LOG_ERR;
	case MOLT_LOG_WARNING:
		return RTE_LOG_WARNING;
	case MOLT_LOG_NOTICE:
		return RTE_LOG_NOTICE;
	case MOLT_LOG_INFO:
		return RTE_LOG_INFO;
	default:
		return RTE_LOG_DEBUG;
	}
}

void molt_log(int level, const char *subsys, const char *fmt, ...)
{
	uint32_t type = logtype_of(subsys);
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n;

	if (!rte_log_can_log(type, rte_level(level)))
		return;
	va_start(ap, fmt);
	molt_log_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03ld", ts.tv_nsec / 1000000);
	// One call per line: lines from the control and telemetry threads do not interleave.
	rte_log(rte_level(level), type, "%s %s: %s\n", stamp, subsys, msg);
}
