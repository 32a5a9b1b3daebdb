// SPDX-License-Identifier: BSD-3-Clause
// Test methods: echo, handler errors, bad params, deferred answers, big results.
#include <stdlib.h>
#include <string.h>

#include "test/unit/rpc/methods.h"

struct rpc_pending *test_deferred[TEST_MAX_DEFERRED];
unsigned test_ndeferred;

static json_t *test_echo(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	return params ? json_deep_copy(params) : json_null();
}
RPC_METHOD("test.echo", test_echo, "any", "returns its params")

static json_t *test_fail(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	rpc_fail(err, RPC_ERR_FAILED, "route 192.0.2.0/24 not found");
	err->data = json_pack("{s:s}", "prefix", "192.0.2.0/24");
	return NULL;
}
RPC_METHOD("test.fail", test_fail, "", "always fails with -32000 and data")

static json_t *test_add(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	json_t *a = json_object_get(params, "a"), *b = json_object_get(params, "b");

	if (!json_is_integer(a) || !json_is_integer(b))
		return rpc_fail(err, RPC_INVALID_PARAMS, "params must be {\"a\": int, \"b\": int}");
	return json_integer(json_integer_value(a) + json_integer_value(b));
}
RPC_METHOD("test.add", test_add, "{\"a\": int, \"b\": int}", "adds two integers")

static json_t *test_nothing(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	return NULL;
}
RPC_METHOD("test.nothing", test_nothing, "", "a buggy method: neither result nor error")

static json_t *test_long_error(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	// 'é' is two bytes: the 511-byte cut of vsnprintf lands inside one of them (2 + 2k bytes).
	char s[800] = "";

	for (int i = 0; i < 300; i++)
		strcat(s, "\xc3\xa9");
	return rpc_fail(err, RPC_ERR_FAILED, "xy%s", s);
}
RPC_METHOD("test.long_error", test_long_error, "", "an error message cut by its buffer")

static json_t *test_big(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	size_t n = (size_t)json_integer_value(json_object_get(params, "bytes"));
	char *s = malloc(n + 1);
	json_t *r;

	if (s == NULL)
		return rpc_fail(err, RPC_INTERNAL_ERROR, "out of memory");
	memset(s, 'x', n);
	s[n] = '\0';
	r = json_string(s);
	free(s);
	return r;
}
RPC_METHOD("test.big", test_big, "{\"bytes\": int}", "returns a string of that many bytes")

static json_t *test_defer(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	if (test_ndeferred == TEST_MAX_DEFERRED)
		return rpc_fail(err, RPC_ERR_BUSY, "too many deferred calls");
	test_deferred[test_ndeferred++] = rpc_defer(call);
	return NULL;
}
RPC_METHOD("test.defer", test_defer, "", "answers when test.complete is called")

// Defers and answers at once, from inside the handler.
static json_t *test_defer_now(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	rpc_complete(rpc_defer(call), json_string("now"));
	return NULL;
}
RPC_METHOD("test.defer_now", test_defer_now, "", "defers and completes at once")

void test_complete_all(void)
{
	for (unsigned i = 0; i < test_ndeferred; i++) {
		if (i % 2 == 0)
			rpc_complete(test_deferred[i], json_integer(i));
		else
			rpc_complete_error(test_deferred[i], RPC_ERR_FAILED, "deferred failure");
	}
	test_ndeferred = 0;
}

static json_t *test_complete(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	unsigned n = test_ndeferred;

	test_complete_all();
	return json_integer(n);
}
RPC_METHOD("test.complete", test_complete, "", "answers every deferred call")

// Subscribes the connection to each topic of params (a list; none: every topic) and returns
// the connection's topics.
static json_t *test_subscribe(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const json_t *v;
	size_t i;
	int ret = 0;

	if (json_array_size(params) == 0)
		ret = rpc_call_subscribe(call, RPC_TOPIC_ALL, true);
	json_array_foreach(params, i, v) if (ret == 0)
		ret = rpc_call_subscribe(call, json_string_value(v), true);
	if (ret < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "subscribe: %d", ret);
	return rpc_call_topics(call);
}
RPC_METHOD("test.subscribe", test_subscribe, "[TOPIC...]", "subscribes to notifications")

static json_t *test_unsubscribe(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	const json_t *v;
	size_t i;

	if (json_array_size(params) == 0)
		rpc_call_subscribe(call, RPC_TOPIC_ALL, false);
	json_array_foreach(params, i, v) rpc_call_subscribe(call, json_string_value(v), false);
	return rpc_call_topics(call);
}
RPC_METHOD("test.unsubscribe", test_unsubscribe, "[TOPIC...]", "unsubscribes")
