// SPDX-License-Identifier: BSD-3-Clause
// Pieces every molt command line shares (molt-routeserver, gen-routes): strict numbers, and
// the end of a getopt loop, so each program words --help, unknown options and stray arguments
// the same way.
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// Strict decimal: no sign, no trailing text, no overflow, so "--capacity 1e6" or "--v4 -5" is
// refused rather than read as something else.
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

// The getopt result no case of the loop took: 'h' prints usage on stdout and returns 1 (exit
// 0), anything else prints it on stderr and returns -EINVAL (a bad command line).
static inline int cli_other_option(int c, void (*usage)(FILE *f))
{
	usage(c == 'h' ? stdout : stderr);
	return c == 'h' ? 1 : -EINVAL;
}

// After the options: the program takes no operands. 0, or -EINVAL after saying which one.
static inline int cli_no_operands(const char *prog, int argc, char **argv, int optind_)
{
	if (optind_ >= argc)
		return 0;
	fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind_]);
	return -EINVAL;
}
