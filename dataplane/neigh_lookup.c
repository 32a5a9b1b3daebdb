// SPDX-License-Identifier: BSD-3-Clause
// On-link destinations (NH_CONNECTED): the destination itself is the neighbour, looked up in
// molt_dp.neigh with one bulk hash lookup per family per burst. Found and resolved: forward;
// anything else: punt for resolution (the control thread holds the packet meanwhile).
#include "dataplane/dp_priv.h"

static void punt_resolve_dst(struct dp_ctx *c, struct rte_mbuf *m, uint32_t nh, uint8_t family,
			     const void *dst, size_t len)
{
	struct molt_mbuf_priv *p = dp_punt(c, m, PUNT_RESOLVE, family);

	p->nh = nh;
	p->out_port = c->s->nh[nh].port;
	p->slot_generation = c->s->generation;
	memcpy(p->resolve_ip, dst, len);
}

// Looks up n keys; writes each hit's l2 word (0, i.e. NH_UNRESOLVED, for misses).
static void lookup(struct rte_hash *h, const void **keys, uint16_t n, uint64_t *l2)
{
	const struct neigh_fast *nf = &molt_dp.neigh;
	void *data[MOLT_BURST];
	uint64_t hits = 0;

	memset(l2, 0, n * sizeof(*l2));
	if (h == NULL || rte_hash_lookup_bulk_data(h, keys, n, &hits, data) <= 0)
		return;
	for (uint16_t i = 0; i < n; i++) {
		// data is an index into nf->l2[], stored as a pointer-sized integer.
		uintptr_t idx = (uintptr_t)data[i];

		if ((hits >> i) & 1 && idx < nf->capacity)
			l2[i] = atomic_load_explicit(&nf->l2[idx], memory_order_relaxed);
	}
}

void neigh_lookup(struct dp_ctx *c)
{
	uint64_t l2[MOLT_BURST];
	const void *keys[MOLT_BURST];

	if (c->nc4 > 0) {
		for (uint16_t i = 0; i < c->nc4; i++)
			keys[i] = &c->c4key[i];
		lookup(molt_dp.neigh.h4, keys, c->nc4, l2);
		for (uint16_t i = 0; i < c->nc4; i++) {
			if (nh_l2_kind(l2[i]) == NH_FORWARD)
				dp_forward(c, c->c4m[i], 4, l2[i]);
			else
				punt_resolve_dst(c, c->c4m[i], c->c4nh[i], 4, &c->c4key[i], 4);
		}
	}
	if (c->nc6 > 0) {
		for (uint16_t i = 0; i < c->nc6; i++)
			keys[i] = c->c6key[i];
		lookup(molt_dp.neigh.h6, keys, c->nc6, l2);
		for (uint16_t i = 0; i < c->nc6; i++) {
			if (nh_l2_kind(l2[i]) == NH_FORWARD)
				dp_forward(c, c->c6m[i], 6, l2[i]);
			else
				punt_resolve_dst(c, c->c6m[i], c->c6nh[i], 6, c->c6key[i], 16);
		}
	}
}
