// SPDX-License-Identifier: BSD-3-Clause
// Shadow rule table: an open-addressing hash of (prefix, plen) -> nh. Engines such as rte_lpm
// do not expose their rules, so a driver keeps this copy, updated by every add and del, to
// answer walk and count and to know whether a del targets a present rule. It lives on the
// control thread only; workers never touch it.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"

struct shadow {
	uint8_t *slots; // capacity * stride bytes: uint32_t meta, then key bytes
	uint32_t capacity; // power of two, 0 before the first insert
	uint32_t count;
	uint8_t key_len; // 4 (IPv4, uint32_t host order) or 16 (IPv6, network order)
	uint8_t stride;
};

// key_len is 4 or 16. Allocates nothing until the first insert.
void shadow_init(struct shadow *s, uint8_t key_len);
// Finds key/plen; writes its nh to *nh (may be NULL) and returns true when present.
bool shadow_get(const struct shadow *s, const void *key, uint8_t plen, uint32_t *nh);
// Makes room for one more rule so that the next shadow_set cannot fail. -ENOMEM.
int shadow_reserve(struct shadow *s);
// Makes room for n more rules (at most max_routes in all) at once, so that those adds need not
// grow and rehash the table step by step. -ENOMEM leaves the shadow as it was.
int shadow_reserve_n(struct shadow *s, uint32_t max_routes, uint64_t n);
// Prefetches the slot where prefix/plen would be looked up first. prefix is as a driver's add
// takes it (host bits need not be zero); an invalid plen is ignored.
void shadow_prefetch(const struct shadow *s, const void *prefix, uint8_t plen);
// Inserts or replaces. A new key needs a successful shadow_reserve first.
void shadow_set(struct shadow *s, const void *key, uint8_t plen, uint32_t nh);
// The add path of a driver with a shadow: 0 when key/plen is present or may be added (room
// reserved), -ENOSPC when max_routes rules are held, -ENOMEM. Call shadow_set once the engine
// accepted the rule, so the shadow and the engine always hold the same set.
int shadow_admit(struct shadow *s, uint32_t max_routes, const void *key, uint8_t plen);
// Removes key/plen; false when absent.
bool shadow_del(struct shadow *s, const void *key, uint8_t plen);
// Visits every rule once; cb must not modify the shadow. Returns cb's first non-zero value.
int shadow_walk(const struct shadow *s, fib_walk_cb cb, void *arg);
size_t shadow_memory(const struct shadow *s);
// Zeroes and frees the slots; the shadow is empty (and reusable) afterwards.
void shadow_scrub_free(struct shadow *s);
