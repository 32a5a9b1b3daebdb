// SPDX-License-Identifier: BSD-3-Clause
// A growable next-hop list with deduplication of gateway next hops, used while a slot is
// built: a million routes usually share a few hundred gateways, and each distinct
// (family, gateway, port) must be one entry so one neighbour update reaches all its routes.
// Plain malloc memory; copied into the slot's table once the final count is known.
#pragma once

#include <stdint.h>

#include "dataplane/nexthop.h"

struct nh_set {
	struct molt_nh *nh; // count entries (capacity allocated)
	uint32_t count;
	uint32_t capacity;
	uint32_t *index; // open addressing: nh index or UINT32_MAX; index_size slots
	uint32_t index_size; // power of two
	uint32_t gateways; // entries in the index
};

int nh_set_init(struct nh_set *set);
void nh_set_fini(struct nh_set *set);

// Appends an entry that is never shared (connected, local, drop, blackhole). Returns its index
// or -ENOMEM / -ENOSPC (FIB_NH_MAX reached).
int64_t nh_set_add(struct nh_set *set, enum nh_kind kind, uint16_t port);

// Returns the index of the gateway next hop (family, gw, port), creating it as NH_UNRESOLVED
// on first use. -ENOMEM / -ENOSPC as above.
int64_t nh_set_gateway(struct nh_set *set, uint8_t family, const uint8_t gw[16], uint16_t port);
