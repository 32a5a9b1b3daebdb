// SPDX-License-Identifier: BSD-3-Clause
// worker.stats: what each worker polls and how busy it is. Counters are the worker's own
// cache-aligned block, read racily (each word consistent).
#include <rte_cycles.h>

#include "control/rpc/rpc_moltd.h"
#include "dataplane/dataplane.h"

static json_t *rxq_list(const struct dp_worker *w)
{
	json_t *list = json_array();

	for (uint16_t q = 0; q < w->n_rxq; q++) {
		const char *name = mrpc_port_name(w->rxq[q].port_id);

		json_array_append_new(list, json_pack("{s:s?, s:I}", "port", name, "queue",
						      (json_int_t)w->rxq[q].queue_id));
	}
	return list;
}

static json_t *worker_json(uint16_t i)
{
	const struct dp_worker *w = &molt_dp.workers[i];
	const volatile struct worker_counters *c = &molt_worker_ctr[i];
	uint64_t hz = rte_get_tsc_hz();

	return json_pack("{s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:f}", "id", (json_int_t)i, "lcore",
			 (json_int_t)w->lcore_id, "rx_queues", rxq_list(w), "bursts",
			 (json_int_t)c->bursts, "idle_polls", (json_int_t)c->idle_polls,
			 "flips_seen", (json_int_t)c->flips_seen, "busy_cycles",
			 (json_int_t)c->busy_cycles, "busy_s",
			 hz != 0 ? (double)c->busy_cycles / (double)hz : 0.0);
}

static json_t *worker_stats(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	json_t *list;

	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	list = json_array();
	for (uint16_t i = 0; list != NULL && i < molt_dp.nb_workers; i++)
		if (json_array_append_new(list, worker_json(i)) < 0) {
			json_decref(list);
			list = NULL;
		}
	return mrpc_result(list, err);
}
RPC_METHOD("worker.stats", worker_stats, "",
	   "per worker: lcore, rx queues, bursts, idle polls, slot flips seen, busy time")
