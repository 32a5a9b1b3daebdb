// SPDX-License-Identifier: BSD-3-Clause
// The part every driver built on a DPDK engine shares (rte_lpm, rte_lpm6, rte_fib, rte_fib6):
// the wrapper around the engine. None of those libraries lets us read its rules back, so each
// FIB keeps a shadow rule table (drivers/shadow.h), updated by every add and del: walk and
// count answer from it, and a del of an absent rule is caught there before DPDK sees it. An
// engine without depth 0 (rte_lpm, rte_lpm6) gets its default route kept here and returned for
// the addresses it misses. Each engine file holds only what is its own: create, the add and
// delete calls, lookups, memory accounting and freeing. Control thread only, except lookups.
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "drivers/shadow.h"

// One DPDK engine under the wrapper. key is the rule's key as the shadow holds it: a uint32_t
// in host order for IPv4, 16 bytes for IPv6, host bits zero.
struct wrap_engine {
	uint8_t family; // 4 or 6
	bool no_depth0; // the engine refuses plen 0: the wrapper keeps the default route
	int (*add)(void *engine, const void *key, uint8_t plen, uint32_t nh); // 0 / -errno
	int (*del)(void *engine, const void *key, uint8_t plen); // 0 / -errno
};

struct wrap_fib {
	void *engine; // struct rte_lpm, rte_lpm6, rte_fib or rte_fib6
	const struct wrap_engine *ops;
	uint32_t max_routes;
	// As created, for memory accounting: the engine's tbl8 groups (whichever kind it has) and
	// the max_routes its RIB was given (rte_fib, rte_fib6; 0 for the others).
	uint32_t tbl8_groups;
	uint32_t rib_routes;
	_Atomic uint32_t default_nh; // no_depth0 only. control: wo; workers: ro. FIB_NH_MISS: none
	struct shadow rules;
};

static inline struct wrap_fib *wrap(struct fib *f)
{
	return (struct wrap_fib *)f;
}

static inline const struct wrap_fib *cwrap(const struct fib *f)
{
	return (const struct wrap_fib *)f;
}

// Checks the common create arguments and allocates the wrapper (engine still NULL). NULL with
// errno EINVAL (no conf, max_routes 0 or above max_routes_limit, a name drv_dpdk_name refuses:
// the engine's DPDK name is written to dname) or ENOMEM.
struct wrap_fib *wrap_alloc(const struct wrap_engine *ops, const struct fib_conf *conf,
			    uint32_t max_routes_limit, const char *tag, const char *name,
			    char *dname, size_t dname_len);
// Frees a wrapper whose engine could not be created, setting errno from rte_errno.
struct fib *wrap_create_failed(struct wrap_fib *w);
// Frees the wrapper after the engine file has freed (and scrubbed) the engine.
void wrap_free(struct wrap_fib *w);
// The wrapper's own bytes: itself and its shadow.
size_t wrap_memory(const struct wrap_fib *w);

// fib_ops members that are the same for every wrapped engine.
int wrap_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh);
int wrap_del(struct fib *f, const void *prefix, uint8_t plen);
int wrap_reserve(struct fib *f, uint64_t n);
// The add reads the shadow slot first: on a full table it is a cache miss per add.
void wrap_prefetch(const struct fib *f, const void *prefix, uint8_t plen);
int wrap_walk(const struct fib *f, fib_walk_cb cb, void *arg);
uint64_t wrap_count(const struct fib *f);

// Those members in a fib_ops initializer; an engine's table adds family, create, its lookups,
// memory and free_scrub.
#define WRAP_OPS_SHARED \
	.add = wrap_add, .del = wrap_del, .walk = wrap_walk, .count = wrap_count, \
	.reserve = wrap_reserve, .prefetch = wrap_prefetch
