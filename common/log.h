// SPDX-License-Identifier: BSD-3-Clause
// Logging shared by every molt binary. Outside DPDK (route server, tools) it writes to stderr;
// in moltd it goes through rte_log, one log type per subsystem ("molt.<subsys>", e.g.
// --log-level=molt.metabolism:debug), so EAL options control it. Never used on the fast path.
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum molt_log_level {
	MOLT_LOG_ERR = 1,
	MOLT_LOG_WARNING,
	MOLT_LOG_NOTICE,
	MOLT_LOG_INFO,
	MOLT_LOG_DEBUG
};

extern int molt_log_level; // default MOLT_LOG_NOTICE

void molt_log(int level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// Formats a message into msg without trailing newlines; returns its length.
size_t molt_log_vformat(char *msg, size_t len, const char *fmt, va_list ap);

#define LOG_ERR(sub, ...) molt_log(MOLT_LOG_ERR, sub, __VA_ARGS__)
#define LOG_WARN(sub, ...) molt_log(MOLT_LOG_WARNING, sub, __VA_ARGS__)
#define LOG_NOTICE(sub, ...) molt_log(MOLT_LOG_NOTICE, sub, __VA_ARGS__)
#define LOG_INFO(sub, ...) molt_log(MOLT_LOG_INFO, sub, __VA_ARGS__)
#define LOG_DEBUG(sub, ...) molt_log(MOLT_LOG_DEBUG, sub, __VA_ARGS__)

// Logs an error and evaluates to -err: `return errno_log(ENOMEM, "slot", "no memory")`.
#define errno_log(err, sub, ...) (molt_log(MOLT_LOG_ERR, sub, __VA_ARGS__), -(err))
