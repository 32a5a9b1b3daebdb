// SPDX-License-Identifier: BSD-3-Clause
// The exit report: what an operator reads first when traffic did not go where expected, so
// drops are listed by reason and zero counters are left out.
#include <inttypes.h>

#include <rte_lcore.h>

#include "control/daemon/exit_report.h"
#include "dataplane/dataplane.h"

static void print_port(FILE *f, const struct molt_port_conf *pc)
{
	struct port_counters c;
	uint64_t dropped;

	molt_port_counters_sum(pc->port_id, &c);
	dropped = molt_port_drops_total(&c);
	fprintf(f,
		"port %s (id %u): rx %" PRIu64 " tx %" PRIu64 " forwarded %" PRIu64
		" punted %" PRIu64 " dropped %" PRIu64 " rx_bytes %" PRIu64 " tx_bytes %" PRIu64
		"\n",
		pc->name, pc->port_id, c.rx, c.tx, c.forwarded, c.punted, dropped, c.rx_bytes,
		c.tx_bytes);
	for (unsigned r = 0; r < MOLT_DROP_MAX; r++)
		if (c.drops[r] != 0)
			fprintf(f, "  drop %-20s %" PRIu64 "\n", molt_drop_names[r], c.drops[r]);
}

static void print_worker(FILE *f, const char *who, unsigned lcore, const struct worker_counters *w)
{
	fprintf(f,
		"%s (lcore %u): bursts %" PRIu64 " idle_polls %" PRIu64 " flips_seen %" PRIu64
		" busy_cycles %" PRIu64 "\n",
		who, lcore, w->bursts, w->idle_polls, w->flips_seen, w->busy_cycles);
}

void exit_report_print(FILE *f, const struct molt_config *cfg)
{
	char who[32];

	for (uint16_t i = 0; i < cfg->n_ports; i++)
		print_port(f, &cfg->ports[i]);
	for (uint16_t w = 0; w < molt_dp.nb_workers; w++) {
		snprintf(who, sizeof(who), "worker %u", w);
		print_worker(f, who, molt_dp.workers[w].lcore_id, &molt_worker_ctr[w]);
	}
	fflush(f);
}
