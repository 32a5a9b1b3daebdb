// SPDX-License-Identifier: BSD-3-Clause
// What the control-plane guard (guard.bpf.c) and its loader (control/cpif/guard.c) share: the
// map layouts and the counter indexes. Plain C types only: the header is compiled both for the
// BPF target and for moltd.
#pragma once

// Counters, one per direction and outcome. "in" is the tap's ingress (packets moltd writes
// towards the control plane), "out" its egress (packets the control plane sends).
#define GUARD_COUNTERS(X) \
	X(IN_PASS, "in_pass") \
	X(IN_NOT_IP, "in_drop_not_ip") \
	X(IN_MALFORMED, "in_drop_malformed") \
	X(IN_FRAGMENT, "in_drop_fragment") \
	X(IN_NOT_PROTOCOL, "in_drop_not_protocol") \
	X(IN_NOT_PEER, "in_drop_not_peer") \
	X(OUT_PASS, "out_pass") \
	X(OUT_NOT_IP, "out_drop_not_ip") \
	X(OUT_MALFORMED, "out_drop_malformed") \
	X(OUT_FRAGMENT, "out_drop_fragment") \
	X(OUT_NOT_PROTOCOL, "out_drop_not_protocol") \
	X(OUT_NOT_PEER, "out_drop_not_peer")

enum guard_counter {
#define X(e, s) GUARD_##e,
	GUARD_COUNTERS(X)
#undef X
		GUARD_CTR_MAX
};

// Offset from an IN_ counter to its OUT_ twin.
#define GUARD_OUT_OFFSET (GUARD_OUT_PASS - GUARD_IN_PASS)

#define GUARD_MAX_PEERS 256
#define GUARD_MAX_EXTRA 32

// Key of the peers map: an IPv6 address, or an IPv4 one mapped (::ffff:a.b.c.d).
struct guard_addr {
	unsigned char a[16];
};

// Key of the extra-protocols map (control_plane.protocols): IP protocol and port (0 for a
// protocol without ports). TCP matches either port, UDP the destination port on the way in
// and out of the control plane alike.
struct guard_proto {
	unsigned char proto;
	unsigned char pad;
	unsigned short port; // host order
};

// The conf map's single entry.
struct guard_conf {
	unsigned int n_peers; // 0: BGP (and ARP/ND) from and to any address, nothing else
};
