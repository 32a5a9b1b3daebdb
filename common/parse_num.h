// SPDX-License-Identifier: BSD-3-Clause
// Numbers from command lines: strict decimal, no sign, no trailing text, no overflow, so
// "--capacity 1e6" or "--v4 -5" is refused rather than read as something else.
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static inline int parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*v = n;
	return 0;
}
