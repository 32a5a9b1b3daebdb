// SPDX-License-Identifier: BSD-3-Clause
// FPM frames from FRR zebra's dplane_fpm_nl: the 4-byte FPM header and the rtnetlink messages
// inside (RTM_NEWROUTE/DELROUTE, RTM_NEWNEXTHOP/DELNEXTHOP). Pure parsing, no state: a frame
// is checked whole before anything in it is used (fpm_frame_parse with no callback), then
// walked again to apply it. The netlink part is in zebra's host byte order (zebra runs on the
// same machine); the FPM header is in network order.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FPM_HDR_LEN 4
#define FPM_MAX_FRAME 65535 // the header's length field is 16 bits, header included
#define FPM_MAX_PATHS 16 // paths kept per route or group (more are counted and dropped)

// One next hop: a gateway and/or an interface index (zebra's namespace), with a weight (1-256).
struct fpm_path {
	uint8_t family; // 4 or 6; 0 when there is no gateway
	bool has_gw;
	uint16_t weight;
	uint32_t oif; // 0: none
	uint8_t gw[16];
};

// Why a well-formed message was not used. Counted per reason by the server.
enum fpm_skip {
	FPM_SKIP_NONE,
	FPM_SKIP_MSG_TYPE, // a netlink type other than route/nexthop (neighbours, links, ...)
	FPM_SKIP_FAMILY, // not IPv4/IPv6 (MPLS, bridge)
	FPM_SKIP_TABLE, // a table other than main (VRFs)
	FPM_SKIP_ROUTE_TYPE, // local, broadcast, multicast, throw, ...
	FPM_SKIP_SOURCE_ROUTE, // IPv6 source-specific route (rtm_src_len != 0)
	FPM_SKIP_ENCAP, // lightweight tunnel encapsulation, RTA_VIA (a gateway of another family)
	FPM_SKIP_COUNT,
};

// A route message with a skip reason is well formed but not one molt can use: a table other
// than main, another family or a source-specific route is none of its business (left alone); an
// ADD of another route type or with encapsulation replaces what zebra had for that prefix, so
// the prefix's FPM route is withdrawn.
enum fpm_kind {
	FPM_ROUTE_ADD,
	FPM_ROUTE_DEL,
	FPM_NH_ADD,
	FPM_NH_DEL,
	FPM_IGNORED, // another netlink message type (skip = FPM_SKIP_MSG_TYPE)
};

// RTN_* route types that are kept.
enum fpm_rtype {
	FPM_RT_UNICAST,
	FPM_RT_BLACKHOLE, // RTN_BLACKHOLE
	FPM_RT_UNREACHABLE, // RTN_UNREACHABLE and RTN_PROHIBIT
};

struct fpm_route {
	uint8_t family; // 4 or 6
	uint8_t plen;
	uint8_t rtype; // enum fpm_rtype (ADD only)
	bool replace; // NLM_F_REPLACE
	uint8_t prefix[16]; // host bits beyond plen cleared
	uint32_t nhid; // RTA_NH_ID, 0: the paths below
	uint8_t npaths; // inline paths (RTA_GATEWAY/RTA_OIF or RTA_MULTIPATH), at most 16
	uint16_t paths_given; // paths in the message (npaths is at most FPM_MAX_PATHS of them)
	struct fpm_path paths[FPM_MAX_PATHS];
};

struct fpm_group_member {
	uint32_t id;
	uint16_t weight; // 1-256
};

struct fpm_nh {
	uint32_t id;
	bool blackhole;
	bool unusable; // encapsulation or bridge FDB next hop: routes through it are skipped
	uint8_t ngroup; // 0: a single next hop (path), else members of a group, at most 16
	uint16_t group_given;
	struct fpm_path path;
	struct fpm_group_member group[FPM_MAX_PATHS];
};

struct fpm_msg {
	enum fpm_kind kind;
	enum fpm_skip skip; // why the message is not used (FPM_SKIP_NONE: it is)
	uint16_t nl_type; // the netlink message type
	union {
		struct fpm_route rt; // FPM_ROUTE_*
		struct fpm_nh nh; // FPM_NH_* (DEL: id only)
	};
};

// Checks an FPM header. Returns the frame length (header included, at least the header plus
// one netlink header) or -EBADMSG with the problem in err.
int fpm_header_parse(const uint8_t hdr[FPM_HDR_LEN], char *err, size_t errlen);

// Parses one netlink message (len bytes from nlmsghdr on, exactly nlmsg_len). Returns 0 with *m
// filled, or -EBADMSG with the problem in err (truncated structures, bad attribute lengths,
// attribute types unknown for the message type, prefix lengths out of range).
int fpm_nl_parse(const uint8_t *buf, size_t len, struct fpm_msg *m, char *err, size_t errlen);

// Called for each message of a frame in order; a negative return stops the walk and is
// returned.
typedef int (*fpm_msg_fn)(void *ctx, const struct fpm_msg *m);

// Walks the netlink messages of one frame's payload (the bytes after the FPM header), which
// must hold one or more whole messages, each 4-byte aligned, and nothing else. fn may be NULL
// (check only). Returns the number of messages, or -EBADMSG with "message N: problem" in err,
// or what fn returned.
int fpm_frame_parse(const uint8_t *payload, size_t len, fpm_msg_fn fn, void *ctx, char *err,
		    size_t errlen);
