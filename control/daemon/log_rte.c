// SPDX-License-Identifier: BSD-3-Clause
// moltd's molt_log (common/log.h): through rte_log, so `--log-level=molt:debug` works like for
// any DPDK component, with a wall-clock timestamp so an operator can line events up with
// traffic. Linked into the moltd executable itself: an object given on the link line wins
// over common/log.c in the static library, which the other binaries use.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>

#include "common/log.h"

int molt_log_level = MOLT_LOG_NOTICE;

static int logtype = -1;

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

RTE_INIT(molt_log_register)
{
	logtype = rte_log_register_type_and_pick_level("molt", RTE_LOG_NOTICE);
}

void molt_log(int level, const char *subsys, const char *fmt, ...)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n;

	if (logtype >= 0 ? !rte_log_can_log((uint32_t)logtype, rte_level(level))
			 : level > molt_log_level)
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03ld", ts.tv_nsec / 1000000);
	// One call per line: lines from the control and telemetry threads do not interleave.
	rte_log(rte_level(level), logtype >= 0 ? (uint32_t)logtype : RTE_LOGTYPE_USER1,
		"%s %s: %s\n", stamp, subsys, msg);
}
