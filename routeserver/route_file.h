// SPDX-License-Identifier: BSD-3-Clause
// Loading a route file (syntax: common/route.h, molt_route_parse) into a RIB.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/rib/rib.h"

struct route_file_stats {
	uint64_t lines;
	uint64_t routes; // route lines parsed
	uint64_t replaced; // route lines that replaced an earlier line for the same prefix
};

// Parses the whole file into rib, which rib_init() has prepared (empty). On the first bad line
// returns -EINVAL with "FILE:LINE: reason (near 'token')" in err; the caller then discards
// the rib, so a file is taken whole or not at all. Other errors: -errno from reading the file,
// -ENOMEM. stats may be NULL.
int route_file_load(const char *path, struct rib *rib, struct route_file_stats *stats, char *err,
		    size_t errlen);

// The same on a buffer already in memory (name is used in messages); buf[len] must be '\0'.
int route_file_parse(const char *name, const char *buf, size_t len, struct rib *rib,
		     struct route_file_stats *stats, char *err, size_t errlen);

// A RIB sizing hint for a file of `bytes` bytes (route lines are rarely under 20 bytes).
uint32_t route_file_size_hint(uint64_t bytes);
