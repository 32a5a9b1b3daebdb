// SPDX-License-Identifier: BSD-3-Clause
// Driver registry. Drivers register from constructors before main() runs, so the list is
// written only while the process is single-threaded and is read-only afterwards: no lock.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/driver.h"

#define FIB_DRIVERS_MAX 16

static const struct fib_driver *drivers[FIB_DRIVERS_MAX];
static unsigned n_drivers;

// A broken registration is a programmer error: fail at start-up, never at metabolism time.
static void register_abort(const char *name, const char *why)
{
	fprintf(stderr, "fib_driver_register(%s): %s\n", name ? name : "(null)", why);
	abort();
}

void fib_driver_register(const struct fib_driver *d)
{
	if (d == NULL || d->name == NULL || d->v4 == NULL || d->v6 == NULL)
		register_abort(d ? d->name : NULL, "incomplete driver");
	if (d->v4->family != 4 || d->v6->family != 6)
		register_abort(d->name, "ops family mismatch");
	if (fib_driver_find(d->name) != NULL)
		register_abort(d->name, "duplicate driver name");
	if (n_drivers == FIB_DRIVERS_MAX)
		register_abort(d->name, "too many drivers, raise FIB_DRIVERS_MAX");
	drivers[n_drivers++] = d;
}

const struct fib_driver *fib_driver_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (unsigned i = 0; i < n_drivers; i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

const struct fib_driver *fib_driver_next(const struct fib_driver *prev)
{
	if (prev == NULL)
		return n_drivers ? drivers[0] : NULL;
	for (unsigned i = 0; i + 1 < n_drivers; i++)
		if (drivers[i] == prev)
			return drivers[i + 1];
	return NULL;
}
