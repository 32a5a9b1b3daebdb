// SPDX-License-Identifier: BSD-3-Clause
// events.subscribe, events.unsubscribe, events.list: which notifications a control connection
// receives (control/events/events.h). A subscription lives as long as its connection.
#include <errno.h>
#include <string.h>

#include "control/events/events.h"
#include "control/rpc/rpc_moltd.h"

// The names params asks for: ["a", "b"] or {"events": ["a", "b"]}; absent, [] or {}: NULL
// (every event). Each name must be an event moltd sends.
static int event_names(const json_t *params, const json_t **names, struct rpc_error *err)
{
	static const char *const allowed[] = { "events", NULL };
	const json_t *v;
	size_t i;

	*names = NULL;
	if (params == NULL || (json_is_array(params) && json_array_size(params) == 0))
		return 0;
	if (json_is_object(params)) {
		if (rpc_params_object(params, false, allowed, err) < 0)
			return -EINVAL;
		params = json_object_get(params, "events");
		if (params == NULL)
			return 0;
		if (!json_is_array(params)) {
			rpc_fail(err, RPC_INVALID_PARAMS,
				 "params.events: expected a list of event names");
			return -EINVAL;
		}
	}
	json_array_foreach(params, i, v)
	{
		const char *name = json_string_value(v);
		char known[256] = "";

		if (name != NULL && molt_event_find(name) != NULL)
			continue;
		for (const struct molt_event_info *e = molt_events; e->name != NULL; e++) {
			size_t used = strlen(known);

			snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "",
				 e->name);
		}
		if (name == NULL)
			rpc_fail(err, RPC_INVALID_PARAMS,
				 "params[%zu]: expected an event name (%s)", i, known);
		else
			rpc_fail(err, RPC_INVALID_PARAMS, "params[%zu]: unknown event '%s' (%s)", i,
				 name, known);
		return -EINVAL;
	}
	*names = params;
	return 0;
}

static json_t *subscription(struct rpc_call *call, const json_t *params, bool on,
			    struct rpc_error *err)
{
	const json_t *names, *v;
	size_t i;
	int ret = 0;

	if (event_names(params, &names, err) < 0)
		return NULL;
	if (names == NULL)
		ret = rpc_call_subscribe(call, RPC_TOPIC_ALL, on);
	json_array_foreach(names, i, v)
	{
		if (ret < 0)
			break;
		ret = rpc_call_subscribe(call, json_string_value(v), on);
	}
	if (ret == -ENOTSUP)
		return rpc_fail(err, RPC_ERR_FAILED,
				"notifications need a connection (this request came from none)");
	if (ret < 0)
		return rpc_fail(err, RPC_ERR_FAILED, "cannot subscribe: %s", strerror(-ret));
	return mrpc_result(json_pack("{s:o}", "subscribed", rpc_call_topics(call)), err);
}

static json_t *events_subscribe(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	return subscription(call, params, true, err);
}
RPC_METHOD("events.subscribe", events_subscribe, "[EVENT...] (none: every event)",
	   "this connection receives these events as JSON-RPC notifications")

static json_t *events_unsubscribe(struct rpc_call *call, const json_t *params,
				  struct rpc_error *err)
{
	return subscription(call, params, false, err);
}
RPC_METHOD("events.unsubscribe", events_unsubscribe, "[EVENT...] (none: every subscription)",
	   "this connection stops receiving these events")

static json_t *events_list(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	json_t *list;

	if (rpc_params_none(params, err) < 0)
		return NULL;
	list = json_array();
	for (const struct molt_event_info *e = molt_events; list != NULL && e->name != NULL; e++) {
		if (json_array_append_new(
			    list, json_pack("{s:s, s:s}", "name", e->name, "help", e->help)) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return mrpc_result(list, err);
}
RPC_METHOD("events.list", events_list, "", "the events a client can subscribe to")
