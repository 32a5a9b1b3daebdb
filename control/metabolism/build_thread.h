// SPDX-License-Identifier: BSD-3-Clause
// The build thread: one non-worker thread (registered with DPDK so rte_malloc and the FIB
// libraries work on it) that runs one job at a time, a slot_build or an integrity walk of a
// live slot (slot_verify), while the control thread keeps serving; it also scrubs and frees
// retired slots. The control thread submits a job and polls for its end; it never waits.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "control/slot/slot_build.h"

struct builder_job {
	// in (control: wo before submit; builder: ro)
	// audit: instead of building, walk `audit` (a live slot the control thread does not modify
	// meanwhile) and compare with audit_rules / audit_digest; ret says the outcome.
	struct slot *audit;
	uint64_t audit_rules, audit_digest;
	const struct molt_config *cfg;
	const struct fib_driver *driver;
	uint64_t generation;
	struct molt_route *routes; // malloc'ed copy of the mirror; the builder frees it
	uint64_t n_routes;
	bool verify; // walk the FIBs after the build (slot_verify)
	// out (builder: wo; control: ro once builder_collect returned the job)
	struct slot *slot; // NULL on failure
	int ret; // 0 or -errno
	struct slot_build_stats stats;
	char err[512];
	uint64_t run_ns; // how long the job took
};

// Starts the thread. Returns 0 or -errno.
int builder_start(void);

// Hands job to the thread. -EBUSY while a job runs (never two builds at once).
int builder_submit(struct builder_job *job);

// Whether a job was submitted and has not been collected yet.
bool builder_busy(void);

// Returns the finished job (and frees the builder for the next) or NULL while it runs.
struct builder_job *builder_collect(void);

// Scrubs and frees s on the builder thread (at once on this one when the builder does not
// run). s must be unreachable: past its grace period or never published, and detached.
void builder_free(struct slot *s);

// Waits for a running job to end, then stops and joins the thread. A finished job that was not
// collected is returned so the caller can free its slot (NULL otherwise).
struct builder_job *builder_stop(void);
