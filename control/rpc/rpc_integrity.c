// SPDX-License-Identifier: BSD-3-Clause
// integrity.status: the page-MAC audit of live slots (control/integrity/integrity.h).
#include <inttypes.h>

#include "common/clock.h"
#include "control/integrity/integrity.h"
#include "control/rpc/rpc_moltd.h"

static double ms_of(uint64_t ns)
{
	return (double)ns / 1e6;
}

static json_t *integrity_status_rpc(struct rpc_call *call, const json_t *params,
				    struct rpc_error *err)
{
	static const char *const none[] = { NULL };
	const struct integrity_status *st = integrity_status();
	uint64_t samples, max, now = molt_now_ns();
	double p50, p99;
	json_t *last = json_null();

	(void)call;
	if (rpc_params_object(params, false, none, err) < 0)
		return NULL;
	p50 = ms_of(integrity_latency_pct(50, &samples, &max));
	p99 = ms_of(integrity_latency_pct(99, &samples, &max));
	if (st->detections > 0)
		last = json_pack("{s:I, s:I, s:s, s:s, s:I, s:f, s:f}", "slot",
				 (json_int_t)st->last.slot, "generation",
				 (json_int_t)st->last.generation, "driver", st->last.driver,
				 "region", st->last.region, "offset", (json_int_t)st->last.offset,
				 "latency_ms", ms_of(st->last.latency_ns), "age_ms",
				 ms_of(now - st->last.at_ns));
	return mrpc_result(
		json_pack("{s:b, s:s, s:s, s:{s:f, s:f}, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, "
			  "s:f, s:I, s:I, s:I, s:I, s:I, s:o, s:{s:I, s:f, s:f, s:f}}",
			  "enabled", st->enabled, "algorithm", st->alg, "ipsec_mb_arch", st->arch,
			  "mac_gbytes_per_s", "aes-cmac", st->rate[0] / 1e9, "hmac-sha256",
			  st->rate[1] / 1e9, "budget_percent", (json_int_t)st->budget_percent,
			  "period_ms", (json_int_t)st->period_ms, "budget_bytes",
			  (json_int_t)st->budget_bytes, "bytes_last_period",
			  (json_int_t)st->bytes_last_period, "cpu_percent_last_period",
			  st->period_ms ? 100.0 * (double)st->ns_last_period /
						  ((double)st->period_ms * 1e6)
					: 0.0,
			  "slots", (json_int_t)st->slots, "bytes_tracked",
			  (json_int_t)st->bytes_tracked, "audits", (json_int_t)st->audits,
			  "periods_per_pass",
			  st->budget_bytes ? (double)st->bytes_tracked / (double)st->budget_bytes
					   : 0.0,
			  "bytes_audited", (json_int_t)st->bytes_audited, "passes",
			  (json_int_t)st->passes, "remacs", (json_int_t)(st->remacs),
			  "engine_retries", (json_int_t)st->engine_retries, "detections",
			  (json_int_t)st->detections, "last", last, "detection_latency", "samples",
			  (json_int_t)samples, "p50_ms", p50, "p99_ms", p99, "max_ms", ms_of(max)),
		err);
}
RPC_METHOD("integrity.status", integrity_status_rpc, "",
	   "page-MAC audit: algorithm, budget, bytes covered per period, detections")
