// SPDX-License-Identifier: BSD-3-Clause
// Route parameters shared by the route server's RPC methods: the routes of a request
// ({"route": R} or {"routes": [R, ...]}) parsed with the route-file parser. R is a route line
// or {"prefix": P, "paths": [{"via": A, "dev"?: PORT, "weight"?: W}, ...]}, which is the line
// "P nexthop via A [dev PORT] [weight W] ..." (1-16 paths; one path is a plain 'via' route).
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/route.h"
#include "common/rpc/rpc.h"

// Longest route text accepted from a request: room for 16 IPv6 paths with port and weight.
#define RS_ROUTE_TEXT_MAX 2048

struct rs_routes {
	struct molt_route *rt; // n parsed routes, in request order
	bool *key_only; // per route: only a prefix was given (route.del)
	struct molt_route *grp; // MOLT_MAX_PATHS records per route: its group (multipath routes)
	uint8_t *ngrp; // per route: records in grp (0: a single-path route)
	size_t n;
	bool batch; // "routes" (errors say routes[i]) rather than "route"
};

// Parses params into rs (free it with rs_routes_free). allow_prefix: a bare prefix is a valid
// item (route.del). Returns 0, or -1 with err set to a message naming the item and the reason.
int rs_routes_parse(const json_t *params, bool allow_prefix, struct rs_routes *rs,
		    struct rpc_error *err);

void rs_routes_free(struct rs_routes *rs);

// "routes[3] '10.0.0.0/8 via 10.0.1.1'" or "route '...'" for messages about item i.
void rs_routes_name(const struct rs_routes *rs, size_t i, char *buf, size_t len);
