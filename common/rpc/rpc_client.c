// SPDX-License-Identifier: BSD-3-Clause
// Blocking JSON-RPC client: poll(2) with a deadline around non-blocking I/O, so a daemon that
// hangs makes moltctl fail with a message instead of hanging with it.
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/rpc/rpc_client.h"

struct rpc_client {
	int fd;
	int timeout_ms;
	char *path;
	long long next_id;
	char *in; // bytes received but not returned yet
	size_t in_len, in_cap;
	size_t scanned; // in[0..scanned) holds no newline
};

static const char *daemon_hint(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (strstr(base, "routeserver") != NULL)
		return "is molt-routeserver running?";
	if (strstr(base, "moltd") != NULL)
		return "is moltd running?";
	return "is the daemon running?";
}

struct rpc_client *rpc_client_connect(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rpc_client *c;
	int e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->timeout_ms = timeout_ms;
	c->next_id = 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot create a socket: %s", strerror(e));
		goto fail;
	}
	// A UNIX connect waits only when the listener's backlog is full; SO_SNDTIMEO bounds it.
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			snprintf(err, errlen, "cannot connect to %s: %s (%s)", path, strerror(e),
				 daemon_hint(path));
		else if (e == EACCES)
			snprintf(err, errlen,
				 "cannot connect to %s: %s (is your user in the "
				 "socket's group?)",
				 path, strerror(e));
		else
			snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
		goto fail;
	}
	return c;
fail:
	rpc_client_close(c);
	errno = e;
	return NULL;
}

void rpc_client_close(struct rpc_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->path);
	free(c);
}

int rpc_client_fd(const struct rpc_client *c)
{
	return c->fd;
}

// Waits for events on the socket until the deadline (-1: none). Returns 0 or -ETIMEDOUT.
static int wait_for(struct rpc_client *c, short events, long long deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int left, r;

	do {
		left = -1;
		if (deadline >= 0) {
			long long d = deadline - (long long)molt_now_ms();

			if (d <= 0)
				return -ETIMEDOUT;
			left = d > 1000000 ? 1000000 : (int)d;
		}
		r = poll(&pfd, 1, left);
	} while (r == 0 || (r < 0 && errno == EINTR));
	return r < 0 ? -errno : 0;
}

static long long deadline_of(const struct rpc_client *c)
{
	return c->timeout_ms > 0 ? (long long)molt_now_ms() + c->timeout_ms : -1;
}

int rpc_client_send(struct rpc_client *c, const char *buf, size_t len, char *err, size_t errlen)
{
	long long deadline = deadline_of(c);
	size_t off = 0;
	int ret;

	while (off < len) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			ret = -errno;
			snprintf(err, errlen, "cannot send to %s: %s", c->path, strerror(errno));
			return ret;
		}
		ret = wait_for(c, POLLOUT, deadline);
		if (ret < 0) {
			snprintf(err, errlen, "%s does not take the request (waited %d ms)",
				 c->path, c->timeout_ms);
			return ret;
		}
	}
	return 0;
}

static char *take_line(struct rpc_client *c, size_t len, size_t skip)
{
	char *line = malloc(len + 1);

	if (line == NULL)
		return NULL;
	memcpy(line, c->in, len);
	line[len] = '\0';
	memmove(c->in, c->in + len + skip, c->in_len - len - skip);
	c->in_len -= len + skip;
	c->scanned = 0;
	return line;
}

long rpc_client_read_line(struct rpc_client *c, char **line, char *err, size_t errlen)
{
	long long deadline = deadline_of(c);
	int ret;

	*line = NULL;
	for (;;) {
		char *nl = c->in_len > c->scanned
				   ? memchr(c->in + c->scanned, '\n', c->in_len - c->scanned)
				   : NULL;
		ssize_t n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - c->in);

			*line = take_line(c, len, 1);
			if (*line == NULL) {
				snprintf(err, errlen, "out of memory reading a reply");
				return -ENOMEM;
			}
			return (long)len;
		}
		c->scanned = c->in_len;
		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 65536;
			char *p = realloc(c->in, cap);

			if (p == NULL) {
				snprintf(err, errlen, "out of memory reading a reply");
				return -ENOMEM;
			}
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
		} else if (n == 0) {
			// A last line without '\n' is still a line; after it, EOF.
			if (c->in_len == 0)
				return 0;
			*line = take_line(c, c->in_len, 0);
			return *line != NULL ? (long)strlen(*line) : -ENOMEM;
		} else if (errno == EAGAIN) {
			ret = wait_for(c, POLLIN, deadline);
			if (ret < 0) {
				snprintf(err, errlen, "no reply from %s within %d ms", c->path,
					 c->timeout_ms);
				return ret;
			}
		} else if (errno != EINTR) {
			ret = -errno;
			snprintf(err, errlen, "cannot read from %s: %s", c->path, strerror(errno));
			return ret;
		}
	}
}

static int set_error(struct rpc_error *err, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_error(struct rpc_error *err, int ret, const char *fmt, ...)
{
	va_list ap;

	err->code = 0;
	err->data = NULL;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return ret;
}

// The message is already in err->message (written there by send or read_line).
static int keep_error(struct rpc_error *err, int ret)
{
	err->code = 0;
	err->data = NULL;
	return ret;
}

// Interprets one reply line. Returns 1 if it is not ours (an older pipelined id), else as
// rpc_client_call.
static int parse_reply(struct rpc_client *c, const char *line, long long id, json_t **result,
		       struct rpc_error *err)
{
	json_t *r = json_loads(line, 0, NULL), *rid, *e, *v;
	int ret;

	if (!json_is_object(r)) {
		json_decref(r);
		return set_error(err, -EBADMSG, "%s sent a reply that is not a JSON object",
				 c->path);
	}
	rid = json_object_get(r, "id");
	// id null: the server could not read our request (or refuses the connection).
	if (!json_is_null(rid) && !(json_is_integer(rid) && json_integer_value(rid) == id)) {
		json_decref(r);
		return 1;
	}
	e = json_object_get(r, "error");
	if (e != NULL) {
		v = json_object_get(e, "message");
		set_error(err, -EREMOTEIO, "%s",
			  json_is_string(v) ? json_string_value(v) : "error without a message");
		err->code = (int)json_integer_value(json_object_get(e, "code"));
		err->data = json_incref(json_object_get(e, "data"));
		ret = -EREMOTEIO;
	} else if ((v = json_object_get(r, "result")) != NULL) {
		*result = json_incref(v);
		ret = 0;
	} else {
		ret = set_error(err, -EBADMSG, "%s sent a reply with neither result nor error",
				c->path);
	}
	json_decref(r);
	return ret;
}

int rpc_client_call(struct rpc_client *c, const char *method, json_t *params, json_t **result,
		    struct rpc_error *err)
{
	long long id = c->next_id++;
	json_t *req;
	char *text, *line;
	long n;
	int ret;

	*result = NULL;
	req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", (json_int_t)id, "method",
			method);
	if (req != NULL && params != NULL && json_object_set(req, "params", params) < 0) {
		json_decref(req);
		req = NULL;
	}
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text == NULL)
		return set_error(err, -ENOMEM, "cannot encode the request");
	// json_dumps never ends with a newline: send the line end separately, no copy.
	ret = rpc_client_send(c, text, strlen(text), err->message, sizeof(err->message));
	free(text);
	if (ret == 0)
		ret = rpc_client_send(c, "\n", 1, err->message, sizeof(err->message));
	if (ret < 0)
		return keep_error(err, ret);
	for (;;) {
		n = rpc_client_read_line(c, &line, err->message, sizeof(err->message));
		if (n < 0)
			return keep_error(err, (int)n);
		if (line == NULL)
			return set_error(err, -ECONNRESET,
					 "%s closed the connection without "
					 "answering",
					 c->path);
		ret = parse_reply(c, line, id, result, err);
		free(line);
		if (ret != 1)
			return ret;
	}
}
