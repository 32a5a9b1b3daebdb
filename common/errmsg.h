// SPDX-License-Identifier: BSD-3-Clause
// The one way common/ and the route server fill a caller's error buffer: a message that names
// the problem, written only when the caller gave a buffer.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

// Formats into err (when err is non-NULL and errlen > 0) and returns ret, so that a failure
// is one statement: `return molt_errf(-EINVAL, err, errlen, "bad %s", what);`.
static inline int molt_errf(int ret, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline int molt_errf(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
