// SPDX-License-Identifier: BSD-3-Clause
// Slot verification before a slot may serve: walk its FIBs through the driver and compare
// what they hold with what the control thread meant to install, then check that the lookups
// workers make answer by those rules. Control or builder thread.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dataplane/slot.h"

// Hash of one installed rule, normalised: family, prefix (host bits cleared), plen, and the
// next hop's kind (as created), egress port and gateway. prefix is network order, 4 or 16
// bytes used. The expected digest of a slot is the sum (mod 2^64) of this over every rule.
uint64_t slot_rule_hash(uint8_t family, const uint8_t *prefix, uint8_t plen,
			const struct molt_nh *nh);

struct slot_verify_result {
	uint64_t rules; // rules the walk visited (both families)
	uint64_t digest; // their slot_rule_hash sum
	uint64_t bad_nh; // rules whose next-hop index is out of the slot's table
	uint64_t probes; // addresses looked up (each rule's first address and the one after it)
	uint64_t wrong; // lookups whose answer is not the longest matching walked rule's
};

// Walks both FIBs of s, then looks up (through lookup_bulk, what workers call) every address
// where the longest match among the walked rules changes. Returns 0 when the walk found exactly
// `rules` rules summing to `digest` and every lookup agrees with them, else -EBADMSG with a
// message in err naming the mismatch, or -ENOMEM. A FIB whose driver has seal must be sealed.
int slot_verify(const struct slot *s, uint64_t rules, uint64_t digest,
		struct slot_verify_result *res, char *err, size_t errlen);
