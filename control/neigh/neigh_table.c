// SPDX-License-Identifier: BSD-3-Clause
// The neighbour table: entries keyed by (family, ip, port), the on-link lookup tables workers
// read (molt_dp.neigh), and the live slots whose gateway next hops follow each entry. Every
// change reaches a worker as one atomic store of a 64-bit l2 word. Static entries, the walk for
// neigh.list and the control clock live here too.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "control/host/router.h"
#include "control/integrity/integrity.h"
#include "control/neigh/neigh.h"
#include "control/neigh/neigh_hold.h"
#include "control/neigh/neigh_table.h"

#define NEIGH_MAX_SLOTS 16

struct neigh_key {
	uint8_t ip[16];
	uint16_t port;
	uint8_t family;
	uint8_t pad;
};

// An entry whose on-link key was deleted: its index (and the key's position in the lock-free
// hash) may be reused only once no worker can still hold them, i.e. after an RCU grace period.
struct neigh_retired {
	uint32_t idx;
	int32_t pos;
	uint8_t family;
	uint64_t token;
};

static struct neigh_entry *entries;
static uint32_t capacity;
static uint32_t *free_idx; // stack of unused entry indexes
static uint32_t n_free;
static struct neigh_retired *retired; // FIFO, oldest first
static uint32_t n_retired;
static struct rte_hash *ctl_hash; // neigh_key -> index, control only
static struct slot *slots[NEIGH_MAX_SLOTS];
static uint64_t clock_ns;
static unsigned generation; // names the DPDK objects of each init (names are global)

uint64_t neigh_clock(void)
{
	return clock_ns;
}

void neigh_clock_set(uint64_t now_ns)
{
	if (now_ns > clock_ns)
		clock_ns = now_ns;
}

static size_t ip_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static void make_key(struct neigh_key *k, uint8_t family, const uint8_t *ip, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->ip, ip, ip_len(family));
	k->port = port;
	k->family = family;
}

// rte_jhash loads 32-bit words in place, but keys come straight from packets (2-byte aligned):
// workers hash destination addresses there. Copying first keeps every load aligned.
static uint32_t key_hash(const void *key, uint32_t len, uint32_t init)
{
	uint32_t w[8];

	memcpy(w, key, RTE_MIN(len, (uint32_t)sizeof(w)));
	return rte_jhash_32b(w, len / 4, init); // every key length here is a multiple of 4
}

static struct rte_hash *hash_create(const char *what, uint32_t key_len, uint32_t n, bool lf)
{
	struct rte_hash_parameters p = { 0 };
	char name[RTE_HASH_NAMESIZE];

	snprintf(name, sizeof(name), "molt_%s_%u", what, generation);
	p.name = name;
	p.entries = RTE_MAX(n, 8u);
	p.key_len = key_len;
	p.hash_func = key_hash;
	p.socket_id = SOCKET_ID_ANY;
	// Workers look up on-link neighbours while the control thread adds and deletes them.
	if (lf)
		p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
	return rte_hash_create(&p);
}

int neigh_table_init(uint32_t cap)
{
	struct neigh_fast *nf = &molt_dp.neigh;

	if (entries != NULL)
		neigh_table_fini();
	generation++;
	capacity = cap;
	entries = calloc(cap, sizeof(*entries));
	free_idx = calloc(cap, sizeof(*free_idx));
	retired = calloc(cap, sizeof(*retired));
	ctl_hash = hash_create("nctl", sizeof(struct neigh_key), cap, false);
	nf->h4 = hash_create("n4", 4, cap, true);
	nf->h6 = hash_create("n6", 16, cap, true);
	nf->l2 = rte_zmalloc("molt_neigh_l2", cap * sizeof(*nf->l2), RTE_CACHE_LINE_SIZE);
	nf->capacity = cap;
	if (entries == NULL || free_idx == NULL || retired == NULL || ctl_hash == NULL ||
	    nf->h4 == NULL || nf->h6 == NULL || nf->l2 == NULL) {
		neigh_table_fini();
		return errno_log(ENOMEM, "neigh", "cannot allocate a table of %u neighbours", cap);
	}
	// Pop order: index 0 first.
	for (uint32_t i = 0; i < cap; i++)
		free_idx[i] = cap - 1 - i;
	n_free = cap;
	n_retired = 0;
	clock_ns = 0;
	return 0;
}

void neigh_table_fini(void)
{
	struct neigh_fast *nf = &molt_dp.neigh;

	for (uint32_t i = 0; entries != NULL && i < capacity; i++)
		if (entries[i].used)
			neigh_hold_drop(&entries[i], false, clock_ns);
	// Called once workers are stopped: nothing reads the tables any more.
	rte_hash_free(nf->h4);
	rte_hash_free(nf->h6);
	rte_free(nf->l2);
	memset(nf, 0, sizeof(*nf));
	rte_hash_free(ctl_hash);
	ctl_hash = NULL;
	free(entries);
	free(free_idx);
	free(retired);
	entries = NULL;
	free_idx = NULL;
	retired = NULL;
	capacity = n_free = n_retired = 0;
	memset(slots, 0, sizeof(slots));
}

struct neigh_entry *neigh_find(uint8_t family, const uint8_t *ip, uint16_t port)
{
	struct neigh_key k;
	void *data;

	if (ctl_hash == NULL)
		return NULL;
	make_key(&k, family, ip, port);
	if (rte_hash_lookup_data(ctl_hash, &k, &data) < 0)
		return NULL;
	return &entries[(uintptr_t)data];
}

static struct rte_hash *fast_hash(uint8_t family)
{
	return family == 4 ? molt_dp.neigh.h4 : molt_dp.neigh.h6;
}

struct neigh_entry *neigh_create(uint8_t family, const uint8_t *ip, uint16_t port)
{
	struct neigh_entry *e;
	struct neigh_key k;
	uint32_t idx;

	if (ctl_hash == NULL || n_free == 0)
		return NULL;
	idx = free_idx[n_free - 1];
	make_key(&k, family, ip, port);
	if (rte_hash_add_key_data(ctl_hash, &k, (void *)(uintptr_t)idx) < 0)
		return NULL;
	n_free--;
	e = &entries[idx];
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->family = family;
	e->port = port;
	e->state = NEIGH_INCOMPLETE;
	e->state_ns = clock_ns;
	memcpy(e->ip, ip, ip_len(family));
	atomic_store_explicit(&molt_dp.neigh.l2[idx], neigh_l2(e), memory_order_release);
	// On-link lookups are by IP alone (one port per subnet). Link-local addresses are never
	// on-link destinations of a route: they only serve as gateways, keyed with their port.
	if (!(family == 6 && ip6_is_linklocal(ip)) &&
	    rte_hash_add_key_data(fast_hash(family), ip, (void *)(uintptr_t)idx) >= 0)
		e->in_fast = true;
	return e;
}

struct neigh_entry *neigh_get(uint8_t family, const uint8_t *ip, uint16_t port)
{
	struct neigh_entry *e = neigh_find(family, ip, port);

	return e != NULL ? e : neigh_create(family, ip, port);
}

uint64_t neigh_l2(const struct neigh_entry *e)
{
	if (neigh_resolved(e))
		return nh_l2_make(NH_FORWARD, e->port, &e->mac);
	return nh_l2_make(NH_UNRESOLVED, e->port, NULL);
}

static bool nh_matches(const struct molt_nh *nh, const struct neigh_entry *e)
{
	return nh->kind == NH_UNRESOLVED && nh->family == e->family && nh->port == e->port &&
	       memcmp(nh->gateway, e->ip, ip_len(e->family)) == 0;
}

// Each rewrite of a next-hop word is bracketed for the integrity audit (control/integrity/):
// its page is checked before and MACed again after, on this thread.
static void slot_publish(struct slot *s, const struct neigh_entry *e, uint64_t l2)
{
	for (uint32_t i = 0; i < s->nh_count; i++) {
		if (nh_matches(&s->nh[i], e) &&
		    atomic_load_explicit(&s->nh[i].l2, memory_order_relaxed) != l2) {
			integrity_write_begin(s, &s->nh[i].l2, sizeof(s->nh[i].l2));
			atomic_store_explicit(&s->nh[i].l2, l2, memory_order_release);
			integrity_write_end(s, &s->nh[i].l2, sizeof(s->nh[i].l2));
		}
	}
}

void neigh_publish(struct neigh_entry *e)
{
	uint64_t l2 = neigh_l2(e);

	atomic_store_explicit(&molt_dp.neigh.l2[e - entries], l2, memory_order_release);
	for (unsigned i = 0; i < NEIGH_MAX_SLOTS; i++)
		if (slots[i] != NULL)
			slot_publish(slots[i], e, l2);
}

void neigh_update(struct neigh_entry *e, const struct rte_ether_addr *mac, enum neigh_state st)
{
	uint64_t before = neigh_l2(e);

	rte_ether_addr_copy(mac, &e->mac);
	e->state = st;
	e->state_ns = clock_ns;
	e->probes = 0;
	if (neigh_l2(e) != before)
		neigh_publish(e);
	neigh_hold_flush(e);
}

// Frees the entries whose grace period has passed (FIFO: tokens only grow).
void neigh_reclaim(void)
{
	uint32_t done = 0;

	while (done < n_retired) {
		struct neigh_retired *r = &retired[done];

		if (molt_dp.qsbr != NULL && rte_rcu_qsbr_check(molt_dp.qsbr, r->token, false) != 1)
			break;
		if (r->pos >= 0)
			rte_hash_free_key_with_position(fast_hash(r->family), r->pos);
		free_idx[n_free++] = r->idx;
		done++;
	}
	memmove(retired, retired + done, (n_retired - done) * sizeof(*retired));
	n_retired -= done;
}

void neigh_delete(struct neigh_entry *e)
{
	uint32_t idx = (uint32_t)(e - entries);
	struct neigh_retired *r = &retired[n_retired++];
	struct neigh_key k;

	neigh_hold_drop(e, false, clock_ns);
	e->state = NEIGH_FAILED;
	neigh_publish(e);
	make_key(&k, e->family, e->ip, e->port);
	rte_hash_del_key(ctl_hash, &k);
	r->idx = idx;
	r->family = e->family;
	r->pos = e->in_fast ? rte_hash_del_key(fast_hash(e->family), e->ip) : -1;
	r->token = molt_dp.qsbr != NULL ? rte_rcu_qsbr_start(molt_dp.qsbr) : 0;
	e->used = false;
	neigh_reclaim();
}

void neigh_foreach(void (*cb)(struct neigh_entry *e, void *arg), void *arg)
{
	for (uint32_t i = 0; entries != NULL && i < capacity; i++)
		if (entries[i].used)
			cb(&entries[i], arg);
}

int neigh_add_static(uint8_t family, const uint8_t ip[16], const struct rte_ether_addr *mac,
		     uint16_t port)
{
	struct neigh_entry *e;

	if ((family != 4 && family != 6) || port >= MOLT_MAX_PORTS)
		return -EINVAL;
	e = neigh_get(family, ip, port);
	if (e == NULL)
		return errno_log(ENOSPC, "neigh", "neighbour table full (%u entries)", capacity);
	neigh_update(e, mac, NEIGH_STATIC);
	return 0;
}

int neigh_del_static(uint8_t family, const uint8_t ip[16], uint16_t port)
{
	struct neigh_entry *e = neigh_find(family, ip, port);

	if (e == NULL || e->state != NEIGH_STATIC)
		return -ENOENT;
	neigh_delete(e);
	return 0;
}

static void attach_one(struct neigh_entry *e, void *arg)
{
	slot_publish(arg, e, neigh_l2(e));
}

void neigh_slot_attach(struct slot *s)
{
	unsigned i, free_i = NEIGH_MAX_SLOTS;

	for (i = 0; i < NEIGH_MAX_SLOTS; i++) {
		if (slots[i] == s)
			return;
		if (slots[i] == NULL && free_i == NEIGH_MAX_SLOTS)
			free_i = i;
	}
	if (free_i == NEIGH_MAX_SLOTS) {
		LOG_ERR("neigh", "more than %u live slots: slot %u not kept resolved",
			NEIGH_MAX_SLOTS, s->id);
		return;
	}
	// Gateways nobody has resolved yet stay UNRESOLVED: their first packet starts it.
	integrity_write_begin(s, s->nh, (size_t)s->nh_count * sizeof(*s->nh));
	for (uint32_t j = 0; j < s->nh_count; j++)
		if (s->nh[j].kind == NH_UNRESOLVED)
			atomic_store_explicit(&s->nh[j].l2,
					      nh_l2_make(NH_UNRESOLVED, s->nh[j].port, NULL),
					      memory_order_release);
	integrity_write_end(s, s->nh, (size_t)s->nh_count * sizeof(*s->nh));
	neigh_foreach(attach_one, s);
	slots[free_i] = s;
}

void neigh_slot_refresh(struct slot *s)
{
	for (unsigned i = 0; i < NEIGH_MAX_SLOTS; i++) {
		if (slots[i] == s) {
			// Entries already resolved are rewritten with the same value: harmless.
			neigh_foreach(attach_one, s);
			return;
		}
	}
	neigh_slot_attach(s);
}

void neigh_slot_detach(struct slot *s)
{
	for (unsigned i = 0; i < NEIGH_MAX_SLOTS; i++)
		if (slots[i] == s)
			slots[i] = NULL;
}

static const char *const state_names[] = {
	[NEIGH_STATIC] = "static",       [NEIGH_INCOMPLETE] = "incomplete",
	[NEIGH_REACHABLE] = "reachable", [NEIGH_STALE] = "stale",
	[NEIGH_FAILED] = "failed",
};

void neigh_walk(void (*cb)(const struct neigh_info *n, void *arg), void *arg)
{
	for (uint32_t i = 0; entries != NULL && i < capacity; i++) {
		const struct neigh_entry *e = &entries[i];
		struct neigh_info n = { 0 };

		if (!e->used)
			continue;
		n.family = e->family;
		memcpy(n.ip, e->ip, sizeof(n.ip));
		n.mac = e->mac;
		n.port = e->port;
		n.state = state_names[e->state];
		// Static entries never age; their state_ns may predate the first clock tick.
		n.age_ms = e->state == NEIGH_STATIC
				   ? 0
				   : (clock_ns - RTE_MIN(e->state_ns, clock_ns)) / 1000000;
		n.held = e->n_held;
		cb(&n, arg);
	}
}
