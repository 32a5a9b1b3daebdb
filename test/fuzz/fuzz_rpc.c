// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for the JSON-RPC request path. The first byte picks the mode:
//  even: the input is one request line for rpc_handle_line;
//  odd:  the input is a byte stream for a connection (rpc_conn): fed in chunks whose sizes
//        come from the input, processed with a small budget and a small request limit, then
//        closed with EOF; deferred calls are answered at the end or dropped with the client.
// Every reply must be one line of valid JSON (an object, or an array for a batch).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc/rpc_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rpc_pending *held[16];
static unsigned nheld;

static json_t *fz_echo(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	return params ? json_deep_copy(params) : json_null();
}
RPC_METHOD("fz.echo", fz_echo, "any", "returns its params")

static json_t *fz_check(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	json_t *n = json_object_get(params, "n");

	if (!json_is_integer(n))
		return rpc_fail(err, RPC_INVALID_PARAMS, "params must be {\"n\": integer}");
	if (json_integer_value(n) < 0) {
		rpc_fail(err, RPC_ERR_FAILED, "n is negative: %lld",
			 (long long)json_integer_value(n));
		err->data = json_deep_copy(params);
		return NULL;
	}
	return json_integer(json_integer_value(n) * 2);
}
RPC_METHOD("fz.check", fz_check, "{\"n\": integer}", "doubles n; fails below 0")

static json_t *fz_defer(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	struct rpc_pending *p = rpc_defer(call);

	// Half are answered at once from inside the handler, half later (or never: disconnect).
	if (json_is_array(params) || nheld == sizeof(held) / sizeof(held[0]))
		rpc_complete(p, json_string("now"));
	else
		held[nheld++] = p;
	return NULL;
}
RPC_METHOD("fz.defer", fz_defer, "", "answers later")

// Answers the newest held call with a result.
static void answer_one(void)
{
	nheld--;
	rpc_complete(held[nheld], json_integer(nheld));
}

static void check_line(const char *s, size_t n)
{
	json_t *r;

	if (memchr(s, '\n', n) != NULL)
		abort();
	r = json_loadb(s, n, 0, NULL);
	if (!json_is_object(r) && !json_is_array(r))
		abort();
	json_decref(r);
}

static void drain(struct rpc_conn *c)
{
	const char *p, *end, *nl;

	if (c->out_off == c->out_len)
		return;
	p = c->out + c->out_off;
	end = c->out + c->out_len;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		check_line(p, (size_t)(nl - p));
		rpc_conn_output_consume(c, (size_t)(nl + 1 - p));
		if (c->out_off == c->out_len)
			return;
		p = c->out + c->out_off;
		end = c->out + c->out_len;
	}
}

static void fuzz_conn(const uint8_t *data, size_t size)
{
	struct rpc_conn c;
	size_t off = 1, step = 1 + data[0] % 97;

	rpc_conn_init(&c, 256, 1 << 16);
	nheld = 0;
	while (off < size && !c.dead && !c.closing) {
		size_t room, n;
		char *buf = rpc_conn_input_space(&c, &room);

		if (buf != NULL) {
			n = size - off < step ? size - off : step;
			n = n < room ? n : room;
			memcpy(buf, data + off, n);
			rpc_conn_input_commit(&c, n);
			off += n;
			step = 1 + (step * 31 + data[off - 1]) % 97;
		}
		rpc_conn_process(&c, 3);
		drain(&c);
		// The queue is full behind a deferred call: answer one to make progress.
		if (buf == NULL && !rpc_conn_has_work(&c)) {
			if (nheld == 0)
				break;
			answer_one();
		}
	}
	c.eof = true;
	for (;;) {
		rpc_conn_process(&c, 3);
		drain(&c);
		if (rpc_conn_has_work(&c))
			continue;
		if (c.nunits >= RPC_MAX_QUEUED && nheld > 0 && !c.dead) {
			answer_one();
			continue;
		}
		break;
	}
	// Odd inputs disconnect with answers outstanding; even ones get them all.
	if (size % 2 == 0) {
		while (nheld > 0) {
			if (nheld % 2)
				answer_one();
			else
				rpc_complete_error(held[--nheld], RPC_ERR_FAILED,
						   "deferred failure");
		}
		drain(&c);
		if (!c.dead && !c.closing && c.head != NULL)
			abort(); // every answer is in: nothing may stay queued
	}
	rpc_conn_fini(&c);
	while (nheld > 0)
		rpc_complete(held[--nheld], json_true()); // orphans: a no-op
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		char *out = rpc_handle_line((const char *)data + 1, size - 1);

		if (out != NULL)
			check_line(out, strlen(out));
		free(out);
		while (nheld > 0)
			rpc_complete(held[--nheld], NULL); // orphans outside a connection

	} else {
		fuzz_conn(data, size);
	}
	return 0;
}
