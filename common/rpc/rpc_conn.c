// SPDX-License-Identifier: BSD-3-Clause
// One client connection without its socket: splits the input into lines, keeps the replies in
// request order (a deferred answer holds back the ones after it) and serialises them into an
// output buffer that the server drains into the socket as fast as the client reads.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc/rpc_priv.h"

// Bytes read from a socket at a time.
#define READ_CHUNK (64u << 10)

void rpc_conn_init(struct rpc_conn *c, size_t max_request, size_t max_output)
{
	memset(c, 0, sizeof(*c));
	c->max_request = max_request ? max_request : RPC_DEFAULT_MAX_REQUEST;
	c->max_output = max_output ? max_output : RPC_DEFAULT_MAX_OUTPUT;
}

static void unit_free(struct rpc_unit *u)
{
	// The methods still hold their handles: make completing them a no-op.
	for (struct rpc_pending *p = u->pending; p != NULL; p = p->next)
		p->unit = NULL;
	json_decref(u->reply);
	free(u);
}

void rpc_conn_fini(struct rpc_conn *c)
{
	struct rpc_unit *u = c->head, *next;

	for (; u != NULL; u = next) {
		next = u->next;
		unit_free(u);
	}
	for (unsigned i = 0; i < c->ntopics; i++)
		free(c->topics[i]);
	free(c->topics);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

static int out_reserve(struct rpc_conn *c, size_t n)
{
	size_t cap;
	char *p;

	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_cap - c->out_len >= n)
		return 0;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_cap - c->out_len >= n)
			return 0;
	}
	cap = c->out_cap ? c->out_cap : 4096;
	while (cap - c->out_len < n)
		cap *= 2;
	p = realloc(c->out, cap);
	if (p == NULL)
		return -1;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

static int out_append(const char *buf, size_t n, void *arg)
{
	struct rpc_conn *c = arg;

	if (out_reserve(c, n) < 0)
		return -1;
	memcpy(c->out + c->out_len, buf, n);
	c->out_len += n;
	return 0;
}

void rpc_conn_flush_queue(struct rpc_conn *c)
{
	struct rpc_unit *u;

	while ((u = c->head) != NULL && u->npending == 0 && !c->dead) {
		// An all-notification batch leaves an empty array: nothing to send.
		bool empty = json_is_array(u->reply) && json_array_size(u->reply) == 0;

		if (u->reply != NULL && !empty) {
			if (json_dump_callback(u->reply, out_append, c, JSON_COMPACT) < 0 ||
			    out_append("\n", 1, c) < 0) {
				c->dead = true;
				c->why = "out of memory";
			} else if (c->out_len - c->out_off > c->max_output) {
				c->dead = true;
				c->why = "it does not read its replies";
			}
		}
		c->head = u->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->nunits--;
		unit_free(u);
	}
}

void rpc_conn_output_consume(struct rpc_conn *c, size_t n)
{
	c->out_off += n;
	if (c->out_off >= c->out_len)
		c->out_off = c->out_len = 0;
}

static struct rpc_unit *unit_new(struct rpc_conn *c)
{
	struct rpc_unit *u = calloc(1, sizeof(*u));

	if (u == NULL) {
		c->dead = true;
		c->why = "out of memory";
		return NULL;
	}
	u->conn = c;
	return u;
}

static void unit_queue(struct rpc_conn *c, struct rpc_unit *u)
{
	if (c->tail != NULL)
		c->tail->next = u;
	else
		c->head = u;
	c->tail = u;
	c->nunits++;
	rpc_conn_flush_queue(c);
}

static unsigned handle(struct rpc_conn *c, const char *line, size_t len)
{
	struct rpc_unit *u = unit_new(c);
	unsigned n;

	if (u == NULL)
		return 1;
	// Queued only once built: a method that completes its own deferred answer at once must
	// not send a half-built batch.
	n = rpc_proto_handle(u, line, len);
	unit_queue(c, u);
	return n;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static void oversized(struct rpc_conn *c)
{
	struct rpc_unit *u = unit_new(c);
	char msg[80];

	// The rest of the line is still coming and nothing marks where the next request starts:
	// answer, then close.
	c->closing = true;
	c->in_off = c->in_len = 0;
	if (u == NULL)
		return;
	snprintf(msg, sizeof(msg), "request larger than %zu bytes", c->max_request);
	u->reply = rpc_proto_error(NULL, RPC_INVALID_REQUEST, msg, NULL);
	unit_queue(c, u);
}

static const char *next_line(const struct rpc_conn *c)
{
	return memchr(c->in + c->in_off, '\n', c->in_len - c->in_off);
}

bool rpc_conn_has_work(const struct rpc_conn *c)
{
	// A full queue waits for a deferred answer: no work until it comes (and no busy loop).
	if (c->dead || c->closing || c->in_off == c->in_len || c->nunits >= RPC_MAX_QUEUED)
		return false;
	// An oversized partial line is work too: it must be answered, not read further.
	return c->eof || next_line(c) != NULL || c->in_len - c->in_off > c->max_request;
}

unsigned rpc_conn_process(struct rpc_conn *c, unsigned budget)
{
	unsigned count = 0;

	while (count < budget && !c->dead && !c->closing && c->in_off < c->in_len &&
	       c->nunits < RPC_MAX_QUEUED) {
		const char *line = c->in + c->in_off;
		const char *nl = next_line(c);
		size_t len;

		if (nl != NULL) {
			len = (size_t)(nl - line);
			c->in_off += len + 1;
		} else if (c->in_len - c->in_off > c->max_request) {
			oversized(c);
			break;
		} else if (c->eof) {
			// The last request may end at EOF without a newline (printf '{}' | nc -U).
			// A truncated one gets the parser's -32700 before the connection closes.
			len = c->in_len - c->in_off;
			c->in_off = c->in_len;
		} else {
			break; // half a request: wait for the rest
		}
		if (!blank(line, len))
			count += handle(c, line, len);
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	return count;
}

char *rpc_conn_input_space(struct rpc_conn *c, size_t *room)
{
	size_t partial, want, cap;

	if (c->dead || c->closing || c->eof || c->nunits >= RPC_MAX_QUEUED || rpc_conn_has_work(c))
		return NULL;
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	// Never hold more than one byte past the limit: enough to tell an oversized request.
	partial = c->in_len;
	want = c->max_request + 1 - partial;
	if (want > READ_CHUNK)
		want = READ_CHUNK;
	if (c->in_cap - c->in_len < want) {
		char *p;

		cap = c->in_cap ? c->in_cap : READ_CHUNK;
		while (cap - c->in_len < want)
			cap *= 2;
		p = realloc(c->in, cap);
		if (p == NULL) {
			c->dead = true;
			c->why = "out of memory";
			return NULL;
		}
		c->in = p;
		c->in_cap = cap;
	}
	*room = want;
	return c->in + c->in_len;
}

void rpc_conn_input_commit(struct rpc_conn *c, size_t n)
{
	c->in_len += n;
}

bool rpc_conn_finished(const struct rpc_conn *c)
{
	if (c->dead)
		return true;
	if (!c->eof && !c->closing)
		return false;
	if (c->eof && !c->closing && c->in_off < c->in_len)
		return false;
	return c->head == NULL && c->out_off == c->out_len;
}

bool rpc_conn_subscribed(const struct rpc_conn *c, const char *topic)
{
	for (unsigned i = 0; i < c->ntopics; i++)
		if (strcmp(c->topics[i], topic) == 0 || strcmp(c->topics[i], RPC_TOPIC_ALL) == 0)
			return true;
	return false;
}

int rpc_conn_notify(struct rpc_conn *c, const char *line, size_t len, size_t max_backlog)
{
	if (c->dead)
		return -1;
	if (c->out_len - c->out_off + len > max_backlog) {
		c->dead = true;
		c->why = "it does not read its notifications";
		return -1;
	}
	// The buffer holds whole lines only (replies are appended whole): this one starts a line.
	if (out_append(line, len, c) < 0) {
		c->dead = true;
		c->why = "out of memory";
		return -1;
	}
	return 0;
}

static int topic_find(const struct rpc_conn *c, const char *topic)
{
	for (unsigned i = 0; i < c->ntopics; i++)
		if (strcmp(c->topics[i], topic) == 0)
			return (int)i;
	return -1;
}

int rpc_call_subscribe(struct rpc_call *call, const char *topic, bool on)
{
	struct rpc_conn *c = call->unit != NULL ? call->unit->conn : NULL;
	int i;

	if (c == NULL)
		return -ENOTSUP;
	i = topic_find(c, topic);
	if (!on) {
		if (strcmp(topic, RPC_TOPIC_ALL) == 0) {
			while (c->ntopics > 0)
				free(c->topics[--c->ntopics]);
		} else if (i >= 0) {
			free(c->topics[i]);
			c->topics[i] = c->topics[--c->ntopics];
		}
		return 0;
	}
	if (i >= 0)
		return 0;
	if (c->ntopics == RPC_MAX_TOPICS)
		return -ENOSPC;
	if (c->topics == NULL) {
		c->topics = calloc(RPC_MAX_TOPICS, sizeof(*c->topics));
		if (c->topics == NULL)
			return -ENOMEM;
	}
	c->topics[c->ntopics] = strdup(topic);
	if (c->topics[c->ntopics] == NULL)
		return -ENOMEM;
	c->ntopics++;
	return 0;
}

json_t *rpc_call_topics(struct rpc_call *call)
{
	struct rpc_conn *c = call->unit != NULL ? call->unit->conn : NULL;
	json_t *list = json_array();

	for (unsigned i = 0; list != NULL && c != NULL && i < c->ntopics; i++) {
		if (json_array_append_new(list, json_string(c->topics[i])) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return list;
}
