// SPDX-License-Identifier: BSD-3-Clause
// JSON-RPC 2.0 over a UNIX stream socket, one JSON object per line (SPDK rpc.py convention).
// One implementation, used by moltd and molt-routeserver; no DPDK in it. Methods register
// themselves from constructors (RPC_METHOD), so each binary serves exactly the methods of the
// files it links. Single-threaded: every call below runs on the thread that owns the server.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/json/json_check.h"

// JSON-RPC 2.0 error codes.
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
// Application errors (JSON-RPC reserves -32000..-32099 for server errors).
#define RPC_ERR_FAILED -32000 // the operation was valid but could not be done (message says why)
#define RPC_ERR_BUSY -32001 // try again later (e.g. a build already running)

struct rpc_error {
	int code;
	char message[512];
	json_t *data; // optional, owned by the error (new reference)
};

// Sets err and returns NULL, for `return rpc_fail(err, RPC_INVALID_PARAMS, "...")`.
json_t *rpc_fail(struct rpc_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// A JSON check context (common/json/json_check.h) whose failures become err: code
// RPC_INVALID_PARAMS and the check's message ("params.x: unknown parameter (known: a)").
static inline struct jcheck rpc_params_check(struct rpc_error *err)
{
	return (struct jcheck){ .member = "parameter",
				.msg = err->message,
				.msglen = sizeof(err->message),
				.code = &err->code,
				.fail_code = RPC_INVALID_PARAMS };
}

// params is an object whose keys are all in allowed, or (when !required) absent or empty ([]
// and {} both mean "no parameters" in JSON-RPC 2.0).
static inline int rpc_params_object(const json_t *params, bool required, const char *const *allowed,
				    struct rpc_error *err)
{
	struct jcheck c = rpc_params_check(err);

	if (!required &&
	    (params == NULL || (json_is_array(params) && json_array_size(params) == 0)))
		return 0;
	return jcheck_object(&c, "params", params, allowed);
}

// A method without parameters: params absent, [] or {}.
static inline int rpc_params_none(const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };

	return rpc_params_object(params, false, none, err);
}

// A required member of an object params: "params: missing \"name\"".
static inline int rpc_param_get(const json_t *params, const char *name, const json_t **v,
				struct rpc_error *err)
{
	struct jcheck c = rpc_params_check(err);

	*v = json_object_get(params, name);
	return *v != NULL ? 0 : jcheck_fail(&c, "params", "missing \"%s\"", name);
}

struct rpc_call; // one request being answered

// A method: params is the request's params (NULL when absent; object or array). Returns the
// result (a new reference, any JSON value) or NULL with err set. A method that cannot answer
// at once calls rpc_defer(call) and returns NULL without setting err; it later answers with
// rpc_complete. Replies on one connection still go out in request order.
typedef json_t *(*rpc_handler)(struct rpc_call *call, const json_t *params, struct rpc_error *err);

struct rpc_method {
	const char *name; // "noun.verb"
	rpc_handler fn;
	const char *params; // one-line synopsis of params, for rpc.list and moltctl --help
	const char *help; // one line
	struct rpc_method *next;
};

void rpc_method_register(struct rpc_method *m);
const struct rpc_method *rpc_method_find(const char *name);
const struct rpc_method *rpc_method_first(void);

#define RPC_METHOD(NAME, FN, PARAMS, HELP) \
	static struct rpc_method rpc_method_##FN = { NAME, FN, PARAMS, HELP, NULL }; \
	__attribute__((constructor)) static void rpc_register_##FN(void) \
	{ \
		rpc_method_register(&rpc_method_##FN); \
	}

// Deferred answers. rpc_defer returns a handle valid until rpc_complete/rpc_complete_error is
// called on it exactly once (or the client disconnects: then completing is a harmless no-op).
struct rpc_pending;
struct rpc_pending *rpc_defer(struct rpc_call *call);
void rpc_complete(struct rpc_pending *p, json_t *result); // steals result
void rpc_complete_error(struct rpc_pending *p, int code, const char *message);

struct rpc_server_conf {
	const char *path; // socket path; parent directory created (0755) if missing
	const char *group; // group owning the socket (mode 0660), NULL: the process's group
	size_t max_request; // bytes per request line, default 1 MiB
	size_t max_output; // bytes queued to one client before it is dropped, default 64 MiB
	unsigned max_clients; // default 64
	// Bytes still unsent to a client past which a notification drops it, default 1 MiB.
	size_t max_notify_backlog;
};

struct rpc_server;

// Creates the listening socket. A stale socket file (nobody listening) is replaced; a live one
// is refused (-EADDRINUSE, "another process is serving PATH"). Returns NULL with a message.
struct rpc_server *rpc_server_create(const struct rpc_server_conf *conf, char *err, size_t errlen);

// Services the listener and every client: accepts, reads, answers complete requests, writes
// what the sockets take. Never blocks longer than timeout_ms (0: not at all), so it doubles as
// the idle sleep of an event loop. Handles a bounded number of requests per call. Returns the
// number of requests handled, or -errno on a fatal poll error.
int rpc_server_poll(struct rpc_server *s, int timeout_ms);

// rpc_server_poll, also waiting on the caller's descriptors (at most RPC_POLL_EXTRA_MAX; their
// revents are filled in, and handling them is the caller's): one sleep for an event loop that
// has sockets of its own. Returns as rpc_server_poll, -EINVAL for too many descriptors.
#define RPC_POLL_EXTRA_MAX 8
struct pollfd;
int rpc_server_poll_fds(struct rpc_server *s, struct pollfd *extra, unsigned nextra,
			int timeout_ms);

// Closes every client and the listener and removes the socket file.
void rpc_server_destroy(struct rpc_server *s);

// Notifications pushed by the server: JSON-RPC 2.0 requests without an id, sent on the client's
// own connection, between replies (each line is one whole message). A client chooses what it
// receives by calling a method that subscribes its connection to topics (a topic is the
// notification's method name; RPC_TOPIC_ALL is every one). Sending never waits: the line goes
// into the client's output buffer and out with what the socket takes at once; a client that
// lets more than max_notify_backlog bytes pile up unsent is dropped (logged), so a client that
// subscribes and does not read costs the server a bounded buffer and nothing else.
#define RPC_TOPIC_ALL "*"
#define RPC_MAX_TOPICS 64 // per connection

// Subscribes (on) or unsubscribes (!on) the connection of call to topic; unsubscribing
// RPC_TOPIC_ALL drops every subscription. Returns 0, -ENOTSUP outside a socket
// (rpc_handle_line), -ENOSPC past RPC_MAX_TOPICS, -ENOMEM.
int rpc_call_subscribe(struct rpc_call *call, const char *topic, bool on);
// The topics the connection of call is subscribed to (new reference: array of strings), NULL
// when out of memory.
json_t *rpc_call_topics(struct rpc_call *call);

// Sends the notification {"jsonrpc":"2.0","method":method,"params":params} to every client of s
// subscribed to method or to RPC_TOPIC_ALL. params (may be NULL) is borrowed. Returns the
// number of clients it was queued to.
unsigned rpc_server_notify(struct rpc_server *s, const char *method, json_t *params);

// Handles one request line outside any socket (unit tests, fuzzers): returns the reply line
// (malloc'ed, caller frees, no newline) or NULL for a notification. Deferred methods are
// answered with an error here.
char *rpc_handle_line(const char *line, size_t len);
