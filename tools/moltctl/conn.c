// SPDX-License-Identifier: BSD-3-Clause
// Calling the daemon: one connection (common/rpc/rpc_client.h) opened at the first call, errors
// turned into messages and exit codes.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc/rpc_client.h"
#include "tools/moltctl/moltctl.h"

static int server_error(struct ctl *c, struct rpc_error *e)
{
	char *d;

	snprintf(c->last_error, sizeof(c->last_error), "%s", e->message);
	fprintf(stderr, "moltctl: %s\n", e->message);
	if (e->data != NULL && !json_is_null(e->data)) {
		d = json_dumps(e->data, JSON_COMPACT | JSON_ENCODE_ANY);
		if (d != NULL)
			fprintf(stderr, "moltctl: details: %s\n", d);
		free(d);
	}
	json_decref(e->data);
	return EXIT_FAILED;
}

int ctl_call(struct ctl *c, const char *method, json_t *params, json_t **result)
{
	struct rpc_error e = { 0 };
	char msg[512];
	int ret;

	*result = NULL;
	if (c->client == NULL) {
		c->client = rpc_client_connect(c->socket, c->timeout_ms, msg, sizeof(msg));
		if (c->client == NULL) {
			json_decref(params);
			fprintf(stderr, "moltctl: %s\n", msg);
			return EXIT_CONNECT;
		}
	}
	ret = rpc_client_call(c->client, method, params, result, &e);
	json_decref(params);
	if (ret == 0)
		return EXIT_OK;
	if (ret == -EREMOTEIO)
		return server_error(c, &e);
	fprintf(stderr, "moltctl: %s\n", e.message);
	json_decref(e.data);
	ctl_close(c);
	return EXIT_CONNECT;
}

void ctl_close(struct ctl *c)
{
	if (c->client != NULL)
		rpc_client_close(c->client);
	c->client = NULL;
}

int ctl_run(struct ctl *c, const char *method, json_t *params, void (*print)(const json_t *))
{
	json_t *res;
	int ret = ctl_call(c, method, params, &res);

	if (ret != EXIT_OK)
		return ret;
	if (c->json)
		ctl_print_json(res);
	else if (print != NULL)
		print(res);
	else
		ctl_print_generic(res);
	json_decref(res);
	return EXIT_OK;
}
