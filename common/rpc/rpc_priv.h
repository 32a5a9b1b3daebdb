// SPDX-License-Identifier: BSD-3-Clause
// Internals of the JSON-RPC library shared by its files (not for method implementations).
//
// A connection (struct rpc_conn) is the socket-free part of a client: the input framer, the
// queue of replies in request order and the output buffer. The server moves bytes between it
// and a socket; the fuzzer drives it directly.
#pragma once

#include "common/rpc/rpc.h"

#include <stdbool.h>
#include <stddef.h>

// Defaults of struct rpc_server_conf (0 in a field means the default).
#define RPC_DEFAULT_MAX_REQUEST (1u << 20)
#define RPC_DEFAULT_MAX_OUTPUT (64u << 20)
#define RPC_DEFAULT_MAX_CLIENTS 64u
#define RPC_DEFAULT_MAX_NOTIFY_BACKLOG (1u << 20)
// Requests handled per rpc_server_poll call (a batch counts as its number of elements).
#define RPC_POLL_BUDGET 64u
#define RPC_POLL_TIME_NS UINT64_C(2000000) // stop taking requests after 2 ms in one poll
// Reply units queued behind a deferred one before the connection stops reading requests.
#define RPC_MAX_QUEUED 256u

struct rpc_conn;

// The reply to one request line: one object, one batch array, or nothing. It leaves the queue
// only when every deferred answer it waits for has come in.
struct rpc_unit {
	struct rpc_unit *next;
	struct rpc_conn *conn; // NULL for rpc_handle_line: rpc_defer is refused
	json_t *reply; // object, array (batch), or NULL (nothing to send)
	struct rpc_pending *pending; // deferred answers still missing (doubly linked)
	unsigned npending;
};

struct rpc_pending {
	struct rpc_pending *prev, *next;
	struct rpc_unit *unit; // NULL once the client is gone: completing is a no-op
	json_t *id; // NULL for a notification: the answer is dropped
	size_t index; // position in a batch reply array
	bool in_batch;
};

struct rpc_call {
	struct rpc_unit *unit;
	json_t *id; // borrowed from the request; NULL for a notification
	size_t index;
	bool in_batch;
	bool deferred;
};

struct rpc_conn {
	size_t max_request;
	size_t max_output;
	// Input: bytes [in_off, in_len) of in are not processed yet.
	char *in;
	size_t in_off, in_len, in_cap;
	// Replies in request order; head is the oldest.
	struct rpc_unit *head, *tail;
	unsigned nunits;
	// Output: bytes [out_off, out_len) of out are not sent yet.
	char *out;
	size_t out_off, out_len, out_cap;
	// Notification topics this client subscribed to (malloc'ed strings).
	char **topics;
	unsigned ntopics;
	bool eof; // the peer will send nothing more
	bool closing; // read nothing more; close once the output is sent
	bool dead; // drop at once (output limit, write error, no memory)
	const char *why; // why it is dead, for the log
};

// rpc_proto.c: handles one request line (object or batch) and fills unit->reply. Returns the
// number of requests it counted (1 per object, batch elements, at least 1).
unsigned rpc_proto_handle(struct rpc_unit *unit, const char *line, size_t len);
// A complete error reply object (for framing errors detected outside a request).
json_t *rpc_proto_error(json_t *id, int code, const char *message, json_t *data);

// rpc_conn.c
void rpc_conn_init(struct rpc_conn *c, size_t max_request, size_t max_output);
// Frees queued replies and orphans deferred answers still outstanding.
void rpc_conn_fini(struct rpc_conn *c);
// Where to read the next bytes (at most *room), grown as needed; NULL if none is allowed now.
char *rpc_conn_input_space(struct rpc_conn *c, size_t *room);
void rpc_conn_input_commit(struct rpc_conn *c, size_t n);
// Handles complete lines (and, after EOF, a final unterminated one) up to budget requests.
// Returns the number of requests counted.
unsigned rpc_conn_process(struct rpc_conn *c, unsigned budget);
// True if complete input is waiting (the last rpc_conn_process ran out of budget).
bool rpc_conn_has_work(const struct rpc_conn *c);
// Moves ready replies from the head of the queue to the output buffer.
void rpc_conn_flush_queue(struct rpc_conn *c);
// True when the connection has nothing left to do and may be closed after EOF.
bool rpc_conn_finished(const struct rpc_conn *c);
// Drops n sent bytes from the output buffer.
void rpc_conn_output_consume(struct rpc_conn *c, size_t n);
// True if the client subscribed to topic (or to every topic).
bool rpc_conn_subscribed(const struct rpc_conn *c, const char *topic);
// Appends a notification line (len bytes, newline included) to the output buffer, or marks the
// connection dead when more than max_backlog bytes would be waiting. Returns 0 or -1 (dead).
int rpc_conn_notify(struct rpc_conn *c, const char *line, size_t len, size_t max_backlog);
