// SPDX-License-Identifier: BSD-3-Clause
// rpc_client against a server polled by its own thread (the way moltctl meets a daemon):
// results, server errors, timeouts, raw pipelining and the messages for a daemon not running.
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/rpc/rpc_client.h"
#include "test/unit/rpc/methods.h"

static char dir[64];
static char path[128];
static struct rpc_server *srv;
static pthread_t thread;
static atomic_bool stop;

// The server's thread: it alone touches srv and the deferred handles.
static void *serve(void *arg)
{
	while (!atomic_load(&stop))
		rpc_server_poll(srv, 10);
	return NULL;
}

static int setup(void **state)
{
	struct rpc_server_conf conf = { .path = path };
	char err[256];

	strcpy(dir, "/tmp/molt-rpc-client.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/moltd.sock", dir);
	srv = rpc_server_create(&conf, err, sizeof(err));
	if (srv == NULL)
		fail_msg("%s", err);
	atomic_store(&stop, false);
	assert_int_equal(pthread_create(&thread, NULL, serve, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	atomic_store(&stop, true);
	pthread_join(thread, NULL);
	rpc_server_destroy(srv);
	test_complete_all();
	rmdir(dir);
	return 0;
}

static struct rpc_client *connect_ok(int timeout_ms)
{
	char err[256];
	struct rpc_client *c = rpc_client_connect(path, timeout_ms, err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	return c;
}

static void test_call(void **state)
{
	struct rpc_client *c = connect_ok(2000);
	struct rpc_error err;
	json_t *params = json_pack("{s:i, s:i}", "a", 40, "b", 2), *res;

	assert_int_equal(rpc_client_call(c, "test.add", params, &res, &err), 0);
	assert_int_equal(json_integer_value(res), 42);
	json_decref(res);
	json_decref(params);

	assert_int_equal(rpc_client_call(c, "rpc.list", NULL, &res, &err), 0);
	assert_true(json_array_size(res) > 5);
	json_decref(res);

	assert_int_equal(rpc_client_call(c, "test.fail", NULL, &res, &err), -EREMOTEIO);
	assert_null(res);
	assert_int_equal(err.code, RPC_ERR_FAILED);
	assert_string_equal(err.message, "route 192.0.2.0/24 not found");
	assert_non_null(json_object_get(err.data, "prefix"));
	json_decref(err.data);

	assert_int_equal(rpc_client_call(c, "no.such", NULL, &res, &err), -EREMOTEIO);
	assert_int_equal(err.code, RPC_METHOD_NOT_FOUND);
	assert_string_equal(err.message, "unknown method 'no.such' (rpc.list lists the methods)");
	rpc_client_close(c);
}

static void test_timeout(void **state)
{
	struct rpc_client *c = connect_ok(200);
	struct rpc_error err;
	json_t *res;

	// Never answered: the call gives up with a message, and the next client still works.
	assert_int_equal(rpc_client_call(c, "test.defer", NULL, &res, &err), -ETIMEDOUT);
	assert_int_equal(err.code, 0);
	assert_non_null(strstr(err.message, "no reply from"));
	assert_non_null(strstr(err.message, "within 200 ms"));
	rpc_client_close(c);

	c = connect_ok(2000);
	assert_int_equal(rpc_client_call(c, "test.complete", NULL, &res, &err), 0);
	assert_int_equal(json_integer_value(res), 1);
	json_decref(res);
	rpc_client_close(c);
}

static void test_raw_pipeline(void **state)
{
	struct rpc_client *c = connect_ok(2000);
	char err[256], *line;
	long n;

	const char *reqs = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.defer\"}\n"
			   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.echo\"}\n"
			   "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.complete\"}\n"
			   "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.echo\"}";

	assert_int_equal(rpc_client_send(c, reqs, strlen(reqs), err, sizeof(err)), 0);
	shutdown(rpc_client_fd(c), SHUT_WR);
	for (int id = 1; id <= 4; id++) {
		char want[32];

		n = rpc_client_read_line(c, &line, err, sizeof(err));
		assert_true(n > 0);
		snprintf(want, sizeof(want), "\"id\":%d,", id);
		if (strstr(line, want) == NULL)
			fail_msg("reply %d out of order: %s", id, line);
		free(line);
	}
	assert_int_equal(rpc_client_read_line(c, &line, err, sizeof(err)), 0);
	assert_null(line);
	rpc_client_close(c);
}

static void test_not_running(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[256], want[256], stale[160];
	int fd;

	assert_null(rpc_client_connect("/nonexistent/run/molt/moltd.sock", 100, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err, "cannot connect to /nonexistent/run/molt/moltd.sock: No such file "
				 "or directory (is moltd running?)");

	// A dead route server's socket file: connection refused.
	snprintf(stale, sizeof(stale), "%s/routeserver.sock", dir);
	strcpy(sa.sun_path, stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_null(rpc_client_connect(stale, 100, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "cannot connect to %s: Connection refused (is "
		 "molt-routeserver running?)",
		 stale);
	assert_string_equal(err, want);
	unlink(stale);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_pipeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_running, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
