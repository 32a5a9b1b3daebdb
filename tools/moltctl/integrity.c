// SPDX-License-Identifier: BSD-3-Clause
// moltctl integrity status (moltd): the page-MAC audit of live slots.
#include <stdio.h>

#include "tools/moltctl/moltctl.h"

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void print_status(const json_t *v)
{
	const json_t *rate = json_object_get(v, "mac_gbytes_per_s");
	const json_t *last = json_object_get(v, "last");
	const json_t *lat = json_object_get(v, "detection_latency");

	if (!json_is_true(json_object_get(v, "enabled"))) {
		printf("integrity audit: off\n");
		return;
	}
	printf("algorithm      %s (ipsec-mb %s; aes-cmac %.2f GB/s, hmac-sha256 %.2f GB/s)\n",
	       json_string_value(json_object_get(v, "algorithm")),
	       json_string_value(json_object_get(v, "ipsec_mb_arch")), num(rate, "aes-cmac"),
	       num(rate, "hmac-sha256"));
	printf("budget         %.0f%% = %.1f MB per %.0f ms (last period: %.1f MB, %.1f%% of the "
	       "control thread)\n",
	       num(v, "budget_percent"), num(v, "budget_bytes") / 1e6, num(v, "period_ms"),
	       num(v, "bytes_last_period") / 1e6, num(v, "cpu_percent_last_period"));
	printf("slots audited  %.0f, %.1f MB of pages: a full pass every %.2f periods\n",
	       num(v, "slots"), num(v, "bytes_tracked") / 1e6, num(v, "periods_per_pass"));
	printf("audits         %.0f pages (%.1f GB), %.0f passes; %.0f pages re-MACed after "
	       "changes\n",
	       num(v, "audits"), num(v, "bytes_audited") / 1e9, num(v, "passes"), num(v, "remacs"));
	printf("detections     %.0f\n", num(v, "detections"));
	if (json_is_object(last))
		printf("last           slot %.0f (generation %.0f, %s): %s at offset %.0f, "
		       "%.1f ms after the tamper, %.1f s ago\n",
		       num(last, "slot"), num(last, "generation"),
		       json_string_value(json_object_get(last, "driver")),
		       json_string_value(json_object_get(last, "region")), num(last, "offset"),
		       num(last, "latency_ms"), num(last, "age_ms") / 1e3);
	if (num(lat, "samples") > 0)
		printf("latency        p50 %.1f ms, p99 %.1f ms, max %.1f ms over %.0f tampers\n",
		       num(lat, "p50_ms"), num(lat, "p99_ms"), num(lat, "max_ms"),
		       num(lat, "samples"));
}

static int integrity_status(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return ctl_usage_error("integrity status takes no arguments");
	return ctl_run(c, "integrity.status", NULL, print_status);
}

int noun_integrity(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "status", integrity_status, "",
		  "page-MAC audit of live slots: algorithm, budget, coverage, detections" },
		{ 0 },
	};

	return ctl_dispatch(c, "integrity", verbs, argc, argv);
}
