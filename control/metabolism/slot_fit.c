// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_memory.h>

#include "common/log.h"
#include "control/metabolism/slot_fit.h"
#include "control/slot/slot_build.h"

#define MIB(b) ((double)(b) / 1048576.0)

struct page_sizes {
	uint64_t sz[8];
	unsigned n;
};

static int page_size_cb(const struct rte_memseg_list *msl, void *arg)
{
	struct page_sizes *p = arg;

	if (msl->external)
		return 0;
	for (unsigned i = 0; i < p->n; i++)
		if (p->sz[i] == msl->page_sz)
			return 0;
	if (p->n < RTE_DIM(p->sz))
		p->sz[p->n++] = msl->page_sz;
	return 0;
}

// Hugepages of the sizes DPDK maps that the system still has free: a heap on hugepages grows
// into them (unless EAL runs with --legacy-mem, which this cannot see: the check is then
// lenient, and a build that runs short still fails with the numbers).
static size_t free_hugepages(void)
{
	struct page_sizes p = { .n = 0 };
	size_t total = 0;

	if (!rte_eal_has_hugepages())
		return 0;
	rte_memseg_list_walk(page_size_cb, &p);
	for (unsigned i = 0; i < p.n; i++) {
		char path[128];
		unsigned long n;
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/"
			 "free_hugepages",
			 p.sz[i] / 1024);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%lu", &n) == 1)
			total += n * p.sz[i];
		fclose(f);
	}
	return total;
}

// Appends "name size" to a list of the drivers' slot sizes, once per driver.
static void note_driver(char *list, size_t len, const struct fib_driver **seen, unsigned *n_seen,
			const struct fib_driver *d, size_t bytes)
{
	size_t used = strlen(list);

	for (unsigned i = 0; i < *n_seen; i++)
		if (seen[i] == d)
			return;
	seen[(*n_seen)++] = d;
	if (used < len)
		snprintf(list + used, len - used, "%s%s %.1f MiB", used ? ", " : "", d->name,
			 MIB(bytes));
}

int slot_fit_check(const struct molt_config *cfg, const struct molt_route *routes, uint64_t n,
		   char *err, size_t errlen)
{
	const struct fib_driver *worst = NULL, *seen[MOLT_MAX_SLOT_DRIVERS + 1];
	unsigned n_seen = 0;
	size_t largest, worst_b = 0, free_b, grow, need;
	char sizes[256] = "";
	struct slot_size sz;
	int ret;

	if ((ret = slot_build_size(cfg, routes, n, &sz, err, errlen)) < 0)
		return ret;
	for (int i = -1; i < (int)cfg->n_drivers; i++) {
		const struct fib_driver *d = fib_driver_find(i < 0 ? cfg->driver : cfg->drivers[i]);
		size_t b;

		if (d == NULL)
			continue;
		b = slot_size_heap_bytes(d, &sz);
		note_driver(sizes, sizeof(sizes), seen, &n_seen, d, b);
		if (b > worst_b) {
			worst_b = b;
			worst = d;
		}
	}
	if (worst == NULL)
		return 0;
	need = worst_b * cfg->slots;
	free_b = slot_size_heap_free(&largest);
	grow = free_hugepages();
	if (need > free_b + grow) {
		snprintf(
			err, errlen,
			"metabolism.slots = %u slots of the current table (%" PRIu64
			" IPv4 + %" PRIu64
			" IPv6 routes) need %u x %.1f MiB = %.1f MiB of DPDK memory (%s), and %.1f "
			"MiB is free%s: give DPDK more memory (-m, --socket-mem, hugepages), keep "
			"fewer slots, or rotate drivers that need less",
			cfg->slots, sz.need4.routes, sz.need6.routes, cfg->slots, MIB(worst_b),
			MIB(need), sizes, MIB(free_b + grow),
			grow > 0 ? " with the free hugepages" : "");
		return -ENOMEM;
	}
	LOG_NOTICE("metabolism",
		   "%u slots of %" PRIu64 " IPv4 + %" PRIu64 " IPv6 routes need up to %.1f MiB of "
		   "DPDK memory (%s per slot); %.1f MiB free",
		   cfg->slots, sz.need4.routes, sz.need6.routes, MIB(need), sizes,
		   MIB(free_b + grow));
	return 0;
}
