// SPDX-License-Identifier: BSD-3-Clause
// slot.list: every slot that exists (whatever moltd_rpc.slots holds), in the order the
// metabolism keeps them. slot.metabolize is with the other metabolism methods (rpc_metabolism.c).
#include <inttypes.h>

#include "common/clock.h"
#include "control/rpc/rpc_moltd.h"
#include "dataplane/dataplane.h"

static json_t *slot_json(const struct slot *s, const struct slot *active, uint64_t now)
{
	uint64_t age = now > s->created_ns ? now - s->created_ns : 0;

	return json_pack("{s:I, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:I}",
			 "id", (json_int_t)s->id, "state", slot_state_name(s->state), "active",
			 s == active, "driver", s->driver->name, "routes4", (json_int_t)s->routes4,
			 "routes6", (json_int_t)s->routes6, "rejected", (json_int_t)s->rejected,
			 "next_hops", (json_int_t)s->nh_count, "memory", (json_int_t)slot_memory(s),
			 "generation", (json_int_t)s->generation, "build_ms",
			 (double)s->build_ns / 1e6, "age_s", (double)age / 1e9,
			 // A random 64-bit value: hex, as the log and molt.status write it.
			 "feed_generation", json_sprintf("%016" PRIx64, s->feed_generation),
			 "feed_seq", (json_int_t)s->feed_seq);
}

static json_t *slot_list(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	const struct slot *active = atomic_load_explicit(&molt_dp.active, memory_order_relaxed);
	uint64_t now = molt_now_ns();
	json_t *list;

	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	list = json_array();
	for (unsigned i = 0; list != NULL && i < moltd_rpc.n_slots; i++) {
		const struct slot *s = moltd_rpc.slots[i];

		if (s != NULL && json_array_append_new(list, slot_json(s, active, now)) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return mrpc_result(list, err);
}
RPC_METHOD("slot.list", slot_list, "",
	   "slots: id, state, driver, routes, memory, generation, build time, age")
