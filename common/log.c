// SPDX-License-Identifier: BSD-3-Clause
// stderr logging for the processes that do not run DPDK (route server, tools, tests).
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

int molt_log_level = MOLT_LOG_NOTICE;

void molt_log(int level, const char *subsys, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t n;

	if (level > molt_log_level)
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	// One stdio call per message: lines from several threads do not interleave.
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	fprintf(stderr, "%s: %s\n", subsys, msg);
}
