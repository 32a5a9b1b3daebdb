// SPDX-License-Identifier: BSD-3-Clause
// The latency generator's results: a JSON file for molt-bench and a summary for people.
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "lat_gen.h"

// Writes the results of a finished run to path. 0, or -errno with a message in err.
int lat_report_json(const struct lat_gen *g, const char *path, char *err, size_t errlen);

// A few lines: loss and latency quantiles.
void lat_report_print(FILE *f, const struct lat_gen *g);
