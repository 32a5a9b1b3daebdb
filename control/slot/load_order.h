// SPDX-License-Identifier: BSD-3-Clause
// The order in which a slot's routes are added to its FIBs. Adding in address order keeps the
// engine's tree path and table lines in cache from one add to the next; a feed in hash or
// random order would take a cache miss per level per route.
#pragma once

#include <stdint.h>

#include "common/route.h"

// Returns a malloc'ed array of the indices i < n of the routes of `family` that are installed
// (nhs[i] != UINT32_MAX), sorted by address, then prefix length (shorter first); *count is its
// length. NULL when memory runs out.
uint32_t *load_order(const struct molt_route *routes, uint64_t n, const uint32_t *nhs,
		     uint8_t family, uint64_t *count);
