// SPDX-License-Identifier: BSD-3-Clause
// The start-up check that metabolism.slots slots of the current table fit in DPDK's memory.
// Every slot position can hold a slot of any driver in the rotation, so the check is slots x
// the largest of them; a driver whose engine maps its own memory (no heap_bytes op: molt)
// costs DPDK's heap only its next-hop table. Control thread, before the first slot is built.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/route.h"
#include "control/config/config.h"

// Sizes a slot of routes for cfg->driver and each of metabolism.drivers and compares slots x
// the largest with what DPDK's heap has free, plus the free hugepages it can still map when it
// runs on hugepages. Returns 0, -ENOMEM with the numbers in err when they do not fit, or
// slot_build_size's error (a table larger than a configured cap).
int slot_fit_check(const struct molt_config *cfg, const struct molt_route *routes, uint64_t n,
		   char *err, size_t errlen);
