// SPDX-License-Identifier: BSD-3-Clause
// Linear probing with backward-shift deletion (no tombstones, so a long add/del history does
// not slow probes down). An entry is 4 + key_len bytes: 8 for IPv4, 20 for IPv6.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "drivers/prefix.h"
#include "drivers/shadow.h"

#define SHADOW_MIN_CAPACITY 1024u
// Grow above 3/4 load: linear probing stays short below that.
#define SHADOW_LOAD_NUM 3
#define SHADOW_LOAD_DEN 4

// meta = nh << 8 | (plen + 1): plen <= 128 fits a byte and 0 means an empty slot. nh must be
// < FIB_NH_MAX (2^20), checked by the drivers, so it fits the upper 24 bits.
static inline uint32_t meta_make(uint8_t plen, uint32_t nh)
{
	return nh << 8 | (uint32_t)(plen + 1);
}

static inline uint8_t *slot_at(const struct shadow *s, uint32_t i)
{
	return s->slots + (size_t)i * s->stride;
}

static inline uint32_t slot_meta(const uint8_t *slot)
{
	uint32_t m;

	memcpy(&m, slot, sizeof(m));
	return m;
}

static inline void slot_set_meta(uint8_t *slot, uint32_t m)
{
	memcpy(slot, &m, sizeof(m));
}

// DPDK's CRC32 hash (the hardware instruction where the CPU has it), seeded with the length.
// rte_hash_crc reads whole 8-byte words; keys sit 4 bytes into a slot, so it reads a copy.
static inline uint32_t hash_key(const struct shadow *s, const void *key, uint8_t plen)
{
	uint64_t k[PREFIX6_LEN / sizeof(uint64_t)];

	memcpy(k, key, s->key_len);
	return rte_hash_crc(k, s->key_len, plen);
}

static inline bool slot_matches(const struct shadow *s, const uint8_t *slot, const void *key,
				uint8_t plen)
{
	uint32_t m = slot_meta(slot);

	return (m & 0xff) == (uint32_t)(plen + 1) && memcmp(slot + 4, key, s->key_len) == 0;
}

void shadow_init(struct shadow *s, uint8_t key_len)
{
	memset(s, 0, sizeof(*s));
	s->key_len = key_len;
	s->stride = (uint8_t)(4 + key_len);
}

// Returns the index of key/plen, or of the empty slot where it would go.
static uint32_t probe(const struct shadow *s, const void *key, uint8_t plen)
{
	uint32_t mask = s->capacity - 1;
	uint32_t i = hash_key(s, key, plen) & mask;

	while (slot_meta(slot_at(s, i)) != 0 && !slot_matches(s, slot_at(s, i), key, plen))
		i = (i + 1) & mask;
	return i;
}

bool shadow_get(const struct shadow *s, const void *key, uint8_t plen, uint32_t *nh)
{
	if (s->capacity == 0)
		return false;
	uint32_t m = slot_meta(slot_at(s, probe(s, key, plen)));
	if (m == 0)
		return false;
	if (nh != NULL)
		*nh = m >> 8;
	return true;
}

// Rehashes into a table of cap slots (a power of two that holds every rule).
static int grow(struct shadow *s, uint32_t cap)
{
	struct shadow n = *s;

	if (cap == 0)
		return -ENOMEM;
	n.capacity = cap;
	n.slots = calloc(cap, s->stride);
	if (n.slots == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->capacity; i++) {
		const uint8_t *old = slot_at(s, i);

		if (slot_meta(old) == 0)
			continue;
		uint8_t plen = (uint8_t)((slot_meta(old) & 0xff) - 1);
		memcpy(slot_at(&n, probe(&n, old + 4, plen)), old, s->stride);
	}
	// The old array held routes too: scrub it like everything else we release. n keeps the
	// count, which shadow_scrub_free resets in s.
	shadow_scrub_free(s);
	*s = n;
	return 0;
}

static bool fits(uint64_t rules, uint64_t capacity)
{
	return rules * SHADOW_LOAD_DEN <= capacity * SHADOW_LOAD_NUM;
}

int shadow_reserve(struct shadow *s)
{
	if (fits((uint64_t)s->count + 1, s->capacity))
		return 0;
	return grow(s, s->capacity ? s->capacity * 2 : SHADOW_MIN_CAPACITY);
}

int shadow_reserve_n(struct shadow *s, uint32_t max_routes, uint64_t n)
{
	uint64_t room = s->count < max_routes ? max_routes - s->count : 0;
	uint64_t want = s->count + (n < room ? n : room);
	uint64_t cap = s->capacity ? s->capacity : SHADOW_MIN_CAPACITY;

	if (fits(want, s->capacity))
		return 0;
	while (!fits(want, cap))
		cap *= 2;
	// A capacity is a uint32_t power of two.
	return cap > (1u << 31) ? -ENOMEM : grow(s, (uint32_t)cap);
}

void shadow_prefetch(const struct shadow *s, const void *prefix, uint8_t plen)
{
	union prefix_key key;

	if (s->capacity == 0 || prefix_key(s->key_len == 4 ? 4 : 6, prefix, plen, &key) < 0)
		return;
	__builtin_prefetch(slot_at(s, hash_key(s, &key, plen) & (s->capacity - 1)));
}

int shadow_admit(struct shadow *s, uint32_t max_routes, const void *key, uint8_t plen)
{
	if (shadow_get(s, key, plen, NULL))
		return 0;
	if (s->count >= max_routes)
		return -ENOSPC;
	return shadow_reserve(s);
}

void shadow_set(struct shadow *s, const void *key, uint8_t plen, uint32_t nh)
{
	uint8_t *slot = slot_at(s, probe(s, key, plen));

	if (slot_meta(slot) == 0) {
		memcpy(slot + 4, key, s->key_len);
		s->count++;
	}
	slot_set_meta(slot, meta_make(plen, nh));
}

bool shadow_del(struct shadow *s, const void *key, uint8_t plen)
{
	if (s->capacity == 0)
		return false;
	uint32_t mask = s->capacity - 1;
	uint32_t hole = probe(s, key, plen);
	if (slot_meta(slot_at(s, hole)) == 0)
		return false;

	// Backward shift: move later entries of the run into the hole when their home slot does
	// not lie strictly between the hole and them, so every entry stays reachable.
	for (uint32_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
		uint8_t *e = slot_at(s, j);
		uint32_t m = slot_meta(e);

		if (m == 0)
			break;
		uint32_t home = hash_key(s, e + 4, (uint8_t)((m & 0xff) - 1)) & mask;
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			memcpy(slot_at(s, hole), e, s->stride);
			hole = j;
		}
	}
	memset(slot_at(s, hole), 0, s->stride);
	s->count--;
	return true;
}

int shadow_walk(const struct shadow *s, fib_walk_cb cb, void *arg)
{
	for (uint32_t i = 0; i < s->capacity; i++) {
		const uint8_t *e = slot_at(s, i);
		uint32_t m = slot_meta(e);

		if (m == 0)
			continue;
		// IPv4 keys are read through a uint32_t pointer by callers: the slot layout keeps
		// them 4-byte aligned (stride 8, key at offset 4, calloc'd base).
		int ret = cb(e + 4, (uint8_t)((m & 0xff) - 1), m >> 8, arg);
		if (ret != 0)
			return ret;
	}
	return 0;
}

size_t shadow_memory(const struct shadow *s)
{
	return (size_t)s->capacity * s->stride;
}

void shadow_scrub_free(struct shadow *s)
{
	if (s->slots != NULL) {
		// explicit_bzero: a memset right before free may be optimised away.
		explicit_bzero(s->slots, shadow_memory(s));
		free(s->slots);
	}
	s->slots = NULL;
	s->capacity = 0;
	s->count = 0;
}
