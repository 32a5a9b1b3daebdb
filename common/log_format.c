// SPDX-License-Identifier: BSD-3-Clause
// The message text of a log line, shared by both molt_log implementations (common/log.c for
// stderr, control/daemon/log_rte.c for rte_log). A file of its own: moltd's executable
// overrides molt_log, and an archive member defining molt_log too would clash with it.
#include <stdio.h>
#include <string.h>

#include "common/log.h"

size_t molt_log_vformat(char *msg, size_t len, const char *fmt, va_list ap)
{
	size_t n;

	vsnprintf(msg, len, fmt, ap);
	// Callers end lines themselves (one call per line keeps threads from interleaving).
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	return n;
}
