// SPDX-License-Identifier: BSD-3-Clause
// Telemetry handlers. Counters are read racily (the same as moltctl would): each 64-bit word is
// consistent, their sum is approximate. Slots are read under a lock the control thread takes
// before freeing one, because this runs on another thread.
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "control/integrity/integrity.h"
#include "control/telemetry/telemetry.h"
#include "dataplane/dataplane.h"

#define MAX_SLOTS 16

static const struct molt_config *config;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots[MAX_SLOTS];
static unsigned n_slots;

// Telemetry keys allow only letters, digits, '_' and '/'; port names may also hold '-' '.'.
static void key_of(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++) {
		char c = in[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';
		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
}

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; config != NULL && i < config->n_ports; i++) {
		const struct molt_port_conf *pc = &config->ports[i];
		struct rte_tel_data *p = rte_tel_data_alloc();
		struct port_counters c;
		char key[MOLT_PORT_NAME_MAX];

		if (p == NULL)
			return -ENOMEM;
		molt_port_counters_sum(pc->port_id, &c);
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_int(p, "port_id", pc->port_id);
		rte_tel_data_add_dict_u64(p, "rx", c.rx);
		rte_tel_data_add_dict_u64(p, "tx", c.tx);
		rte_tel_data_add_dict_u64(p, "forwarded", c.forwarded);
		rte_tel_data_add_dict_u64(p, "punted", c.punted);
		rte_tel_data_add_dict_u64(p, "rx_bytes", c.rx_bytes);
		rte_tel_data_add_dict_u64(p, "tx_bytes", c.tx_bytes);
		for (unsigned r = 0; r < MOLT_DROP_MAX; r++) {
			char name[64];

			snprintf(name, sizeof(name), "drop_%s", molt_drop_names[r]);
			rte_tel_data_add_dict_u64(p, name, c.drops[r]);
		}
		key_of(pc->name, key, sizeof(key));
		if (rte_tel_data_add_dict_container(d, key, p, 0) < 0)
			rte_tel_data_free(p);
	}
	return 0;
}

static int tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (uint16_t w = 0; w < molt_dp.nb_workers; w++) {
		const volatile struct worker_counters *c = &molt_worker_ctr[w];
		struct rte_tel_data *p = rte_tel_data_alloc();
		char key[32];

		if (p == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_int(p, "lcore", (int)molt_dp.workers[w].lcore_id);
		rte_tel_data_add_dict_int(p, "rx_queues", molt_dp.workers[w].n_rxq);
		rte_tel_data_add_dict_u64(p, "bursts", c->bursts);
		rte_tel_data_add_dict_u64(p, "idle_polls", c->idle_polls);
		rte_tel_data_add_dict_u64(p, "flips_seen", c->flips_seen);
		rte_tel_data_add_dict_u64(p, "busy_cycles", c->busy_cycles);
		snprintf(key, sizeof(key), "worker%u", w);
		if (rte_tel_data_add_dict_container(d, key, p, 0) < 0)
			rte_tel_data_free(p);
	}
	return 0;
}

static int tel_slots(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&slots_lock);
	for (unsigned i = 0; i < n_slots; i++) {
		const struct slot *s = slots[i];
		struct rte_tel_data *p = rte_tel_data_alloc();
		char key[32];

		if (p == NULL)
			break;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_int(p, "id", (int)s->id);
		rte_tel_data_add_dict_string(p, "state", slot_state_name(s->state));
		rte_tel_data_add_dict_string(p, "driver", s->driver->name);
		rte_tel_data_add_dict_u64(p, "generation", s->generation);
		rte_tel_data_add_dict_u64(p, "routes4", s->routes4);
		rte_tel_data_add_dict_u64(p, "routes6", s->routes6);
		rte_tel_data_add_dict_u64(p, "rejected", s->rejected);
		rte_tel_data_add_dict_u64(p, "next_hops", s->nh_count);
		rte_tel_data_add_dict_u64(p, "memory", slot_memory(s));
		rte_tel_data_add_dict_u64(p, "build_ms", s->build_ns / 1000000);
		rte_tel_data_add_dict_u64(p, "feed_generation", s->feed_generation);
		snprintf(key, sizeof(key), "slot%u", s->id);
		if (rte_tel_data_add_dict_container(d, key, p, 0) < 0)
			rte_tel_data_free(p);
	}
	pthread_mutex_unlock(&slots_lock);
	return 0;
}

// The page-MAC audit (integrity.status has the same and the last detection).
static int tel_integrity(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct integrity_status *st = integrity_status_racy();

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "enabled", st->enabled);
	rte_tel_data_add_dict_string(d, "algorithm", st->alg);
	rte_tel_data_add_dict_u64(d, "budget_bytes", st->budget_bytes);
	rte_tel_data_add_dict_u64(d, "bytes_last_period", st->bytes_last_period);
	rte_tel_data_add_dict_u64(d, "bytes_tracked", st->bytes_tracked);
	rte_tel_data_add_dict_u64(d, "audits", st->audits);
	rte_tel_data_add_dict_u64(d, "bytes_audited", st->bytes_audited);
	rte_tel_data_add_dict_u64(d, "passes", st->passes);
	rte_tel_data_add_dict_u64(d, "remacs", st->remacs);
	rte_tel_data_add_dict_u64(d, "detections", st->detections);
	rte_tel_data_add_dict_u64(d, "last_latency_ns", st->last.latency_ns);
	return 0;
}

// Per-path counters of the multipath groups the slots hold, by group id (route.lookup shows
// the same with each path's gateway and port).
static int tel_ecmp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct ecmp_ctr_row rows[ECMP_CTR_ROWS];
	unsigned n = ecmp_ctr_rows(rows, ECMP_CTR_ROWS);

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < n; i++) {
		struct ecmp_path_ctr c[MOLT_MAX_PATHS];
		struct rte_tel_data *p = rte_tel_data_alloc();
		char key[48];

		if (p == NULL)
			return -ENOMEM;
		ecmp_ctr_sum(rows[i].row, rows[i].n_paths, c);
		rte_tel_data_start_dict(p);
		for (unsigned k = 0; k < rows[i].n_paths; k++) {
			snprintf(key, sizeof(key), "path%u_packets", k);
			rte_tel_data_add_dict_u64(p, key, c[k].packets);
			snprintf(key, sizeof(key), "path%u_bytes", k);
			rte_tel_data_add_dict_u64(p, key, c[k].bytes);
		}
		snprintf(key, sizeof(key), "group_%016" PRIx64, rows[i].id);
		if (rte_tel_data_add_dict_container(d, key, p, 0) < 0)
			rte_tel_data_free(p);
	}
	return 0;
}

void telemetry_set_slots(struct slot *const *list, unsigned n)
{
	pthread_mutex_lock(&slots_lock);
	n_slots = n < MAX_SLOTS ? n : MAX_SLOTS;
	for (unsigned i = 0; i < n_slots; i++)
		slots[i] = list[i];
	pthread_mutex_unlock(&slots_lock);
}

int telemetry_init(const struct molt_config *cfg)
{
	int ret;

	config = cfg;
	ret = rte_telemetry_register_cmd("/molt/ports", tel_ports,
					 "Per-port counters: rx, tx, "
					 "forwarded, punted, drops by reason");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/molt/workers", tel_workers,
						 "Per-worker loop counters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/molt/slots", tel_slots,
						 "Slots: state, "
						 "driver, routes, memory, build time");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/molt/integrity", tel_integrity,
						 "Page-MAC audit: budget, bytes audited, "
						 "detections");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/molt/ecmp", tel_ecmp,
						 "Multipath groups: packets and bytes per path");
	return ret;
}
