// SPDX-License-Identifier: BSD-3-Clause
// The listening UNIX socket and its clients, serviced with poll(2) from the owner's thread.
// Every socket is non-blocking: a client that stops reading only fills its own output buffer
// (and is dropped past max_output); one that stops writing only keeps its half request.
//
// Beyond max_clients a new connection is accepted, told "too many clients" in a JSON-RPC
// error line and closed at once, so a script sees why instead of hanging in the backlog.
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/rpc/rpc_priv.h"

// New connections accepted per poll call, so a connect storm cannot starve the clients.
#define ACCEPT_BURST 16

struct rpc_client {
	int fd;
	struct rpc_conn conn;
};

struct rpc_server {
	int lfd;
	char *path;
	dev_t dev; // the socket file we created: destroy removes only that one
	ino_t ino;
	size_t max_request, max_output, max_notify_backlog;
	unsigned max_clients;
	struct rpc_client **clients;
	unsigned nclients;
	unsigned rr; // first client serviced by the next poll: turns go round
	struct pollfd *pfds; // listener + max_clients
};

static int mkdir_parents(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path);
	int ret = 0;

	if (dir == NULL)
		return -ENOMEM;
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ret = -errno;
			snprintf(err, errlen, "cannot create directory %s for the socket: %s", dir,
				 strerror(errno));
			break;
		}
		*p = '/';
	}
	free(dir);
	return ret;
}

// bind() said EADDRINUSE: is somebody listening there, or is it a dead process's leftover?
static int replace_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct stat st;
	int ret;

	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
	close(fd);
	// EAGAIN: a listener whose backlog is full is still a live one.
	if (ret == 0 || ret == -EAGAIN || ret == -EINPROGRESS) {
		snprintf(err, errlen,
			 "another process is serving %s (stop it or choose another "
			 "socket path)",
			 sa->sun_path);
		return -EADDRINUSE;
	}
	if (ret == -ENOENT)
		return 0; // gone meanwhile: bind again
	if (ret != -ECONNREFUSED) {
		snprintf(err, errlen, "cannot check whether %s is in use: %s", sa->sun_path,
			 strerror(-ret));
		return ret;
	}
	if (lstat(sa->sun_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s exists and is not a socket: remove it or choose another "
			 "path",
			 sa->sun_path);
		return -EEXIST;
	}
	if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot remove the stale socket %s: %s", sa->sun_path,
			 strerror(errno));
		return ret;
	}
	LOG_NOTICE("rpc", "replaced stale socket %s", sa->sun_path);
	return 0;
}

static int listen_on(struct rpc_server *s, const struct rpc_server_conf *conf, char *err,
		     size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	struct stat st;
	int ret;

	if (strlen(conf->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long (at most %zu bytes)", conf->path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, conf->path);
	if (conf->group != NULL) {
		struct group *gr = getgrnam(conf->group);

		if (gr == NULL) {
			snprintf(err, errlen, "unknown group '%s' for socket %s", conf->group,
				 conf->path);
			return -ENOENT;
		}
		gid = gr->gr_gid;
	}
	ret = mkdir_parents(conf->path, err, errlen);
	if (ret < 0)
		return ret;

	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return ret;
	}
	for (int tries = 0; bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0; tries++) {
		ret = -errno;
		if (ret != -EADDRINUSE || tries == 2) {
			snprintf(err, errlen, "cannot bind %s: %s", conf->path, strerror(-ret));
			return ret;
		}
		ret = replace_stale(&sa, err, errlen);
		if (ret < 0)
			return ret;
	}
	// Nobody can connect before listen(), so the mode and group are right from the start.
	if (chmod(conf->path, 0660) < 0 || (gid != (gid_t)-1 && chown(conf->path, -1, gid) < 0)) {
		ret = -errno;
		snprintf(err, errlen, "cannot set mode 0660%s%s on %s: %s",
			 gid != (gid_t)-1 ? " and group " : "", conf->group ? conf->group : "",
			 conf->path, strerror(errno));
		unlink(conf->path);
		return ret;
	}
	if (stat(conf->path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	if (listen(s->lfd, SOMAXCONN) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", conf->path, strerror(errno));
		unlink(conf->path);
		return ret;
	}
	return 0;
}

struct rpc_server *rpc_server_create(const struct rpc_server_conf *conf, char *err, size_t errlen)
{
	struct rpc_server *s;
	int ret;

	if (conf == NULL || conf->path == NULL || conf->path[0] == '\0') {
		snprintf(err, errlen, "no control socket path given");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->lfd = -1;
	s->max_request = conf->max_request ? conf->max_request : RPC_DEFAULT_MAX_REQUEST;
	s->max_output = conf->max_output ? conf->max_output : RPC_DEFAULT_MAX_OUTPUT;
	s->max_clients = conf->max_clients ? conf->max_clients : RPC_DEFAULT_MAX_CLIENTS;
	s->max_notify_backlog = conf->max_notify_backlog ? conf->max_notify_backlog
							 : RPC_DEFAULT_MAX_NOTIFY_BACKLOG;
	s->path = strdup(conf->path);
	s->clients = calloc(s->max_clients, sizeof(*s->clients));
	s->pfds = calloc(s->max_clients + 1 + RPC_POLL_EXTRA_MAX, sizeof(*s->pfds));
	if (s->path == NULL || s->clients == NULL || s->pfds == NULL)
		goto nomem;
	ret = listen_on(s, conf, err, errlen);
	if (ret < 0) {
		rpc_server_destroy(s);
		errno = -ret;
		return NULL;
	}
	return s;
nomem:
	snprintf(err, errlen, "out of memory creating the control socket");
	rpc_server_destroy(s);
	errno = ENOMEM;
	return NULL;
}

static void client_close(struct rpc_client *c)
{
	close(c->fd);
	rpc_conn_fini(&c->conn);
	free(c);
}

void rpc_server_destroy(struct rpc_server *s)
{
	struct stat st;

	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->nclients; i++)
		client_close(s->clients[i]);
	if (s->lfd >= 0) {
		close(s->lfd);
		// Another process may have replaced our socket since: leave its file alone.
		if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
			unlink(s->path);
	}
	free(s->clients);
	free(s->pfds);
	free(s->path);
	free(s);
}

static void refuse(struct rpc_server *s, int fd)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line),
		     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,"
		     "\"message\":\"too many clients (%u): try again later\"}}\n",
		     RPC_ERR_BUSY, s->max_clients);
	// A fresh socket's buffer is empty: the line fits, or the client is gone anyway.
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		LOG_DEBUG("rpc", "refusing a client: %s", strerror(errno));
	close(fd);
}

static void accept_clients(struct rpc_server *s)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct rpc_client *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				LOG_WARN("rpc", "accept on %s: %s", s->path, strerror(errno));
			return;
		}
		if (s->nclients >= s->max_clients) {
			LOG_NOTICE("rpc", "%s: too many clients (%u), refusing one", s->path,
				   s->max_clients);
			refuse(s, fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		rpc_conn_init(&c->conn, s->max_request, s->max_output);
		s->clients[s->nclients++] = c;
	}
}

// The client closed its end: an ordinary way to leave, not worth a log line.
static bool gone(int err)
{
	return err == EPIPE || err == ECONNRESET;
}

static void client_read(struct rpc_client *c)
{
	size_t room;
	char *buf;

	while ((buf = rpc_conn_input_space(&c->conn, &room)) != NULL) {
		ssize_t n = recv(c->fd, buf, room, MSG_DONTWAIT);

		if (n > 0) {
			rpc_conn_input_commit(&c->conn, (size_t)n);
		} else if (n == 0) {
			c->conn.eof = true;
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN) {
				c->conn.dead = true;
				c->conn.why = gone(errno) ? NULL : strerror(errno);
			}
			return;
		}
	}
}

static void client_write(struct rpc_client *c)
{
	struct rpc_conn *conn = &c->conn;

	while (!conn->dead && conn->out_off < conn->out_len) {
		ssize_t n = send(c->fd, conn->out + conn->out_off, conn->out_len - conn->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0) {
			rpc_conn_output_consume(conn, (size_t)n);
		} else if (errno != EINTR) {
			if (errno != EAGAIN) {
				conn->dead = true;
				conn->why = gone(errno) ? NULL : strerror(errno);
			}
			return;
		}
	}
}

static bool wants_input(const struct rpc_conn *c)
{
	return !c->dead && !c->closing && !c->eof && c->nunits < RPC_MAX_QUEUED &&
	       !rpc_conn_has_work(c);
}

static void sweep(struct rpc_server *s)
{
	for (unsigned i = 0; i < s->nclients;) {
		struct rpc_client *c = s->clients[i];

		if (!rpc_conn_finished(&c->conn)) {
			i++;
			continue;
		}
		if (c->conn.dead && c->conn.why != NULL)
			LOG_NOTICE("rpc", "%s: dropping a client: %s", s->path, c->conn.why);
		client_close(c);
		s->clients[i] = s->clients[--s->nclients];
	}
}

int rpc_server_poll(struct rpc_server *s, int timeout_ms)
{
	return rpc_server_poll_fds(s, NULL, 0, timeout_ms);
}

int rpc_server_poll_fds(struct rpc_server *s, struct pollfd *extra, unsigned nextra, int timeout_ms)
{
	unsigned n = s->nclients, handled = 0;
	uint64_t start;
	bool busy = false;

	s->pfds[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	for (unsigned i = 0; i < n; i++) {
		struct rpc_conn *conn = &s->clients[i]->conn;
		short ev = 0;

		if (wants_input(conn))
			ev |= POLLIN;
		if (conn->out_off < conn->out_len)
			ev |= POLLOUT;
		// Input left over from the last call (budget spent) or a client to close: no sleep.
		if (rpc_conn_has_work(conn) || rpc_conn_finished(conn))
			busy = true;
		// Nothing wanted (say, waiting on a deferred answer after EOF): leave it out, or a
		// hung-up peer's POLLHUP would wake us at once, again and again.
		s->pfds[i + 1] = (struct pollfd){ .fd = ev ? s->clients[i]->fd : -1, .events = ev };
	}
	if (nextra > RPC_POLL_EXTRA_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < nextra; i++)
		s->pfds[n + 1 + i] = extra[i];
	if (poll(s->pfds, n + 1 + nextra, busy ? 0 : timeout_ms) < 0) {
		for (unsigned i = 0; i < nextra; i++)
			extra[i].revents = 0;
		return errno == EINTR ? 0 : -errno;
	}
	for (unsigned i = 0; i < nextra; i++)
		extra[i].revents = s->pfds[n + 1 + i].revents;
	start = molt_now_ns();

	for (unsigned k = 0; k < n; k++) {
		unsigned i = (s->rr + k) % n;
		struct rpc_client *c = s->clients[i];

		if (s->pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(c);
		// One request at a time against a time budget as well as a count: a request can
		// be heavy (10,000 lookups), and the caller has packets to handle too.
		while (handled < RPC_POLL_BUDGET && molt_now_ns() - start < RPC_POLL_TIME_NS) {
			unsigned h = rpc_conn_process(&c->conn, 1);

			if (h == 0)
				break;
			handled += h;
		}
		client_write(c);
	}
	s->rr++;
	if (s->pfds[0].revents & POLLIN)
		accept_clients(s);
	sweep(s);
	return (int)handled;
}

static char *notification_line(const char *method, json_t *params, size_t *len)
{
	json_t *msg = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
	char *line = NULL;

	if (msg != NULL && (params == NULL || json_object_set(msg, "params", params) == 0))
		line = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (line == NULL)
		return NULL;
	// The newline goes over the terminating NUL: from here on the length is what counts.
	*len = strlen(line);
	line[(*len)++] = '\n';
	return line;
}

unsigned rpc_server_notify(struct rpc_server *s, const char *method, json_t *params)
{
	unsigned sent = 0, i;
	char *line;
	size_t len;

	for (i = 0; i < s->nclients; i++)
		if (rpc_conn_subscribed(&s->clients[i]->conn, method))
			break;
	if (i == s->nclients)
		return 0; // nobody listens: not even the serialisation is paid
	line = notification_line(method, params, &len);
	if (line == NULL) {
		LOG_WARN("rpc", "%s: out of memory sending notification %s", s->path, method);
		return 0;
	}
	for (; i < s->nclients; i++) {
		struct rpc_client *c = s->clients[i];

		if (!rpc_conn_subscribed(&c->conn, method) ||
		    rpc_conn_notify(&c->conn, line, len, s->max_notify_backlog) < 0)
			continue;
		// Out now, as far as the socket takes it: a client that reads keeps no backlog.
		client_write(c);
		sent++;
	}
	free(line);
	return sent;
}
