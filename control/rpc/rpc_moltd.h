// SPDX-License-Identifier: BSD-3-Clause
// moltd's JSON-RPC methods (control/rpc/rpc_<noun>.c, one file per noun) and the helpers they
// share. The methods register themselves (RPC_METHOD); main only fills moltd_rpc. Everything
// here runs on the control thread, which owns the slots, so methods read them without locks.
#pragma once

#include <jansson.h>
#include <rte_ether.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/feed/feed.h"
#include "control/config/config.h"
#include "common/rpc/rpc.h"
#include "dataplane/slot.h"

// What the methods read (main: wo before the first rpc_server_poll, and when slots change).
struct moltd_rpc_state {
	const struct molt_config *cfg;
	const struct feed_reader *feed; // NULL: no feed open
	uint64_t start_ns; // molt_now_ns() when moltd started
	struct slot *const *slots; // every slot that exists (NULL entries skipped)
	unsigned n_slots;
};

extern struct moltd_rpc_state moltd_rpc;

// route.lookup accepts at most this many addresses per call.
#define MRPC_LOOKUP_MAX 10000

// Returns result, or (result NULL: jansson ran out of memory) NULL with an internal error set,
// so a handler can end with `return mrpc_result(json_pack(...), err)`.
json_t *mrpc_result(json_t *result, struct rpc_error *err);

// Params validation beyond common/rpc/rpc.h (rpc_params_object, rpc_params_check). Each
// returns 0, or -EINVAL with err set to RPC_INVALID_PARAMS and a message naming the parameter
// (as the client wrote it, e.g. "addresses[3]").
int mrpc_param_bool(const json_t *v, const char *name, bool *out, struct rpc_error *err);
int mrpc_param_addr(const json_t *v, const char *name, uint8_t *family, uint8_t ip[16],
		    struct rpc_error *err);
int mrpc_param_mac(const json_t *v, const char *name, struct rte_ether_addr *mac,
		   struct rpc_error *err);
// A configured port, by name: "port 'p9' does not exist (ports: p0, p1)".
int mrpc_param_port(const json_t *v, const char *name, const struct molt_port_conf **pc,
		    struct rpc_error *err);

// Formatting.
json_t *mrpc_addr_json(uint8_t family, const uint8_t ip[16]);
json_t *mrpc_mac_json(const struct rte_ether_addr *mac);
// Name of a DPDK port id from the config; NULL when moltd does not own that port.
const char *mrpc_port_name(uint16_t port_id);
