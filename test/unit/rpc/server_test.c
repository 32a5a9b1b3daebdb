// SPDX-License-Identifier: BSD-3-Clause
// The server over real UNIX sockets, polled from the test's own thread: pipelining, deferred
// ordering, oversized and truncated input, slow clients and limits.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test/unit/rpc/methods.h"

static char dir[64];
static char path[128];
static struct rpc_server *srv;

struct peer {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct rpc_server *start(size_t max_request, size_t max_output, unsigned max_clients)
{
	struct rpc_server_conf conf = {
		.path = path,
		.max_request = max_request,
		.max_output = max_output,
		.max_clients = max_clients,
	};
	char err[256];
	struct rpc_server *s = rpc_server_create(&conf, err, sizeof(err));

	if (s == NULL)
		fail_msg("rpc_server_create: %s", err);
	return s;
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/molt-rpc-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/molt/moltd.sock", dir);
	srv = start(0, 0, 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	rpc_server_destroy(srv);
	srv = NULL;
	test_complete_all();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void peer_open(struct peer *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(p, 0, sizeof(*p));
	strcpy(sa.sun_path, path);
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(p->fd >= 0);
	assert_int_equal(connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void peer_close(struct peer *p)
{
	close(p->fd);
	free(p->buf);
}

static void peer_send(struct peer *p, const char *s)
{
	assert_int_equal(send(p->fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void peer_pump(struct peer *p)
{
	for (;;) {
		ssize_t n;

		if (p->cap - p->len < 65536) {
			p->cap = p->cap ? p->cap * 2 : 65536 * 2;
			p->buf = realloc(p->buf, p->cap);
			assert_non_null(p->buf);
		}
		n = recv(p->fd, p->buf + p->len, p->cap - p->len, MSG_DONTWAIT);
		if (n > 0) {
			p->len += (size_t)n;
		} else {
			if (n == 0 || (n < 0 && errno != EAGAIN))
				p->eof = true;
			return;
		}
	}
}

// The next reply line, polling the server meanwhile; NULL after ms without one.
static json_t *peer_reply(struct peer *p, int ms)
{
	long long end = now_ms() + ms;

	do {
		char *nl = p->len ? memchr(p->buf, '\n', p->len) : NULL;

		if (nl != NULL) {
			json_t *r = json_loadb(p->buf, (size_t)(nl - p->buf), 0, NULL);

			assert_non_null(r);
			memmove(p->buf, nl + 1, p->len - (size_t)(nl + 1 - p->buf));
			p->len -= (size_t)(nl + 1 - p->buf);
			return r;
		}
		if (p->eof)
			return NULL;
		rpc_server_poll(srv, 2);
		peer_pump(p);
	} while (now_ms() < end);
	return NULL;
}

static bool peer_wait_eof(struct peer *p, int ms)
{
	long long end = now_ms() + ms;

	while (!p->eof && now_ms() < end) {
		rpc_server_poll(srv, 2);
		peer_pump(p);
	}
	return p->eof;
}

static json_int_t id_of(json_t *r)
{
	return json_integer_value(json_object_get(r, "id"));
}

static int code_of(json_t *r)
{
	return (int)json_integer_value(json_object_get(json_object_get(r, "error"), "code"));
}

static const char *message_of(json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "error"), "message"));
}

// One request, without (R) and with (REQ) its line end.
#define R(ID, METHOD) "{\"jsonrpc\":\"2.0\",\"id\":" #ID ",\"method\":\"" METHOD "\"}"
#define REQ(ID, METHOD) R(ID, METHOD) "\n"

static void test_pipelined(void **state)
{
	struct peer p;
	json_t *r;

	peer_open(&p);
	// One write, many requests; a notification, a blank line and garbage in between.
	peer_send(
		&p,
		REQ(1,
		    "test.echo") "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\"}\n"
				 "\n" REQ(2, "test.fail") "garbage\n" REQ(
					 3,
					 "no.such") "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.add\","
						    "\"params\":{\"a\":1,\"b\":1}}\n"
						    "[" R(5, "test.echo") "," R(
							    6, "test.defer_now") "]\n");
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 1);
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 2);
	assert_int_equal(code_of(r), RPC_ERR_FAILED);
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(code_of(r), RPC_PARSE_ERROR); // the connection survives
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 3);
	assert_int_equal(code_of(r), RPC_METHOD_NOT_FOUND);
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 4);
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 2);
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(json_array_size(r), 2);
	assert_int_equal(id_of(json_array_get(r, 0)), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 1), "result")),
			    "now");
	json_decref(r);
	assert_null(peer_reply(&p, 50));
	peer_close(&p);
}

static void test_deferred_order(void **state)
{
	struct peer p, q;
	json_t *r;

	peer_open(&p);
	peer_open(&q);
	peer_send(&p, REQ(1, "test.defer") REQ(2, "test.echo") "[" R(3, "test.defer") "," R(
			      4, "test.echo") "]\n" REQ(5, "test.echo"));
	// Everything waits behind the first answer; another client is not held up.
	assert_null(peer_reply(&p, 100));
	peer_send(&q, REQ(9, "test.echo"));
	r = peer_reply(&q, 2000);
	assert_int_equal(id_of(r), 9);
	json_decref(r);
	assert_int_equal(test_ndeferred, 2);
	test_complete_all();

	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 0);
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 2);
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(json_array_get(r, 0)), 3);
	assert_string_equal(message_of(json_array_get(r, 0)), "deferred failure");
	assert_int_equal(id_of(json_array_get(r, 1)), 4);
	json_decref(r);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 5);
	json_decref(r);
	peer_close(&p);
	peer_close(&q);
}

static void test_deferred_after_disconnect(void **state)
{
	struct peer p;

	peer_open(&p);
	peer_send(&p, REQ(1, "test.defer") REQ(2, "test.echo"));
	assert_null(peer_reply(&p, 50));
	peer_close(&p);
	for (int i = 0; i < 20; i++)
		rpc_server_poll(srv, 1);
	// The client is gone: answering is a no-op (ASan checks nothing dangles).
	test_complete_all();
	rpc_server_poll(srv, 1);
}

static void test_oversized(void **state)
{
	char *big = malloc(4000);
	struct peer p;
	json_t *r;

	rpc_server_destroy(srv);
	srv = start(1024, 0, 0);

	// A request of exactly the limit passes.
	peer_open(&p);
	snprintf(big, 4000,
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\",\"params\":[\"");
	memset(big + strlen(big), 'a', 1024 - strlen(big) - 3);
	strcpy(big + 1024 - 3, "\"]}\n");
	assert_int_equal(strlen(big), 1025);
	peer_send(&p, big);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 1);
	json_decref(r);

	// One byte more (still no newline) is refused, and the connection closed.
	memset(big, 'b', 3000);
	big[3000] = '\0';
	peer_send(&p, big);
	r = peer_reply(&p, 2000);
	assert_non_null(r);
	assert_int_equal(code_of(r), RPC_INVALID_REQUEST);
	assert_string_equal(message_of(r), "request larger than 1024 bytes");
	assert_true(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	assert_true(peer_wait_eof(&p, 2000));
	peer_close(&p);
	free(big);
}

static void test_truncated(void **state)
{
	struct peer p;
	json_t *r;

	// Half a request waits for its other half.
	peer_open(&p);
	peer_send(&p, "{\"jsonrpc\":\"2.0\",\"id\":1,");
	assert_null(peer_reply(&p, 100));
	peer_send(&p, "\"method\":\"test.echo\"}\n");
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 1);
	json_decref(r);

	// A complete request ended by EOF instead of a newline is answered.
	peer_send(&p, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.echo\"}");
	shutdown(p.fd, SHUT_WR);
	r = peer_reply(&p, 2000);
	assert_int_equal(id_of(r), 2);
	json_decref(r);
	assert_true(peer_wait_eof(&p, 2000));
	peer_close(&p);

	// A truncated one gets the parser's error, then EOF.
	peer_open(&p);
	peer_send(&p, "{\"jsonrpc\":\"2.0\",\"id\":3,\"meth");
	shutdown(p.fd, SHUT_WR);
	r = peer_reply(&p, 2000);
	assert_int_equal(code_of(r), RPC_PARSE_ERROR);
	json_decref(r);
	assert_true(peer_wait_eof(&p, 2000));
	peer_close(&p);

	// Whitespace at EOF is nothing.
	peer_open(&p);
	peer_send(&p, "  \n\t");
	shutdown(p.fd, SHUT_WR);
	assert_null(peer_reply(&p, 200));
	assert_true(p.eof);
	peer_close(&p);
}

static void test_slow_reader(void **state)
{
	struct peer slow, idle, p;
	char req[128];
	long long t0, worst = 0;
	json_t *r;

	rpc_server_destroy(srv);
	srv = start(0, 1 << 20, 0);
	peer_open(&idle); // connects and never sends
	peer_open(&slow);
	// The slow client asks for 8 MiB of replies and never reads them.
	for (int i = 0; i < 128; i++) {
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test.big\","
			 "\"params\":{\"bytes\":65536}}\n",
			 i);
		peer_send(&slow, req);
	}
	peer_open(&p);
	for (int i = 0; i < 20; i++) {
		peer_send(&p, REQ(7, "test.echo"));
		t0 = now_ms();
		rpc_server_poll(srv, 0);
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		r = peer_reply(&p, 2000);
		assert_int_equal(id_of(r), 7);
		json_decref(r);
	}
	assert_true(worst < 500);
	// Past max_output (1 MiB) the slow client is dropped: draining it ends in EOF.
	for (int i = 0; i < 50; i++)
		rpc_server_poll(srv, 1);
	assert_true(peer_wait_eof(&slow, 5000));
	assert_true(slow.len < 8u << 20);
	peer_pump(&idle);
	assert_false(idle.eof);
	peer_close(&slow);
	peer_close(&idle);
	peer_close(&p);
}

static void test_budget(void **state)
{
	struct peer p;
	int total = 0, calls = 0;
	json_t *r;

	peer_open(&p);
	for (int i = 0; i < 200; i++)
		peer_send(&p, REQ(1, "test.echo"));
	while (total < 200 && calls < 1000) {
		int n = rpc_server_poll(srv, 10);

		assert_true(n >= 0 && n <= 64);
		total += n;
		calls++;
		peer_pump(&p);
	}
	assert_int_equal(total, 200);
	assert_true(calls >= 4);
	for (int i = 0; i < 200; i++) {
		r = peer_reply(&p, 2000);
		assert_non_null(r);
		json_decref(r);
	}
	peer_close(&p);
}

static void test_max_clients(void **state)
{
	struct peer a, b, c;
	json_t *r;

	rpc_server_destroy(srv);
	srv = start(0, 0, 2);
	peer_open(&a);
	peer_open(&b);
	rpc_server_poll(srv, 10);
	peer_open(&c);
	r = peer_reply(&c, 2000);
	assert_int_equal(code_of(r), RPC_ERR_BUSY);
	assert_string_equal(message_of(r), "too many clients (2): try again later");
	json_decref(r);
	assert_true(peer_wait_eof(&c, 2000));
	peer_send(&b, REQ(1, "test.echo"));
	r = peer_reply(&b, 2000);
	assert_int_equal(id_of(r), 1);
	json_decref(r);
	peer_close(&a);
	peer_close(&b);
	peer_close(&c);
}

static struct rpc_server *start_notify(size_t max_notify_backlog)
{
	struct rpc_server_conf conf = { .path = path, .max_notify_backlog = max_notify_backlog };
	char err[256];
	struct rpc_server *s = rpc_server_create(&conf, err, sizeof(err));

	if (s == NULL)
		fail_msg("rpc_server_create: %s", err);
	return s;
}

// The next line that is a notification (no id), polling the server meanwhile.
static const char *notification_method(json_t *r)
{
	assert_non_null(r);
	assert_null(json_object_get(r, "id"));
	assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	return json_string_value(json_object_get(r, "method"));
}

static void test_notify(void **state)
{
	struct peer a, all, none;
	json_t *r, *params = json_pack("{s:i}", "slot", 3);

	peer_open(&a);
	peer_open(&all);
	peer_open(&none);
	// Nobody subscribed: nothing is sent.
	rpc_server_poll(srv, 10);
	assert_int_equal(rpc_server_notify(srv, "ev.a", params), 0);
	peer_send(&a, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.subscribe\","
		      "\"params\":[\"ev.a\",\"ev.b\",\"ev.a\"]}\n");
	r = peer_reply(&a, 2000);
	assert_int_equal(id_of(r), 1);
	assert_int_equal(json_array_size(json_object_get(r, "result")), 2); // ev.a once
	json_decref(r);
	peer_send(&all, REQ(2, "test.subscribe"));
	r = peer_reply(&all, 2000);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "result"), 0)),
			    RPC_TOPIC_ALL);
	json_decref(r);
	peer_send(&none, REQ(3, "test.echo"));
	json_decref(peer_reply(&none, 2000));

	assert_int_equal(rpc_server_notify(srv, "ev.a", params), 2);
	assert_int_equal(rpc_server_notify(srv, "ev.c", NULL), 1); // only "all" wants ev.c
	r = peer_reply(&a, 2000);
	assert_string_equal(notification_method(r), "ev.a");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "params"), "slot")),
			 3);
	json_decref(r);
	r = peer_reply(&all, 2000);
	assert_string_equal(notification_method(r), "ev.a");
	json_decref(r);
	r = peer_reply(&all, 2000);
	assert_string_equal(notification_method(r), "ev.c");
	assert_null(json_object_get(r, "params"));
	json_decref(r);
	assert_null(peer_reply(&a, 50));
	assert_null(peer_reply(&none, 50));

	// Notifications and replies interleave as whole lines; unsubscribing stops them.
	peer_send(&a, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.unsubscribe\","
		      "\"params\":[\"ev.a\"]}\n");
	r = peer_reply(&a, 2000);
	assert_int_equal(id_of(r), 4);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "result"), 0)),
			    "ev.b");
	json_decref(r);
	assert_int_equal(rpc_server_notify(srv, "ev.a", params), 1);
	assert_int_equal(rpc_server_notify(srv, "ev.b", params), 2);
	r = peer_reply(&a, 2000);
	assert_string_equal(notification_method(r), "ev.b");
	json_decref(r);
	json_decref(params);
	peer_close(&a);
	peer_close(&all);
	peer_close(&none);
}

// Outside a connection there is nobody to notify: subscribing fails, clearly.
static void test_notify_no_conn(void **state)
{
	char *reply = rpc_handle_line(REQ(1, "test.subscribe"), strlen(REQ(1, "test.subscribe")));
	json_t *r = json_loads(reply, 0, NULL);

	assert_int_equal(code_of(r), RPC_ERR_FAILED);
	assert_string_equal(message_of(r), "subscribe: -95"); // -ENOTSUP
	json_decref(r);
	free(reply);
}

static void test_notify_slow_reader(void **state)
{
	struct peer slow, fast;
	json_t *r, *params = json_pack("{s:s}", "pad", "");
	char pad[4096];
	long long t0, worst = 0;
	unsigned got = 0, sent_fast = 0;

	rpc_server_destroy(srv);
	srv = start_notify(256 << 10);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	json_object_set_new(params, "pad", json_string(pad));
	peer_open(&slow);
	peer_open(&fast);
	peer_send(&slow, REQ(1, "test.subscribe"));
	json_decref(peer_reply(&slow, 2000));
	peer_send(&fast, REQ(2, "test.subscribe"));
	json_decref(peer_reply(&fast, 2000));
	// 16 MiB of notifications: the slow client never reads and is dropped past 256 KiB
	// (plus what its socket holds); the fast one reads and misses none. Sending never waits.
	for (int i = 0; i < 4096; i++) {
		t0 = now_ms();
		sent_fast += rpc_server_notify(srv, "ev.big", params) > 0;
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		rpc_server_poll(srv, 0);
		peer_pump(&fast);
		while ((r = peer_reply(&fast, 0)) != NULL) {
			assert_string_equal(notification_method(r), "ev.big");
			json_decref(r);
			got++;
		}
	}
	assert_true(worst < 500);
	while ((r = peer_reply(&fast, 200)) != NULL) {
		json_decref(r);
		got++;
	}
	assert_int_equal(got, 4096);
	assert_true(peer_wait_eof(&slow, 5000));
	assert_false(fast.eof);
	json_decref(params);
	peer_close(&slow);
	peer_close(&fast);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_after_disconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_no_conn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_slow_reader, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
