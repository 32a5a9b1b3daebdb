// SPDX-License-Identifier: BSD-3-Clause
// Events moltd pushes to JSON-RPC clients that asked for them (events.subscribe): each is a
// JSON-RPC 2.0 notification on the client's own control connection. The event names are listed
// here (molt_events) so that a subscription to a misspelt name fails instead of staying silent.
// Control thread only.
#pragma once

#include <jansson.h>

struct rpc_server;

struct molt_event_info {
	const char *name; // "noun.what", the notification's method
	const char *help; // one line: when it is sent
};

// Every event moltd sends, ended by a NULL name.
extern const struct molt_event_info molt_events[];

// The event with that name, or NULL.
const struct molt_event_info *molt_event_find(const char *name);

// Where events go: moltd's control server once it exists; NULL (before destroying it) stops
// them.
void molt_events_attach(struct rpc_server *s);

// Sends a JSON-RPC 2.0 notification {"jsonrpc":"2.0","method":name,"params":params} to every
// connection subscribed to name (or to all events). Steals the reference to params. Control
// thread only. No-op with no subscribers. Never blocks: a client that does not read its
// notifications is dropped (common/rpc/rpc.h, max_notify_backlog).
void molt_event_publish(const char *name, json_t *params);
