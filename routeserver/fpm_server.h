// SPDX-License-Identifier: BSD-3-Clause
// The route server's FPM input: a TCP listener that FRR zebra's dplane_fpm_nl module connects
// to, one session at a time. Routes go into the table's FPM source (rs_table.h). Runs on the
// main loop: the caller polls the descriptors fpm_server_pollfds gives, passes the results to
// fpm_server_handle, and calls fpm_server_tick at least every 100 ms. Nothing here blocks.
//
// A session's frames are checked whole before any of them is applied; a malformed one (bad
// header, truncated or overlong netlink message, bad attribute, unknown attribute type) closes
// the connection with a log line naming the problem and leaves the table as it was. When the
// session ends, its routes become stale and stay published; when zebra is back, it resends
// everything, and the stale routes the resend did not refresh are swept once the session has
// been up for the hold time and quiet for a second (or 4 holds at most).
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "routeserver/fpm/fpm_nhg.h"
#include "routeserver/fpm/fpm_parse.h"

#define FPM_DEFAULT_PORT 2620
#define FPM_DEFAULT_HOLD_S 5

struct fpm_stats {
	uint64_t connections, disconnects, malformed;
	uint64_t bytes, frames, messages;
	uint64_t route_adds, route_dels, nh_adds, nh_dels;
	uint64_t skipped[FPM_SKIP_COUNT]; // by enum fpm_skip
	uint64_t unresolved_nh; // RTA_NH_ID (or a group member) not known: route not installed
	uint64_t unusable_nh; // next hop with encapsulation, group of groups: not installed
	uint64_t no_gateway; // unicast next hop with an interface only (see docs/routing.md)
	uint64_t link_local_gw; // IPv6 link-local gateway: needs a port, which FPM cannot give
	uint64_t gw_family; // gateway of the other family (RFC 5549): not installed
	uint64_t multipath; // multipath routes installed (with all their paths, up to 16)
	uint64_t paths_truncated; // routes or groups with more than FPM_MAX_PATHS paths
	uint64_t capacity_refused; // new prefixes refused: the table is at --capacity
	uint64_t reresolved; // routes resolved again after zebra changed their next hop in place
	// routes removed because zebra deleted their next hop (or emptied their group) under them
	uint64_t nh_del_routes;
	uint64_t stale_marked, swept;
};

struct fpm_server;

// Listens on spec, "[ADDR:]PORT" (ADDR an IPv4 address or a bracketed IPv6 one, default
// 127.0.0.1; PORT 0 picks a free one). hold_s: the stale hold. Returns NULL with a message.
struct fpm_server *fpm_server_create(const char *spec, unsigned hold_s, char *err, size_t errlen);

// Fills pfd[0..) with the descriptors to poll (listener, connection). Returns how many (<= 2).
unsigned fpm_server_pollfds(const struct fpm_server *s, struct pollfd *pfd);

// Handles what poll reported on the descriptors fpm_server_pollfds gave (same order): accepts,
// reads (a bounded amount per call), applies and publishes.
void fpm_server_handle(struct fpm_server *s, const struct pollfd *pfd, unsigned n);

// Sweeps stale routes when their hold is over.
void fpm_server_tick(struct fpm_server *s, uint64_t now_ms);

// Closes the session and the listener; the FPM routes stay in the table (the process is
// exiting, or FPM is being turned off).
void fpm_server_destroy(struct fpm_server *s);

// For fpm.status. peer is "" when no session is up.
struct fpm_info {
	const char *listen; // "ADDR:PORT" as bound
	bool connected;
	const char *peer;
	uint64_t session_ms; // how long the session has been up
	uint32_t nexthops; // zebra next hops / groups known in this session
	bool sweep_pending;
	unsigned hold_s;
	const char *last_error; // the last problem that closed a session, "" if none
	const struct fpm_stats *stats;
};
void fpm_server_info(const struct fpm_server *s, struct fpm_info *info);

// The server main.c created, NULL without --fpm (for the RPC methods).
extern struct fpm_server *fpm_server;
