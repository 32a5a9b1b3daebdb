// SPDX-License-Identifier: BSD-3-Clause
// What the page-MAC audit covers for a real-size table (not a test: nothing is asserted). For
// each driver: builds a slot from a route file (gen-routes' format), MACs it under a fresh key
// and reports the bytes under audit, the time one full MAC pass takes, and what the default
// budget (integrity.budget_percent 5 of the measured MAC rate, per 1 s period) covers.
//
//   integrity-bench ROUTE_FILE [DRIVER...]   (default: molt fib lpm fib-lpm6)
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "control/integrity/integrity.h"
#include "control/slot/slot_build.h"
#include "test/unit/control/slot_test_env.h"

static struct molt_route *load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 20;
	struct molt_route *r = malloc(cap * sizeof(*r));
	char line[512], err[256];

	*n = 0;
	if (f == NULL || r == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (*n == cap && (r = realloc(r, (cap *= 2) * sizeof(*r))) == NULL)
			return NULL;
		if (molt_route_parse(line, &r[*n], err, sizeof(err)) == 0)
			(*n)++;
	}
	fclose(f);
	return r;
}

int main(int argc, char **argv)
{
	static const char *const def[] = { "molt", "fib", "lpm", "fib-lpm6" };
	const char *const *drv = argc > 2 ? (const char *const *)argv + 2 : def;
	unsigned n_drv = argc > 2 ? (unsigned)argc - 2 : 4;
	struct molt_config cfg;
	struct molt_route *routes;
	size_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: integrity-bench ROUTE_FILE [DRIVER...]\n");
		return 2;
	}
	if ((routes = load(argv[1], &n)) == NULL || slot_test_eal("molt-integ-bench", "6144") < 0)
		return 1;
	slot_test_config(&cfg);
	cfg.ports[1].n_v6 = 1;
	ifaddr(&cfg.ports[1].v6[0], "fd00:2::1", 64);
	cfg.ports[0].port_id = 0;
	cfg.ports[1].port_id = 1;
	cfg.fib_max_routes_v4 = cfg.fib_max_routes_v6 = 0;
	cfg.fib_tbl8_groups_v4 = 0;
	cfg.fib_headroom_percent = 25;
	cfg.integrity_budget_percent = 5;
	cfg.integrity_period_ms = 1000;
	snprintf(cfg.integrity_alg, sizeof(cfg.integrity_alg), "auto");
	if (integrity_init(&cfg) < 0)
		return 1;
	const struct integrity_status *st = integrity_status();

	printf("%zu routes; aes-cmac %.2f GB/s, hmac-sha256 %.2f GB/s (%s, %s); budget %.1f MB/s\n",
	       n, st->rate[0] / 1e9, st->rate[1] / 1e9, st->alg, st->arch, st->budget_bytes / 1e6);
	for (unsigned i = 0; i < n_drv; i++) {
		struct slot_build_stats bs;
		char err[256];
		struct slot *s = slot_build(&cfg, fib_driver_find(drv[i]), 1 + i, routes, n, &bs,
					    err, sizeof(err));

		if (s == NULL) {
			printf("%-9s build failed: %s\n", drv[i], err);
			continue;
		}
		uint64_t before = integrity_status()->bytes_tracked, t = molt_now_ns();

		(void)before;
		if (integrity_slot_new(s) < 0) {
			printf("%-9s no MACs\n", drv[i]);
			slot_free_scrub(s);
			continue;
		}
		t = molt_now_ns() - t; // MAC, then the check of the tags; first touch of the pages
		uint64_t bytes = integrity_status()->bytes_tracked, passes = st->passes;
		uint64_t now = molt_now_ns(), t2 = now, polls = 0;

		// One audit pass, warm, through the auditor itself (simulated time: a period per
		// poll, so only the per-poll slice limits it).
		s->state = SLOT_READY;
		while (st->passes == passes && integrity_poll(now += 1000000000ull) == NULL)
			polls++;
		t2 = molt_now_ns() - t2;
		printf("%-9s %8.1f MB under audit (%zu pages); MACs made in %.0f ms (cold, twice); "
		       "one audit pass %.0f ms (%.2f GB/s, %" PRIu64
		       " polls); default budget covers "
		       "it every %.2f periods\n",
		       drv[i], bytes / 1e6, (size_t)((bytes + 4095) / 4096), t / 1e6, t2 / 1e6,
		       bytes / (double)t2, polls, (double)bytes / st->budget_bytes);
		// Three real seconds of a control loop that polls every 0.5 ms: the share of that
		// time spent in the auditor.
		uint64_t in = 0, t0 = molt_now_ns(), b0 = st->bytes_audited;
		uint64_t off = now - t0; // the auditor's clock went ahead in the pass above

		while (molt_now_ns() - t0 < 3000000000ull) {
			uint64_t a = molt_now_ns();

			integrity_poll(a + off);
			in += molt_now_ns() - a;
			usleep(500);
		}
		printf("%-9s real time: %.1f MB audited in 3 s (budget %.1f MB), auditor %.1f %% of "
		       "the loop's time\n",
		       drv[i], (st->bytes_audited - b0) / 1e6, 3 * st->budget_bytes / 1e6,
		       100.0 * (double)in / (double)(molt_now_ns() - t0));
		integrity_slot_forget(s);
		slot_free_scrub(s);
	}
	integrity_fini();
	free(routes);
	return 0;
}
