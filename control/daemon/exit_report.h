// SPDX-License-Identifier: BSD-3-Clause
// Human-readable counter report (printed on exit). Control thread only.
#pragma once

#include <stdio.h>

#include "control/config/config.h"

// Prints, per configured port, rx/tx/forwarded/punted and every non-zero drop reason, then
// per worker (and the control thread) its loop counters.
void stats_print(FILE *f, const struct molt_config *cfg);
