// SPDX-License-Identifier: BSD-3-Clause
// Next-hop table of an FPM session (see fpm_nhg.h): linear probing on the id, at most half
// full, deletes shift the probe run back (no tombstones).
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/route.h"
#include "routeserver/fpm/fpm_nhg.h"

static uint32_t home(const struct fpm_nhg *t, uint32_t id)
{
	return (uint32_t)molt_mix64(id) & t->mask;
}

static uint32_t probe(const struct fpm_nhg *t, uint32_t id)
{
	uint32_t i = home(t, id);

	while (t->nh[i].id != 0 && t->nh[i].id != id)
		i = (i + 1) & t->mask;
	return i;
}

static int resize(struct fpm_nhg *t, uint32_t slots)
{
	struct fpm_nhg n = { .mask = slots - 1, .count = t->count };
	uint32_t i;

	n.nh = calloc(slots, sizeof(*n.nh));
	if (n.nh == NULL)
		return -ENOMEM;
	for (i = 0; t->nh != NULL && i <= t->mask; i++)
		if (t->nh[i].id != 0)
			n.nh[probe(&n, t->nh[i].id)] = t->nh[i];
	free(t->nh);
	*t = n;
	return 0;
}

int fpm_nhg_set(struct fpm_nhg *t, const struct fpm_nh *nh)
{
	uint32_t i;
	int ret;

	if (t->nh == NULL || (t->count + 1) * 2 > t->mask + 1) {
		ret = resize(t, t->nh == NULL ? 256 : (t->mask + 1) * 2);
		if (ret < 0)
			return ret;
	}
	i = probe(t, nh->id);
	ret = t->nh[i].id != 0;
	t->nh[i] = *nh;
	t->count += ret == 0;
	return ret;
}

const struct fpm_nh *fpm_nhg_find(const struct fpm_nhg *t, uint32_t id)
{
	uint32_t i;

	if (t->nh == NULL || id == 0)
		return NULL;
	i = probe(t, id);
	return t->nh[i].id != 0 ? &t->nh[i] : NULL;
}

int fpm_nhg_del(struct fpm_nhg *t, uint32_t id)
{
	uint32_t i, k, h;

	if (fpm_nhg_find(t, id) == NULL)
		return -ENOENT;
	i = probe(t, id);
	for (k = (i + 1) & t->mask; t->nh[k].id != 0; k = (k + 1) & t->mask) {
		h = home(t, t->nh[k].id);
		// The entry at k may move into the hole only if the hole is not before its home.
		if (((k - h) & t->mask) >= ((k - i) & t->mask)) {
			t->nh[i] = t->nh[k];
			i = k;
		}
	}
	memset(&t->nh[i], 0, sizeof(t->nh[i]));
	t->count--;
	return 0;
}

// Takes id out of group g's members (every occurrence). Returns true when it was there.
static bool drop_member(struct fpm_nh *g, uint32_t id)
{
	unsigned i, k = 0;

	for (i = 0; i < g->ngroup; i++)
		if (g->group[i].id != id)
			g->group[k++] = g->group[i];
	if (k == g->ngroup)
		return false;
	memset(&g->group[k], 0, sizeof(g->group[0]) * (g->ngroup - k));
	g->ngroup = (uint8_t)k;
	return true;
}

int fpm_nhg_remove(struct fpm_nhg *t, uint32_t id, fpm_nhg_fn fn, void *ctx)
{
	uint32_t i, n = 0, *hit;
	bool *gone;

	if (fpm_nhg_find(t, id) == NULL)
		return -ENOENT;
	hit = malloc(sizeof(*hit) * t->count);
	gone = malloc(sizeof(*gone) * t->count);
	if (hit == NULL || gone == NULL) {
		free(hit);
		free(gone);
		return -ENOMEM;
	}
	// Members first, deletes after the walk: a delete moves entries of the probe run back,
	// under the walk's feet.
	for (i = 0; i <= t->mask; i++) {
		struct fpm_nh *g = &t->nh[i];

		if (g->id == 0 || g->id == id || g->ngroup == 0 || !drop_member(g, id))
			continue;
		hit[n] = g->id;
		gone[n++] = g->ngroup == 0;
	}
	fpm_nhg_del(t, id);
	for (i = 0; i < n; i++)
		if (gone[i])
			fpm_nhg_del(t, hit[i]);
	if (fn != NULL) {
		fn(ctx, id, true);
		for (i = 0; i < n; i++)
			fn(ctx, hit[i], gone[i]);
	}
	free(hit);
	free(gone);
	return 0;
}

void fpm_nhg_clear(struct fpm_nhg *t)
{
	free(t->nh);
	memset(t, 0, sizeof(*t));
}

int fpm_nhg_resolve(const struct fpm_nhg *t, uint32_t id, struct fpm_path *paths, bool *blackhole)
{
	const struct fpm_nh *nh = fpm_nhg_find(t, id), *m;
	unsigned i;

	*blackhole = false;
	if (nh == NULL)
		return -ENOENT;
	if (nh->unusable)
		return -EINVAL;
	if (nh->ngroup == 0) {
		if (nh->blackhole) {
			*blackhole = true;
			return 0;
		}
		paths[0] = nh->path;
		return 1;
	}
	for (i = 0; i < nh->ngroup; i++) {
		m = fpm_nhg_find(t, nh->group[i].id);
		if (m == NULL)
			return -ENOENT;
		if (m->unusable || m->ngroup != 0 || m->blackhole)
			return -EINVAL;
		paths[i] = m->path;
		paths[i].weight = nh->group[i].weight;
	}
	return nh->ngroup;
}
