// SPDX-License-Identifier: BSD-3-Clause
// The method registry: filled by constructors before main, read-only afterwards. Kept sorted
// by name so rpc.list (and moltctl --help built from it) reads like a table of contents.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc/rpc.h"

static struct rpc_method *methods;

void rpc_method_register(struct rpc_method *m)
{
	struct rpc_method **pos = &methods;

	// Constructors run before logging is set up and a bad table is a build mistake: abort.
	if (m->name == NULL || m->name[0] == '\0' || m->fn == NULL) {
		fprintf(stderr, "rpc: method without a name or handler\n");
		abort();
	}
	while (*pos != NULL && strcmp((*pos)->name, m->name) < 0)
		pos = &(*pos)->next;
	if (*pos != NULL && strcmp((*pos)->name, m->name) == 0) {
		fprintf(stderr, "rpc: method '%s' registered twice\n", m->name);
		abort();
	}
	m->next = *pos;
	*pos = m;
}

const struct rpc_method *rpc_method_find(const char *name)
{
	for (const struct rpc_method *m = methods; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

const struct rpc_method *rpc_method_first(void)
{
	return methods;
}

json_t *rpc_fail(struct rpc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

static json_t *rpc_list(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	json_t *list;

	if (params != NULL && json_object_size(params) + json_array_size(params) > 0)
		return rpc_fail(err, RPC_INVALID_PARAMS, "rpc.list takes no params");
	list = json_array();
	if (list == NULL)
		return rpc_fail(err, RPC_INTERNAL_ERROR, "out of memory");
	for (const struct rpc_method *m = methods; m != NULL; m = m->next) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", m->name, "params",
				      m->params ? m->params : "", "help", m->help ? m->help : "");
		if (o == NULL || json_array_append_new(list, o) < 0) {
			json_decref(list);
			return rpc_fail(err, RPC_INTERNAL_ERROR, "out of memory");
		}
	}
	return list;
}

// This file is linked whenever a binary registers a method, so rpc.list always comes along.
RPC_METHOD("rpc.list", rpc_list, "", "list every method with its params and a line of help")
