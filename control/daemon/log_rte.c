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

#define RTE_LOG_DEFAULT_LOGTYPE molt
#include <rte_log.h>

#include "common/log.h"

int molt_log_level = MOLT_LOG_NOTICE;

// RTE_LOG_REGISTER_SUFFIX defines each as a global; declared first for
// -Wmissing-variable-declarations.
extern int molt_logtype_moltd, molt_logtype_ports, molt_logtype_feed, molt_logtype_rpc,
	molt_logtype_slot, molt_logtype_metabolism, molt_logtype_neigh, molt_logtype_punt,
	molt_logtype_fib, molt_logtype_lpm, molt_logtype_lat, molt_logtype_other;
RTE_LOG_REGISTER_SUFFIX(molt_logtype_moltd, moltd, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_ports, ports, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_feed, feed, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_rpc, rpc, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_slot, slot, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_metabolism, metabolism, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_neigh, neigh, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_punt, punt, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_fib, fib, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_lpm, lpm, NOTICE);
RTE_LOG_REGISTER_SUFFIX(molt_logtype_lat, lat, NOTICE);
// Any subsystem name not listed above.
RTE_LOG_REGISTER_SUFFIX(molt_logtype_other, other, NOTICE);

static const struct {
	const char *subsys;
	const int *type;
} logtypes[] = {
	{ "moltd", &molt_logtype_moltd },
	{ "ports", &molt_logtype_ports },
	{ "feed", &molt_logtype_feed },
	{ "rpc", &molt_logtype_rpc },
	{ "slot", &molt_logtype_slot },
	{ "metabolism", &molt_logtype_metabolism },
	{ "neigh", &molt_logtype_neigh },
	{ "punt", &molt_logtype_punt },
	{ "fib", &molt_logtype_fib },
	{ "lpm", &molt_logtype_lpm },
	{ "lat", &molt_logtype_lat },
};

static uint32_t logtype_of(const char *subsys)
{
	for (size_t i = 0; i < RTE_DIM(logtypes); i++)
		if (strcmp(logtypes[i].subsys, subsys) == 0)
			return (uint32_t)*logtypes[i].type;
	return (uint32_t)molt_logtype_other;
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
