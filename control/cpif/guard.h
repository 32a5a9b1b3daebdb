// SPDX-License-Identifier: BSD-3-Clause
// Loads the control-plane guard (bpf/guard.bpf.c, embedded at build time) with libbpf and
// attaches it to both tc hooks of one interface. One instance per interface, so that each has
// its own counters. Control thread, except guard_counters (any thread).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bpf/guard.h"
#include "control/config/config.h"

struct guard;

// Loads a guard, fills its maps from cp (peers, extra protocols) and attaches it to ifindex's
// ingress and egress (a clsact qdisc is added). Call it inside the interface's namespace.
// NULL with a message in err on failure.
struct guard *guard_attach(int ifindex, const char *ifname, const struct molt_cp_conf *cp,
			   char *err, size_t errlen);

// Sums the per-CPU counters into out (indexed by enum guard_counter). 0 or -errno.
int guard_counters(const struct guard *g, uint64_t out[GUARD_CTR_MAX]);

// The counter's name in moltctl and telemetry ("in_pass", "out_drop_not_peer", ...).
const char *guard_counter_name(unsigned c);

// Unloads the program. The filters go with their interface; call it after the tap is closed.
void guard_free(struct guard *g);
