// SPDX-License-Identifier: BSD-3-Clause
// stderr logging for the processes that do not run DPDK (route server, tools, tests).
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"

int molt_log_level = MOLT_LOG_NOTICE;

void molt_log(int level, const char *subsys, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > molt_log_level)
		return;
	va_start(ap, fmt);
	molt_log_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	// One stdio call per message: lines from several threads do not interleave.
	fprintf(stderr, "%s: %s\n", subsys, msg);
}
