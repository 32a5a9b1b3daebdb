// SPDX-License-Identifier: BSD-3-Clause
// A slot: everything a worker needs to forward, built fresh, used, then scrubbed and freed.
// Workers reach the slot in use only through dp->active, loaded once per burst.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dataplane/ecmp.h"
#include "dataplane/nexthop.h"
#include "drivers/driver.h"

enum slot_state {
	SLOT_EMPTY = 0,
	SLOT_BUILDING,
	SLOT_READY,
	SLOT_ACTIVE,
	SLOT_DRAINING,
	SLOT_ERASED,
	SLOT_STATE_MAX
};

struct slot {
	// Read by workers (hot): the FIBs and next hops.
	struct fib *fib4;
	struct fib *fib6;
	const struct fib_ops *ops4;
	const struct fib_ops *ops6;
	struct molt_nh *nh; // nh_capacity entries, rte_zmalloc'ed
	struct molt_nh_group *grp; // next-hop groups (NH_GROUP), grp_capacity entries or NULL
	uint32_t nh_capacity;
	uint32_t grp_capacity;
	// Control only below.
	uint32_t nh_count;
	uint32_t grp_count; // entries of grp in use; each holds a counter row (ecmp_ctr_acquire)
	uint32_t id; // position in the slot array
	enum slot_state state;
	uint64_t generation; // unique per build; names the DPDK objects
	const struct fib_driver *driver;
	uint64_t routes4, routes6; // feed routes installed
	uint64_t rejected; // feed routes not installable (e.g. gateway not on-link)
	uint64_t digest; // sum of molt_route_hash() of the installed feed routes
	uint64_t feed_generation; // feed generation / sequence it was built from
	uint64_t feed_seq;
	uint64_t build_ns; // how long the build took
	uint64_t created_ns; // CLOCK_MONOTONIC at build start
	uint64_t activated_ns;
};

const char *slot_state_name(enum slot_state s);

// Allocates a zeroed slot (state EMPTY) with empty IPv4 and IPv6 FIBs of driver d and a zeroed
// next-hop table of nh_capacity entries, all in DPDK memory. The FIBs are named from generation
// (DPDK object names are global), so generation must be unique among live slots.
// Returns NULL with errno set (EINVAL, ENOMEM, EEXIST).
struct slot *slot_alloc(const struct fib_driver *d, uint64_t generation, const struct fib_conf *c4,
			const struct fib_conf *c6, uint32_t nh_capacity);

// Gives s (no group table yet) a zeroed table of capacity next-hop groups in DPDK memory.
// Returns 0, -EINVAL or -ENOMEM.
int slot_groups_alloc(struct slot *s, uint32_t capacity);

// Overwrites the FIBs, the next-hop table and the slot itself, then frees them. Only for a
// slot no worker can reach any more (never published, or past its RCU grace period). NULL-safe.
void slot_free_scrub(struct slot *s);

// Bytes of DPDK memory the slot holds (FIBs + next-hop and group tables + the struct).
size_t slot_memory(const struct slot *s);
