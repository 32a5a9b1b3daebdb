// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for the FPM input: the bytes are a stream from zebra, cut into frames the
// way the route server does (routeserver/fpm_server.c): each frame is checked whole, then
// walked again to apply it to a next-hop table, and every route is resolved through it. The
// check and the walk must agree; what the parser hands out must be within its documented
// bounds (paths, prefix lengths, host bits, families); the next-hop table must find what was
// set and forget what was deleted, and a deleted next hop must be gone from every group, the
// groups it emptied with it (RTM_DELNEXTHOP as the kernel does it).
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routeserver/fpm/fpm_nhg.h"
#include "routeserver/fpm/fpm_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct fpm_nhg nhg;
	unsigned msgs;
};

static void check_route(const struct fpm_route *rt)
{
	unsigned max = rt->family == 4 ? 32 : 128, i;

	assert(rt->family == 4 || rt->family == 6);
	assert(rt->plen <= max);
	assert(rt->npaths <= FPM_MAX_PATHS && rt->npaths <= rt->paths_given);
	for (i = rt->plen; i < 128; i++)
		assert((rt->prefix[i / 8] & (0x80 >> (i % 8))) == 0);
	for (i = 0; i < rt->npaths; i++) {
		assert(rt->paths[i].weight >= 1 && rt->paths[i].weight <= 256);
		assert(!rt->paths[i].has_gw || rt->paths[i].family == rt->family);
	}
}

// What fpm_nhg_remove reports must be so: a next hop gone is not found, a group kept still has
// members.
static void removed(void *arg, uint32_t id, bool gone)
{
	const struct fpm_nh *nh = fpm_nhg_find(&((struct ctx *)arg)->nhg, id);

	assert(gone ? nh == NULL : nh != NULL && nh->ngroup > 0);
}

static void check_removed(const struct fpm_nhg *t, uint32_t id)
{
	uint32_t i, k;

	assert(fpm_nhg_find(t, id) == NULL);
	for (i = 0; t->nh != NULL && i <= t->mask; i++)
		for (k = 0; k < t->nh[i].ngroup; k++)
			assert(t->nh[i].group[k].id != id);
}

static int apply(void *arg, const struct fpm_msg *m)
{
	struct fpm_path paths[FPM_MAX_PATHS];
	struct ctx *c = arg;
	bool blackhole;
	int n;

	c->msgs++;
	switch (m->kind) {
	case FPM_ROUTE_ADD:
	case FPM_ROUTE_DEL:
		if (m->skip == FPM_SKIP_FAMILY)
			break;
		check_route(&m->rt);
		if (m->rt.nhid != 0) {
			n = fpm_nhg_resolve(&c->nhg, m->rt.nhid, paths, &blackhole);
			assert(n <= FPM_MAX_PATHS);
			assert(n != 0 || blackhole);
			for (int i = 0; i < n; i++)
				assert(paths[i].weight >= 1 && paths[i].weight <= 256);
		}
		break;
	case FPM_NH_ADD:
		assert(m->nh.id != 0 && m->nh.ngroup <= FPM_MAX_PATHS);
		assert(m->nh.ngroup <= m->nh.group_given);
		if (fpm_nhg_set(&c->nhg, &m->nh) >= 0)
			assert(memcmp(fpm_nhg_find(&c->nhg, m->nh.id), &m->nh, sizeof(m->nh)) == 0);
		break;
	case FPM_NH_DEL:
		if (fpm_nhg_remove(&c->nhg, m->nh.id, removed, c) == 0)
			check_removed(&c->nhg, m->nh.id);
		assert(fpm_nhg_find(&c->nhg, m->nh.id) == NULL);
		break;
	case FPM_IGNORED:
		assert(m->skip == FPM_SKIP_MSG_TYPE);
		break;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { 0 };
	size_t off = 0;
	char err[256];
	int flen, n, m;

	while (size - off >= FPM_HDR_LEN) {
		flen = fpm_header_parse(data + off, err, sizeof(err));
		if (flen < 0) {
			assert(err[0] != '\0');
			break;
		}
		assert(flen >= FPM_HDR_LEN + 16 && flen <= FPM_MAX_FRAME);
		if (size - off < (size_t)flen)
			break; // the server waits for the rest of the frame
		err[0] = '\0';
		n = fpm_frame_parse(data + off + FPM_HDR_LEN, (size_t)flen - FPM_HDR_LEN, NULL,
				    NULL, err, sizeof(err));
		if (n < 0) {
			assert(err[0] != '\0');
			break; // the server closes the session: nothing of the frame applies
		}
		c.msgs = 0;
		m = fpm_frame_parse(data + off + FPM_HDR_LEN, (size_t)flen - FPM_HDR_LEN, apply, &c,
				    err, sizeof(err));
		assert(m == n && c.msgs == (unsigned)n);
		off += (size_t)flen;
	}
	fpm_nhg_clear(&c.nhg);
	return 0;
}
