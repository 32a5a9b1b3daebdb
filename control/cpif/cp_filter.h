// SPDX-License-Identifier: BSD-3-Clause
// moltd's own filter for the control plane (the guard in bpf/ is the other, independent one):
// which frames are routing-protocol traffic, and the per-port token bucket that bounds what
// goes up. Pure functions of the frame and the config: no state but the bucket given.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "control/config/config.h"

enum cp_kind {
	CP_NONE, // not for the control plane
	CP_BGP, // TCP, source or destination port 179
	CP_BFD, // UDP to 3784 (control), 3785 (echo), 4784 (multihop)
	CP_OSPF, // IP protocol 89, IPv4 or IPv6
	CP_EXTRA, // control_plane.protocols
	CP_ARP, // ARP (to and from the kernel's neighbour resolution)
	CP_ND, // ICMPv6 neighbour solicitation or advertisement
};

// Classifies an Ethernet frame of len bytes. IPv4 fragments other than the first, and IPv6
// packets with extension headers, are CP_NONE (no transport header to look at). ARP and ND are
// recognised (CP_ARP, CP_ND) but not judged: the caller decides where they may go.
enum cp_kind cp_classify(const uint8_t *frame, uint32_t len, const struct molt_cp_conf *cp);

// Token bucket: rate tokens per second up to burst, in TSC cycles.
struct cp_bucket {
	uint64_t tokens; // scaled by hz: one packet costs hz
	uint64_t last_tsc;
};

// Starts full.
void cp_bucket_init(struct cp_bucket *b, uint32_t burst, uint64_t hz, uint64_t now_tsc);
// Takes one token if there is one.
bool cp_bucket_take(struct cp_bucket *b, uint32_t rate, uint32_t burst, uint64_t hz,
		    uint64_t now_tsc);
