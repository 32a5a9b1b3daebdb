// SPDX-License-Identifier: BSD-3-Clause
// DPDK telemetry commands /molt/ports, /molt/workers and /molt/slots (read them with
// dpdk-telemetry.py). Handlers run on DPDK's telemetry thread, not the control thread.
#pragma once

#include "control/config/config.h"
#include "dataplane/slot.h"

// Registers the commands. cfg must outlive the process's telemetry thread (moltd's is static).
int telemetry_init(const struct molt_config *cfg);

// Replaces the list of slots /molt/slots reports. Call with n = 0 before freeing a slot: the
// handler holds a lock while it reads them.
void telemetry_set_slots(struct slot *const *slots, unsigned n);
