// SPDX-License-Identifier: BSD-3-Clause
// rpc_handle_line: every error class with its message, notifications, batches, rpc.list.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test/unit/rpc/methods.h"

// The reply to line, parsed; NULL when there is none.
static json_t *reply(const char *line)
{
	char *out = rpc_handle_line(line, strlen(line));
	json_t *r;

	if (out == NULL)
		return NULL;
	assert_null(strchr(out, '\n'));
	r = json_loads(out, 0, NULL);
	assert_non_null(r);
	free(out);
	return r;
}

// Checks an error reply: its code, a substring of its message, and its id (NULL: null).
static void check_error(json_t *r, int code, const char *msg_part, json_t *id)
{
	json_t *e = json_object_get(r, "error");
	const char *msg;

	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	assert_null(json_object_get(r, "result"));
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	msg = json_string_value(json_object_get(e, "message"));
	assert_non_null(msg);
	if (strstr(msg, msg_part) == NULL)
		fail_msg("message '%s' lacks '%s'", msg, msg_part);
	if (id == NULL)
		assert_true(json_is_null(json_object_get(r, "id")));
	else
		assert_true(json_equal(json_object_get(r, "id"), id));
	json_decref(id);
}

static void expect_error(const char *line, int code, const char *msg_part, json_t *id)
{
	json_t *r = reply(line);

	if (r == NULL)
		fail_msg("no reply to %s", line);
	check_error(r, code, msg_part, id);
	json_decref(r);
}

static void test_result(void **state)
{
	json_t *r = reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"test.add\","
			  "\"params\":{\"a\":2,\"b\":3}}");

	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 5);
	assert_null(json_object_get(r, "error"));
	json_decref(r);

	// String ids come back as they were; a missing result is null.
	r = reply("{\"jsonrpc\":\"2.0\",\"id\":\"a\\u00e9\",\"method\":\"test.echo\"}\r");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "a\xc3\xa9");
	assert_true(json_is_null(json_object_get(r, "result")));
	json_decref(r);
}

static void test_parse_errors(void **state)
{
	expect_error("{\"jsonrpc\":\"2.0\",", RPC_PARSE_ERROR, "invalid JSON (line 1, column",
		     NULL);
	expect_error("not json", RPC_PARSE_ERROR, "invalid JSON", NULL);
	expect_error("{\"a\":1}{\"b\":2}", RPC_PARSE_ERROR, "end of file expected", NULL);
	expect_error("{\"id\":1,\"id\":2}", RPC_PARSE_ERROR, "duplicate object key", NULL);
	expect_error("\"\\u0000\"", RPC_PARSE_ERROR, "invalid JSON", NULL);
	expect_error("\xff", RPC_PARSE_ERROR, "invalid JSON", NULL);
}

static void test_envelope_errors(void **state)
{
	expect_error("42", RPC_INVALID_REQUEST, "a request must be an object, not an integer",
		     NULL);
	expect_error("{\"foo\":\"boo\"}", RPC_INVALID_REQUEST,
		     "\"jsonrpc\" must be \"2.0\" (missing)", NULL);
	expect_error("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"test.echo\"}", RPC_INVALID_REQUEST,
		     "\"jsonrpc\" must be \"2.0\"", json_integer(1));
	expect_error("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"test.echo\"}", RPC_INVALID_REQUEST,
		     "\"jsonrpc\" must be \"2.0\"", json_integer(1));
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1}", RPC_INVALID_REQUEST, "missing \"method\"",
		     json_integer(1));
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":5}", RPC_INVALID_REQUEST,
		     "\"method\" must be a string, not an integer", json_string("x"));
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"test.echo\"}",
		     RPC_INVALID_REQUEST, "\"id\" must be a string, a number or null, not an array",
		     NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"test.echo\"}",
		     RPC_INVALID_REQUEST, "not a boolean", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\",\"params\":3}",
		     RPC_INVALID_REQUEST,
		     "\"params\" must be an object or an array, not an integer", json_integer(1));
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"test.echo\",\"params\":\"s\"}",
		     RPC_INVALID_REQUEST, "not a string", NULL);
	// Without an id but with a broken envelope it is not a notification: still answered.
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":[]}", RPC_INVALID_REQUEST,
		     "\"method\" must be a string", NULL);
}

static void test_method_errors(void **state)
{
	char line[400], name[201];

	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no.such\"}", RPC_METHOD_NOT_FOUND,
		     "unknown method 'no.such' (rpc.list lists the methods)", json_integer(1));
	// A long name is cut in the message, not the reply.
	memset(name, 'n', 200);
	name[200] = '\0';
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}", name);
	expect_error(line, RPC_METHOD_NOT_FOUND, "nnnn...' (rpc.list", json_integer(1));
	// ... at a character boundary: 'é' is two bytes, 64 is even, so "x" shifts the cut.
	strcpy(line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x");
	for (int i = 0; i < 40; i++)
		strcat(line, "\xc3\xa9");
	strcat(line, "\"}");
	expect_error(line, RPC_METHOD_NOT_FOUND, "...' (rpc.list", json_integer(1));

	expect_error("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.add\",\"params\":[1]}",
		     RPC_INVALID_PARAMS, "params must be {\"a\": int", json_integer(2));
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.nothing\"}", RPC_INTERNAL_ERROR,
		"method 'test.nothing' returned neither a result nor an error", json_integer(3));
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.defer\"}", RPC_INTERNAL_ERROR,
		     "method cannot be answered outside a connection", json_integer(4));
	// The orphan handle of test.defer: completing it is harmless.
	test_complete_all();
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.defer_now\"}",
		     RPC_INTERNAL_ERROR, "outside a connection", json_integer(4));
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"test.long_error\"}",
		     RPC_ERR_FAILED, "xy\xc3\xa9", json_integer(5));
}

static void test_handler_error_data(void **state)
{
	json_t *r = reply("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.fail\"}");
	json_t *e = json_object_get(r, "error");
	json_t *data = json_object_get(e, "data");

	assert_int_equal(json_integer_value(json_object_get(e, "code")), RPC_ERR_FAILED);
	assert_string_equal(json_string_value(json_object_get(e, "message")),
			    "route 192.0.2.0/24 not found");
	assert_string_equal(json_string_value(json_object_get(data, "prefix")), "192.0.2.0/24");
	json_decref(r);
}

static void test_notifications(void **state)
{
	assert_null(reply("{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\"}"));
	assert_null(reply("{\"jsonrpc\":\"2.0\",\"method\":\"no.such\"}"));
	assert_null(reply("{\"jsonrpc\":\"2.0\",\"method\":\"test.add\",\"params\":{}}"));
	assert_null(reply("{\"jsonrpc\":\"2.0\",\"method\":\"test.fail\"}"));
	assert_null(reply("{\"jsonrpc\":\"2.0\",\"method\":\"test.defer\"}"));
	test_complete_all();
}

static void test_batches(void **state)
{
	json_t *r;

	expect_error("[]", RPC_INVALID_REQUEST, "empty batch", NULL);
	// All notifications: nothing at all.
	assert_null(reply("[{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\"},"
			  "{\"jsonrpc\":\"2.0\",\"method\":\"no.such\"}]"));

	// The example of the specification, one reply per request that has an id, in order.
	r = reply("[{\"jsonrpc\":\"2.0\",\"method\":\"test.add\",\"params\":{\"a\":1,\"b\":2},"
		  "\"id\":\"1\"},"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"params\":[7]},"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"test.add\",\"params\":{\"a\":1},\"id\":\"2\"},"
		  "{\"foo\":\"boo\"},"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"foo.get\",\"params\":{},\"id\":\"5\"},"
		  "1,"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"params\":[9],\"id\":\"9\"}]");
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 6);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "result")), 3);
	check_error(json_array_get(r, 1), RPC_INVALID_PARAMS, "params must", json_string("2"));
	check_error(json_array_get(r, 2), RPC_INVALID_REQUEST, "\"jsonrpc\"", NULL);
	check_error(json_array_get(r, 3), RPC_METHOD_NOT_FOUND, "'foo.get'", json_string("5"));
	check_error(json_array_get(r, 4), RPC_INVALID_REQUEST, "not an integer", NULL);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 5), "id")), "9");
	json_decref(r);

	// [1,2,3]: three invalid requests; a nested batch is not a request either.
	r = reply("[1,2,[]]");
	assert_int_equal(json_array_size(r), 3);
	check_error(json_array_get(r, 2), RPC_INVALID_REQUEST, "not an array", NULL);
	json_decref(r);
}

static void test_rpc_list(void **state)
{
	json_t *r = reply("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.list\"}");
	json_t *list = json_object_get(r, "result"), *m;
	const char *prev = "";
	bool seen = false;
	size_t i;

	assert_true(json_array_size(list) >= 9);
	json_array_foreach(list, i, m)
	{
		const char *name = json_string_value(json_object_get(m, "name"));

		assert_true(strcmp(prev, name) < 0); // sorted
		assert_non_null(json_string_value(json_object_get(m, "help")));
		if (strcmp(name, "test.add") == 0) {
			seen = true;
			assert_string_equal(json_string_value(json_object_get(m, "params")),
					    "{\"a\": int, \"b\": int}");
		}
		prev = name;
	}
	assert_true(seen);
	json_decref(r);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.list\",\"params\":[1]}",
		     RPC_INVALID_PARAMS, "takes no params", json_integer(1));
	assert_non_null(rpc_method_find("rpc.list"));
	assert_null(rpc_method_find("rpc.lis"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_envelope_errors),
		cmocka_unit_test(test_method_errors),
		cmocka_unit_test(test_handler_error_data),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_rpc_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
