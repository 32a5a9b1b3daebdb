// SPDX-License-Identifier: BSD-3-Clause
// libbpf: open the embedded object, load it, fill its maps, attach with tc (netlink, in the
// calling thread's namespace).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "control/cpif/guard.h"

// bpf/embed.py's output (guard_bpf_obj.c, generated in the build directory).
extern const unsigned char molt_guard_bpf[];
extern const size_t molt_guard_bpf_len;

struct guard {
	struct bpf_object *obj;
	int counters_fd;
	unsigned nr_cpus;
};

static const char *const counter_names[GUARD_CTR_MAX] = {
#define X(e, s) s,
	GUARD_COUNTERS(X)
#undef X
};

const char *guard_counter_name(unsigned c)
{
	return c < GUARD_CTR_MAX ? counter_names[c] : "?";
}

static int map_fd(struct guard *g, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(g->obj, name);

	return m != NULL ? bpf_map__fd(m) : -ENOENT;
}

static int fill_maps(struct guard *g, const struct molt_cp_conf *cp)
{
	struct guard_conf gc = { .n_peers = cp->n_peers };
	int peers = map_fd(g, "peers"), extra = map_fd(g, "extra"), conf = map_fd(g, "conf");
	uint8_t one = 1;
	uint32_t zero = 0;

	if (peers < 0 || extra < 0 || conf < 0)
		return -ENOENT;
	for (uint16_t i = 0; i < cp->n_peers; i++) {
		struct guard_addr a;

		memset(&a, 0, sizeof(a));
		if (cp->peers[i].family == 4) {
			a.a[10] = 0xff;
			a.a[11] = 0xff;
			memcpy(&a.a[12], cp->peers[i].ip, 4);
		} else {
			memcpy(a.a, cp->peers[i].ip, 16);
		}
		if (bpf_map_update_elem(peers, &a, &one, BPF_ANY) < 0)
			return -errno;
	}
	for (uint16_t i = 0; i < cp->n_protocols; i++) {
		struct guard_proto p = { .proto = cp->protocols[i].proto,
					 .port = cp->protocols[i].port };

		if (bpf_map_update_elem(extra, &p, &one, BPF_ANY) < 0)
			return -errno;
	}
	// Last: until n_peers is set the program admits only BGP, never more than configured.
	if (bpf_map_update_elem(conf, &zero, &gc, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static int attach_one(struct guard *g, int ifindex, const char *prog, enum bpf_tc_attach_point at)
{
	struct bpf_program *p = bpf_object__find_program_by_name(g->obj, prog);
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = at);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);

	if (p == NULL)
		return -ENOENT;
	opts.prog_fd = bpf_program__fd(p);
	return bpf_tc_attach(&hook, &opts);
}

struct guard *guard_attach(int ifindex, const char *ifname, const struct molt_cp_conf *cp,
			   char *err, size_t errlen)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "molt_guard");
	const char *step = "open";
	struct guard *g = calloc(1, sizeof(*g));
	int ret;

	if (g == NULL) {
		snprintf(err, errlen, "guard on %s: out of memory", ifname);
		return NULL;
	}
	g->obj = bpf_object__open_mem(molt_guard_bpf, molt_guard_bpf_len, &oo);
	ret = libbpf_get_error(g->obj);
	if (ret != 0) {
		g->obj = NULL;
		goto fail;
	}
	step = "load (the kernel's verifier log is above)";
	if ((ret = bpf_object__load(g->obj)) < 0)
		goto fail;
	step = "fill its maps";
	if ((ret = fill_maps(g, cp)) < 0)
		goto fail;
	g->counters_fd = map_fd(g, "counters");
	ret = libbpf_num_possible_cpus();
	if (g->counters_fd < 0 || ret <= 0)
		goto fail;
	g->nr_cpus = (unsigned)ret;
	step = "create its clsact qdisc";
	ret = bpf_tc_hook_create(&hook);
	if (ret < 0 && ret != -EEXIST)
		goto fail;
	step = "attach to ingress";
	if ((ret = attach_one(g, ifindex, "guard_in", BPF_TC_INGRESS)) < 0)
		goto fail;
	step = "attach to egress";
	if ((ret = attach_one(g, ifindex, "guard_out", BPF_TC_EGRESS)) < 0)
		goto fail;
	return g;
fail:
	snprintf(err, errlen,
		 "guard on %s: cannot %s: %s (moltd needs CAP_BPF and CAP_NET_ADMIN; "
		 "control_plane.guard false runs without the guard)",
		 ifname, step, strerror(ret < 0 ? -ret : EINVAL));
	guard_free(g);
	return NULL;
}

int guard_counters(const struct guard *g, uint64_t out[GUARD_CTR_MAX])
{
	uint64_t vals[g->nr_cpus];

	for (uint32_t c = 0; c < GUARD_CTR_MAX; c++) {
		out[c] = 0;
		if (bpf_map_lookup_elem(g->counters_fd, &c, vals) < 0)
			return -errno;
		for (unsigned i = 0; i < g->nr_cpus; i++)
			out[c] += vals[i];
	}
	return 0;
}

void guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	bpf_object__close(g->obj);
	free(g);
}
