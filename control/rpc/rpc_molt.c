// SPDX-License-Identifier: BSD-3-Clause
// molt.version and molt.status: what runs, since when, forwarding with which slot, fed by
// which route server.
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_version.h>

#include "common/feed/feed_format.h"
#include "common/clock.h"
#include "control/rpc/rpc_moltd.h"
#include "control/slot/slot_size.h"
#include "dataplane/dataplane.h"

#ifndef MOLT_VERSION
#define MOLT_VERSION "unknown"
#endif

static json_t *molt_version(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };

	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	return mrpc_result(json_pack("{s:s, s:s, s:s}", "version", MOLT_VERSION, "dpdk",
				     rte_version(), "jansson", JANSSON_VERSION),
			   err);
}
RPC_METHOD("molt.version", molt_version, "", "moltd, DPDK and jansson versions")

// 64-bit random values do not fit a JSON integer everywhere: hex, as the log writes them.
static json_t *hex64(uint64_t v)
{
	return json_sprintf("%016" PRIx64, v);
}

static json_t *feed_status(uint64_t now)
{
	const struct feed_reader *f = moltd_rpc.feed;
	uint64_t hb;

	if (f == NULL || f->hdr == NULL)
		return json_null();
	hb = atomic_load_explicit(&f->hdr->heartbeat_ns, memory_order_relaxed);
	// The route server's heartbeat is CLOCK_MONOTONIC on the same host: comparable.
	return json_pack("{s:s, s:o, s:b, s:I, s:b}", "shm", f->name, "generation",
			 hex64(f->hdr->generation), "alive", atomic_load(&f->hdr->alive) != 0,
			 "heartbeat_age_ms", (json_int_t)(now > hb ? (now - hb) / 1000000 : 0),
			 "generation_changed", f->hdr->generation != f->generation);
}

static json_t *slot_brief(const struct slot *s)
{
	if (s == NULL)
		return json_null();
	return json_pack("{s:I, s:I, s:s}", "id", (json_int_t)s->id, "generation",
			 (json_int_t)s->generation, "driver", s->driver->name);
}

// Every slot's memory, and DPDK's heap: what a build has left to take (slot_size.h).
static json_t *memory_status(void)
{
	size_t largest, free_b = slot_size_heap_free(&largest), used, total, sum = 0;
	json_t *slots = json_array();

	slot_size_heap_stats(&used, &total);
	for (unsigned i = 0; i < moltd_rpc.n_slots; i++) {
		const struct slot *s = moltd_rpc.slots[i];

		if (s == NULL)
			continue;
		sum += slot_memory(s);
		json_array_append_new(
			slots, json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)s->id, "state",
					 slot_state_name(s->state), "driver", s->driver->name,
					 "memory", (json_int_t)slot_memory(s)));
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "slots_bytes", (json_int_t)sum,
			 "heap_free_bytes", (json_int_t)free_b, "heap_largest_free_bytes",
			 (json_int_t)largest, "heap_used_bytes", (json_int_t)used,
			 "heap_total_bytes", (json_int_t)total, "slots", slots);
}

static json_t *molt_status(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	const struct slot *s = atomic_load_explicit(&molt_dp.active, memory_order_relaxed);
	uint64_t now = molt_now_ns();
	json_t *workers = json_array();

	if (rpc_params_object(params, false, none, err) < 0) {
		json_decref(workers);
		return NULL;
	}
	for (uint16_t i = 0; i < molt_dp.nb_workers; i++)
		json_array_append_new(workers, json_integer(molt_dp.workers[i].lcore_id));
	return mrpc_result(
		json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:{s:I, s:I}, s:o, s:o}", "version",
			  MOLT_VERSION, "pid", (json_int_t)getpid(), "uptime_s",
			  (json_int_t)((now - moltd_rpc.start_ns) / 1000000000ull), "control_lcore",
			  (json_int_t)rte_get_main_lcore(), "workers", workers, "slot",
			  slot_brief(s), "routes", "ipv4", (json_int_t)(s != NULL ? s->routes4 : 0),
			  "ipv6", (json_int_t)(s != NULL ? s->routes6 : 0), "feed",
			  feed_status(now), "memory", memory_status()),
		err);
}
RPC_METHOD("molt.status", molt_status, "",
	   "uptime, workers, slot in use, routes loaded, route feed state, memory per slot and "
	   "free in DPDK's heap")
