// SPDX-License-Identifier: BSD-3-Clause
// Slot memory: one allocation for the struct, one per FIB, one for the next-hop table, one for
// the next-hop groups. Freeing
// always scrubs first, so nothing a slot held (possibly tampered state) survives into memory
// the next slot may be given.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "dataplane/slot.h"

static const char *const state_names[SLOT_STATE_MAX] = {
	[SLOT_EMPTY] = "empty",   [SLOT_BUILDING] = "building", [SLOT_READY] = "ready",
	[SLOT_ACTIVE] = "active", [SLOT_DRAINING] = "draining", [SLOT_ERASED] = "erased",
};

const char *slot_state_name(enum slot_state s)
{
	if ((unsigned)s >= SLOT_STATE_MAX)
		return "invalid";
	return state_names[s];
}

struct slot *slot_alloc(const struct fib_driver *d, uint64_t generation, const struct fib_conf *c4,
			const struct fib_conf *c6, uint32_t nh_capacity)
{
	// Drivers prefix these ("LPM_", "LPM6_", ...) and DPDK names stop at 31 characters: keep
	// ours short. The generation alone makes them unique.
	char name[24];
	struct slot *s;
	int err;

	if (d == NULL || c4 == NULL || c6 == NULL || nh_capacity == 0 || nh_capacity > FIB_NH_MAX) {
		errno = EINVAL;
		return NULL;
	}
	s = rte_zmalloc("molt_slot", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	s->driver = d;
	s->ops4 = d->v4;
	s->ops6 = d->v6;
	s->generation = generation;
	s->state = SLOT_EMPTY;
	s->nh_capacity = nh_capacity;

	s->nh = rte_zmalloc("molt_nh", (size_t)nh_capacity * sizeof(*s->nh), RTE_CACHE_LINE_SIZE);
	if (s->nh == NULL) {
		err = ENOMEM;
		goto fail;
	}
	snprintf(name, sizeof(name), "s%" PRIu64 "v4", generation);
	s->fib4 = s->ops4->create(name, c4);
	if (s->fib4 == NULL) {
		err = errno ? errno : ENOMEM;
		goto fail;
	}
	snprintf(name, sizeof(name), "s%" PRIu64 "v6", generation);
	s->fib6 = s->ops6->create(name, c6);
	if (s->fib6 == NULL) {
		err = errno ? errno : ENOMEM;
		goto fail;
	}
	return s;
fail:
	slot_free_scrub(s);
	errno = err;
	return NULL;
}

int slot_groups_alloc(struct slot *s, uint32_t capacity)
{
	if (s->grp != NULL || capacity == 0 || capacity > FIB_NH_MAX)
		return -EINVAL;
	s->grp = rte_zmalloc("molt_nh_group", (size_t)capacity * sizeof(*s->grp),
			     RTE_CACHE_LINE_SIZE);
	if (s->grp == NULL)
		return -ENOMEM;
	s->grp_capacity = capacity;
	return 0;
}

size_t slot_memory(const struct slot *s)
{
	size_t m = sizeof(*s) + (size_t)s->nh_capacity * sizeof(*s->nh) +
		   (size_t)s->grp_capacity * sizeof(*s->grp);

	if (s->fib4 != NULL)
		m += s->ops4->memory(s->fib4);
	if (s->fib6 != NULL)
		m += s->ops6->memory(s->fib6);
	return m;
}

void slot_free_scrub(struct slot *s)
{
	if (s == NULL)
		return;
	if (s->fib4 != NULL)
		s->ops4->free_scrub(s->fib4);
	if (s->fib6 != NULL)
		s->ops6->free_scrub(s->fib6);
	if (s->nh != NULL) {
		explicit_bzero(s->nh, (size_t)s->nh_capacity * sizeof(*s->nh));
		rte_free(s->nh);
	}
	if (s->grp != NULL) {
		for (uint32_t i = 0; i < s->grp_count && i < s->grp_capacity; i++)
			ecmp_ctr_release(s->grp[i].ctr);
		explicit_bzero(s->grp, (size_t)s->grp_capacity * sizeof(*s->grp));
		rte_free(s->grp);
	}
	explicit_bzero(s, sizeof(*s));
	rte_free(s);
}
