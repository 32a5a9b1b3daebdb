// SPDX-License-Identifier: BSD-3-Clause
// JSON-RPC 2.0: parses a request line, checks the envelope, calls the method and builds the
// reply (or nothing, for a notification). Knows nothing of sockets: see rpc_conn.c.
//
// A request object without "id" is a notification only if its envelope is valid; an object
// that is not a request at all ({"foo": 1}) is answered with -32600 and id null, as in the
// examples of the specification.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc/rpc.h"
#include "common/rpc/rpc_priv.h"

// Length of the longest prefix of s[0..n) that does not end inside a UTF-8 sequence, so a
// message cut by snprintf (or a quoted method name cut by us) stays a valid JSON string.
static size_t utf8_clip(const char *s, size_t n)
{
	size_t i = n, back = 0;

	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return n;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return back + 1 >= need ? n : i - 1;
}

static json_t *message_string(const char *message)
{
	size_t n = strlen(message);
	json_t *s = json_stringn(message, utf8_clip(message, n));

	// Still invalid (a handler formatted raw bytes): say so rather than send nothing.
	return s != NULL ? s : json_string("(error message is not valid UTF-8)");
}

json_t *rpc_proto_error(json_t *id, int code, const char *message, json_t *data)
{
	json_t *e = json_pack("{s:i, s:o}", "code", code, "message", message_string(message));

	if (e != NULL && data != NULL)
		json_object_set_new(e, "data", data);
	else
		json_decref(data);
	if (e == NULL)
		return NULL;
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error",
			 e);
}

static json_t *errorf(json_t *id, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static json_t *errorf(json_t *id, int code, const char *fmt, ...)
{
	char msg[sizeof(((struct rpc_error *)0)->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rpc_proto_error(id, code, msg, NULL);
}

// Borrows result (the callers still drop their reference).
static json_t *result_reply(json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0", "id", id, "result",
			 result ? result : json_null());
}

// A reply goes into the batch array or becomes the unit's reply.
static void put(struct rpc_unit *unit, json_t *batch, json_t *reply)
{
	if (reply == NULL)
		return;
	if (batch != NULL)
		json_array_append_new(batch, reply);
	else
		unit->reply = reply;
}

// Method names are quoted in messages; a long one is cut (at a character boundary).
#define NAME_QUOTE_MAX 64

static void dispatch(struct rpc_unit *unit, json_t *batch, json_t *id, const char *name,
		     const json_t *params)
{
	const struct rpc_method *m = rpc_method_find(name);
	struct rpc_call call = {
		.unit = unit,
		.id = id,
		.in_batch = batch != NULL,
	};
	struct rpc_error err = { 0 };
	json_t *result;

	if (m == NULL && id != NULL) {
		size_t n = strnlen(name, NAME_QUOTE_MAX);
		const char *cut = name[n] != '\0' ? "..." : "";

		put(unit, batch,
		    errorf(id, RPC_METHOD_NOT_FOUND,
			   "unknown method '%.*s%s' (rpc.list lists the methods)",
			   (int)utf8_clip(name, n), name, cut));
		return;
	}
	if (m == NULL)
		return; // a notification: no reply, not even an error

	result = m->fn(&call, params, &err);

	if (call.deferred) {
		// rpc_defer has set up the answer (or an orphan handle outside a connection).
		json_decref(result);
		json_decref(err.data);
		if (unit->conn == NULL && id != NULL)
			put(unit, batch,
			    errorf(id, RPC_INTERNAL_ERROR,
				   "method cannot be answered outside a connection"));
		return;
	}
	if (id == NULL) {
		json_decref(result);
		json_decref(err.data);
		return;
	}
	if (result != NULL) {
		json_decref(err.data);
		put(unit, batch, result_reply(id, result));
		json_decref(result);
	} else if (err.code != 0) {
		put(unit, batch, rpc_proto_error(id, err.code, err.message, err.data));
	} else {
		json_decref(err.data);
		put(unit, batch,
		    errorf(id, RPC_INTERNAL_ERROR,
			   "method '%s' returned neither a result nor an error", m->name));
	}
}

static void handle_request(struct rpc_unit *unit, json_t *batch, json_t *req)
{
	json_t *id, *version, *method, *params;

	if (!json_is_object(req)) {
		put(unit, batch,
		    errorf(NULL, RPC_INVALID_REQUEST, "a request must be an object, not %s",
			   jcheck_type_name(req)));
		return;
	}
	id = json_object_get(req, "id");
	if (id != NULL && !json_is_string(id) && !json_is_number(id) && !json_is_null(id)) {
		put(unit, batch,
		    errorf(NULL, RPC_INVALID_REQUEST,
			   "\"id\" must be a string, a number or null, not %s",
			   jcheck_type_name(id)));
		return;
	}
	version = json_object_get(req, "jsonrpc");
	if (version == NULL || !json_is_string(version) ||
	    strcmp(json_string_value(version), "2.0") != 0) {
		put(unit, batch,
		    errorf(id, RPC_INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\"%s",
			   version ? "" : " (missing)"));
		return;
	}
	method = json_object_get(req, "method");
	if (method == NULL) {
		put(unit, batch, errorf(id, RPC_INVALID_REQUEST, "missing \"method\""));
		return;
	}
	if (!json_is_string(method)) {
		put(unit, batch,
		    errorf(id, RPC_INVALID_REQUEST, "\"method\" must be a string, not %s",
			   jcheck_type_name(method)));
		return;
	}
	params = json_object_get(req, "params");
	if (params != NULL && !json_is_object(params) && !json_is_array(params)) {
		put(unit, batch,
		    errorf(id, RPC_INVALID_REQUEST,
			   "\"params\" must be an object or an array, not %s",
			   jcheck_type_name(params)));
		return;
	}
	dispatch(unit, batch, id, json_string_value(method), params);
}

unsigned rpc_proto_handle(struct rpc_unit *unit, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req;
	unsigned n = 1;

	// Duplicate keys would make the request mean whatever the last one says: refuse them.
	req = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		unit->reply = errorf(NULL, RPC_PARSE_ERROR, "invalid JSON (line %d, column %d): %s",
				     jerr.line, jerr.column, jerr.text);
		return n;
	}
	if (!json_is_array(req)) {
		handle_request(unit, NULL, req);
	} else if (json_array_size(req) == 0) {
		unit->reply = errorf(NULL, RPC_INVALID_REQUEST, "empty batch");
	} else {
		size_t i;
		json_t *r;

		n = json_array_size(req) > 1u << 30 ? 1u << 30 : (unsigned)json_array_size(req);
		unit->reply = json_array();
		if (unit->reply == NULL) {
			unit->reply = errorf(NULL, RPC_INTERNAL_ERROR, "out of memory");
		} else {
			json_array_foreach(req, i, r) handle_request(unit, unit->reply, r);
		}
	}
	json_decref(req);
	return n;
}

char *rpc_handle_line(const char *line, size_t len)
{
	struct rpc_unit unit = { 0 };
	char *out = NULL;

	rpc_proto_handle(&unit, line, len);
	// An all-notification batch leaves an empty array: nothing to send.
	if (unit.reply != NULL && !(json_is_array(unit.reply) && json_array_size(unit.reply) == 0))
		out = json_dumps(unit.reply, JSON_COMPACT);
	json_decref(unit.reply);
	return out;
}

struct rpc_pending *rpc_defer(struct rpc_call *call)
{
	struct rpc_unit *unit = call->unit;
	struct rpc_pending *p;

	if (call->deferred)
		return NULL; // a second rpc_defer on one call: the first handle answers
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	call->deferred = true;
	p->id = json_incref(call->id);
	if (unit->conn == NULL)
		return p; // outside a connection: the caller answers -32603, completing is a no-op
	p->unit = unit;
	p->in_batch = call->in_batch;
	if (p->in_batch && p->id != NULL) {
		// Hold the reply's place in the batch so replies keep the requests' order.
		p->index = json_array_size(unit->reply);
		json_array_append_new(unit->reply, json_null());
	}
	p->next = unit->pending;
	if (unit->pending != NULL)
		unit->pending->prev = p;
	unit->pending = p;
	unit->npending++;
	return p;
}

static void complete(struct rpc_pending *p, json_t *reply)
{
	struct rpc_unit *unit = p->unit;

	if (unit != NULL && reply != NULL) {
		if (p->in_batch)
			json_array_set_new(unit->reply, p->index, reply);
		else
			unit->reply = reply;
	} else {
		json_decref(reply);
	}
	if (unit != NULL) {
		if (p->prev != NULL)
			p->prev->next = p->next;
		else
			unit->pending = p->next;
		if (p->next != NULL)
			p->next->prev = p->prev;
		unit->npending--;
		if (unit->npending == 0 && unit->conn != NULL)
			rpc_conn_flush_queue(unit->conn);
	}
	json_decref(p->id);
	free(p);
}

void rpc_complete(struct rpc_pending *p, json_t *result)
{
	if (p == NULL) {
		json_decref(result);
		return;
	}
	if (p->unit == NULL || p->id == NULL) {
		json_decref(result);
		complete(p, NULL);
		return;
	}
	complete(p, result_reply(p->id, result));
	json_decref(result);
}

void rpc_complete_error(struct rpc_pending *p, int code, const char *message)
{
	if (p == NULL)
		return;
	if (p->unit == NULL || p->id == NULL)
		complete(p, NULL);
	else
		complete(p, rpc_proto_error(p->id, code, message ? message : "error", NULL));
}
