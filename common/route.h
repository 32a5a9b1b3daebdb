// SPDX-License-Identifier: BSD-3-Clause
// The canonical route: what the route server owns and publishes, and what a slot is built from.
// The same struct is the on-wire element of the shared-memory snapshot and journal, so it is
// fixed-size, has no pointers and no padding holes.
#pragma once

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOLT_PORT_NAME_MAX 16 // including the NUL; also the limit on port names in moltd's config

enum molt_route_type {
	MOLT_RT_VIA = 1, // PREFIX via GATEWAY [dev PORT]
	MOLT_RT_DEV = 2, // PREFIX dev PORT (on-link: the destination is the neighbour)
	MOLT_RT_BLACKHOLE = 3, // PREFIX blackhole (drop silently, counted)
	// PREFIX nexthop via A [dev P] [weight W] nexthop via B ...: the paths are a next-hop
	// group, gateway holds the group's reference (molt_route_group_key).
	MOLT_RT_MULTIPATH = 4,
	// Not a route: one path of a next-hop group (family MOLT_FAMILY_GROUP), see below.
	MOLT_RT_GROUP_PATH = 5,
};

// Multipath routes. A group is content-addressed: its id is a hash of its paths in canonical
// order (sorted by gateway, then port, then weight), so the same paths give the same group in
// every process and generation, and routes with the same paths share it. The table (RIB, feed,
// moltd's mirror) holds a group as one record per path, keyed apart from every route:
//   family MOLT_FAMILY_GROUP, plen = path index, type MOLT_RT_GROUP_PATH,
//   reserved = weight - 1, prefix = id (8 bytes LE), path count, gateway family, zeros,
//   gateway and dev = the path.
// A multipath route: type MOLT_RT_MULTIPATH, gateway = id (8 bytes LE), path count, zeros.
// A group's records come before the routes that use it (snapshot and journal order do not
// matter to readers: they look a group up only when building from a route).
#define MOLT_MAX_PATHS 16
#define MOLT_FAMILY_GROUP 0x47
#define MOLT_WEIGHT_MAX 256
#define MOLT_ROUTE_RECS_MAX (MOLT_MAX_PATHS + 1) // records one route line can give

struct molt_path {
	uint8_t family; // of the gateway: 4 or 6
	uint16_t weight; // 1-256
	uint8_t gateway[16];
	char dev[MOLT_PORT_NAME_MAX]; // empty: resolved like a 'via' route
};

// family is 4 or 6 (not AF_*: the value is on the wire and must not depend on the libc).
// Addresses are in network byte order; an IPv4 address uses the first 4 bytes of the 16.
// Host bits of prefix beyond plen are always zero (the parser rejects them otherwise).
// dev is empty when no device was given.
struct molt_route {
	uint8_t family;
	uint8_t plen;
	uint8_t type;
	uint8_t reserved; // zero
	uint8_t prefix[16];
	uint8_t gateway[16];
	char dev[MOLT_PORT_NAME_MAX];
};
static_assert(sizeof(struct molt_route) == 52, "molt_route is a wire format");

// Parses one route line (no comment, no newline needed; leading/trailing blanks allowed).
// Returns 0 and fills *r, 1 if the line is blank or a comment, or -EINVAL with a message that
// names the problem written to err (always NUL-terminated).
int molt_route_parse(const char *line, struct molt_route *r, char *err, size_t errlen);

// As molt_route_parse, and also the multipath form: fills out[0..n) with the group's records
// followed by the route (out[n - 1]) and returns n (1 for a single-path route), 0 for a blank
// line or a comment, or -EINVAL with a message in err. One 'nexthop' is a plain 'via' route.
int molt_route_parse_multi(const char *line, struct molt_route out[MOLT_ROUTE_RECS_MAX], char *err,
			   size_t errlen);

// Makes r (its key already set) a multipath route over paths[0..n) (2 <= n <= MOLT_MAX_PATHS;
// sorted here into the canonical order) and fills recs[0..n) with the group's records.
void molt_route_set_paths(struct molt_route *r, struct molt_path *paths, unsigned n,
			  struct molt_route *recs);

// The group a MOLT_RT_MULTIPATH route or MOLT_RT_GROUP_PATH record refers to, its path count.
uint64_t molt_route_group_id(const struct molt_route *r);
unsigned molt_route_group_size(const struct molt_route *r);

// The key of path idx of route r's group (r: a MOLT_RT_MULTIPATH route).
void molt_route_group_key(const struct molt_route *r, unsigned idx, struct molt_route *key);

// The path a MOLT_RT_GROUP_PATH record holds.
void molt_route_group_path(const struct molt_route *rec, struct molt_path *p);

// Formats route r with its group's paths (paths[0..n), in index order) in the route-file
// syntax. Returns the length like snprintf.
int molt_route_format_paths(const struct molt_route *r, const struct molt_path *paths, unsigned n,
			    char *buf, size_t len);

// Parses "ADDR/LEN" (IPv4 or IPv6). Host bits must be zero unless allow_host_bits is set
// (port addresses in the config carry host bits: 10.0.1.1/24). Returns 0 or -EINVAL.
int molt_prefix_parse(const char *s, uint8_t *family, uint8_t addr[16], uint8_t *plen,
		      bool allow_host_bits, char *err, size_t errlen);

// Parses a bare IPv4 or IPv6 address. Returns 0 or -EINVAL.
int molt_addr_parse(const char *s, uint8_t *family, uint8_t addr[16]);

// Formats a route back into the route-file syntax. Returns the length like snprintf.
int molt_route_format(const struct molt_route *r, char *buf, size_t len);

// Formats an address (family 4 or 6). Returns buf.
const char *molt_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len);

// Key equality: same family, plen and prefix (a later route for the same key replaces it).
bool molt_route_same_key(const struct molt_route *a, const struct molt_route *b);

// A 64-bit hash of the whole route (key and next hop). The content digest of a table is the
// sum (mod 2^64) of the hashes of its routes: independent of order, and updated incrementally
// by adding on insert and subtracting on delete.
uint64_t molt_route_hash(const struct molt_route *r);

// The one 64-bit mixer of molt's own: behind molt_route_hash and the other digests that are
// sums of hashes (slot_verify's rule digest), and the RIB's index (common/ does not link DPDK;
// code that does uses rte_jhash). Every input bit reaches every output bit.
uint64_t molt_mix64(uint64_t x);
