// SPDX-License-Identifier: BSD-3-Clause
// Unit tests start an EAL under a --file-prefix of their own, and DPDK leaves that prefix's
// runtime directory (/var/run/dpdk/PREFIX) behind at exit: a test run would leave a dozen of
// them each time. eal_tidy_at_exit() removes it (and the telemetry socket in it) at exit.
#pragma once

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

static char eal_tidy_dir[PATH_MAX];

static void eal_tidy_remove(void)
{
	DIR *d = opendir(eal_tidy_dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX + sizeof(e->d_name) + 1];

		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", eal_tidy_dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
	rmdir(eal_tidy_dir);
}

// Call once, right after rte_eal_init succeeded.
static inline void eal_tidy_at_exit(void)
{
	snprintf(eal_tidy_dir, sizeof(eal_tidy_dir), "%s", rte_eal_get_runtime_dir());
	atexit(eal_tidy_remove);
}
