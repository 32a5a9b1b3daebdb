// SPDX-License-Identifier: BSD-3-Clause
// The socket file: mode 0660 in a parent directory made for it, group, a live socket refused,
// a stale one replaced, a regular file left alone, removed by destroy.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/rpc/rpc.h"

static char dir[64];
static char path[128];
static struct rpc_server *srv;

static int setup(void **state)
{
	struct rpc_server_conf conf = { .path = path };
	char err[256];

	strcpy(dir, "/tmp/molt-rpc-sock.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/molt/moltd.sock", dir);
	srv = rpc_server_create(&conf, err, sizeof(err));
	if (srv == NULL)
		fail_msg("rpc_server_create: %s", err);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	rpc_server_destroy(srv);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_socket_file(void **state)
{
	struct rpc_server_conf conf = { .path = path };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *gr = getgrgid(getegid());
	char err[256], other[160];
	struct stat st;
	int fd;

	// Created with mode 0660 in a parent directory made for it.
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);

	// A live socket is refused.
	assert_null(rpc_server_create(&conf, err, sizeof(err)));
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "another process is serving"));
	assert_non_null(strstr(err, path));

	// A stale one (bound, nobody listening) is replaced.
	rpc_server_destroy(srv);
	srv = NULL;
	assert_int_equal(stat(path, &st), -1); // destroy removed it
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	srv = rpc_server_create(&conf, err, sizeof(err));
	assert_non_null(srv);
	rpc_server_destroy(srv);

	// A regular file is not ours to remove.
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	srv = rpc_server_create(&conf, err, sizeof(err));
	assert_null(srv);
	assert_non_null(strstr(err, "exists and is not a socket"));
	unlink(path);

	// Groups: an unknown one is named; our own is accepted.
	conf.group = "no-such-group-molt";
	assert_null(rpc_server_create(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown group 'no-such-group-molt'"));
	assert_non_null(gr);
	conf.group = gr->gr_name;
	srv = rpc_server_create(&conf, err, sizeof(err));
	assert_non_null(srv);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_gid, gr->gr_gid);

	// A path that does not fit sockaddr_un.
	memset(other, 'p', sizeof(other) - 1);
	other[0] = '/';
	other[sizeof(other) - 1] = '\0';
	conf.path = other;
	assert_null(rpc_server_create(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
