// SPDX-License-Identifier: BSD-3-Clause
// The event table and the path to the control server's subscribers (control/events/events.h).
#include <stddef.h>
#include <string.h>

#include "common/log.h"
#include "common/rpc/rpc.h"
#include "control/events/events.h"

const struct molt_event_info molt_events[] = {
	{ "integrity.detection",
	  "the auditor found a slot's memory changed outside the update paths (slot, region, "
	  "offset, latency)" },
	{ NULL, NULL },
};

static struct rpc_server *server; // control: rw

const struct molt_event_info *molt_event_find(const char *name)
{
	for (const struct molt_event_info *e = molt_events; e->name != NULL; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

void molt_events_attach(struct rpc_server *s)
{
	server = s;
}

void molt_event_publish(const char *name, json_t *params)
{
	if (server != NULL) {
		unsigned n = rpc_server_notify(server, name, params);

		if (n > 0)
			LOG_DEBUG("events", "%s sent to %u client%s", name, n, n == 1 ? "" : "s");
	}
	json_decref(params);
}
