// SPDX-License-Identifier: BSD-3-Clause
// A small blocking JSON-RPC client for moltctl and the tests: one connection, one request at a
// time (or raw lines), every wait bounded by the timeout given at connect.
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "common/rpc/rpc.h"

struct rpc_client;

// Connects to the socket at path. timeout_ms bounds each later send, read or call (<= 0: wait
// forever). Returns NULL with a message in err, e.g. "cannot connect to /run/molt/moltd.sock:
// No such file or directory (is moltd running?)", and errno set.
struct rpc_client *rpc_client_connect(const char *path, int timeout_ms, char *err, size_t errlen);

void rpc_client_close(struct rpc_client *c);

// Calls method with params (borrowed; NULL: none) and waits for its reply. Returns:
//  0            *result holds the result (new reference);
//  -EREMOTEIO   the server answered with an error: err->code, err->message, err->data (owned
//               by err: json_decref it) are the server's;
//  other -errno no answer (timeout, connection closed, bad reply): err->code is 0 and
//               err->message says what happened.
int rpc_client_call(struct rpc_client *c, const char *method, json_t *params, json_t **result,
		    struct rpc_error *err);

// Raw access, for pipelining and for tests that send malformed input. rpc_client_send writes
// len bytes as they are (add the '\n' yourself). rpc_client_read_line returns the next line
// (malloc'ed, NUL-terminated, without '\n') in *line and its length; at EOF it returns 0 with
// *line NULL. Both return -errno with a message in err on failure or timeout.
int rpc_client_send(struct rpc_client *c, const char *buf, size_t len, char *err, size_t errlen);
long rpc_client_read_line(struct rpc_client *c, char **line, char *err, size_t errlen);

// The socket, for callers that poll it themselves (or shut down one direction in tests).
int rpc_client_fd(const struct rpc_client *c);
