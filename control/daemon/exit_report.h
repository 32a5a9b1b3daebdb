// SPDX-License-Identifier: BSD-3-Clause
// The exit report: counters an operator reads when moltd stops. Control thread only.
#pragma once

#include <stdio.h>

#include "control/config/config.h"

// Prints, per configured port, rx/tx/forwarded/punted and every non-zero drop reason, then
// per worker (and the control thread) its loop counters.
void exit_report_print(FILE *f, const struct molt_config *cfg);
