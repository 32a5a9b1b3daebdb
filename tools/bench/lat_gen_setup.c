// SPDX-License-Identifier: BSD-3-Clause
// The generator's resources and lifetime around moltd's (tools/bench/lat_gen.h): set up
// before moltd probes its ports, launched once moltd forwards, stopped before moltd stops its
// workers, and its mbufs counted back after moltd has let go of every one.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "dataplane/dataplane.h"
#include "lat_gen.h"
#include "lat_stamp.h"

#define POOL_CACHE 256

// Every ring full at once, plus what moltd may hold (a burst per worker, tx buffers, the
// neighbour hold queues) and the lcore caches.
static unsigned pool_size(const struct lat_ports *p, unsigned burst)
{
	unsigned n = burst + 4096 + rte_lcore_count() * POOL_CACHE * 2;

	for (unsigned i = 0; i < p->n; i++)
		n += rte_ring_get_capacity(p->port[i].rx) + rte_ring_get_capacity(p->port[i].tx);
	return rte_align32pow2(n) - 1;
}

int lat_gen_init(struct lat_gen *g, const struct lat_gen_conf *c, struct lat_ports *ports,
		 char *err, size_t errlen)
{
	struct lat_result *r = &g->res;
	double frames = ceil(c->rate * (c->warmup_s + c->duration_s)) + c->burst + 1;
	double bins = ceil(c->duration_s / c->bin_s);
	unsigned n;

	memset(g, 0, sizeof(*g));
	g->conf = *c;
	g->ports = ports;
	if (frames > (double)LAT_STAMP_SEQ_MASK || bins > LAT_BINS_MAX || bins < 1) {
		snprintf(err, errlen,
			 "%.0f frames in %.0f bins: at most 2^48 frames and 1 to %d "
			 "bins (lower the rate or duration, or widen --bin)",
			 frames, bins, LAT_BINS_MAX);
		return -E2BIG;
	}
	if (lat_seq_init(&r->seq, (uint64_t)frames) < 0) {
		snprintf(err, errlen, "no memory for the sequence bitmap of %.0f frames", frames);
		return -ENOMEM;
	}
	r->n_bins = (unsigned)bins;
	r->bins = calloc(r->n_bins, sizeof(*r->bins));
	if (r->bins == NULL) {
		snprintf(err, errlen, "no memory for %u bins", r->n_bins);
		return -ENOMEM;
	}
	n = pool_size(ports, c->burst);
	// moltd's punt path writes its private area into any mbuf it punts, ours included.
	g->pool = rte_pktmbuf_pool_create("lat_pkts", n, POOL_CACHE, MOLT_MBUF_PRIV_SIZE,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (g->pool == NULL) {
		snprintf(err, errlen,
			 "cannot create the generator's pool of %u mbufs: %s (give "
			 "the EAL more memory with -m)",
			 n, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	r->mbufs = n;
	return 0;
}

int lat_gen_launch(struct lat_gen *g, unsigned lcore, char *err, size_t errlen)
{
	int ret = rte_eal_remote_launch(lat_gen_main, g, lcore);

	if (ret < 0) {
		snprintf(err, errlen, "cannot launch the generator on lcore %u: %s", lcore,
			 strerror(-ret));
		return ret;
	}
	g->lcore = lcore;
	g->launched = true;
	LOG_NOTICE("lat",
		   "generator on lcore %u (cpu %d): %.0f frames/s, %u templates, "
		   "%g s warm-up, %g s measured",
		   lcore, rte_lcore_to_cpu_id((int)lcore), g->conf.rate, g->conf.frames->n,
		   g->conf.warmup_s, g->conf.duration_s);
	return 0;
}

void lat_gen_stop(struct lat_gen *g)
{
	if (!g->launched)
		return;
	g->stop = true;
	rte_eal_wait_lcore(g->lcore);
	g->launched = false;
}

void lat_gen_collect(struct lat_gen *g)
{
	struct lat_result *r = &g->res;

	for (unsigned i = 0; i < g->ports->n; i++) {
		struct lat_port *lp = &g->ports->port[i];
		void *m;

		while (rte_ring_dequeue(lp->tx, &m) == 0) {
			const uint8_t *p = rte_pktmbuf_mtod((struct rte_mbuf *)m, const uint8_t *);
			int off = lat_stamp_offset(p, rte_pktmbuf_data_len((struct rte_mbuf *)m));
			uint64_t seq, tsc;

			if (off >= 0 && lat_stamp_read(p + off, &seq, &tsc) == 0)
				r->late++;
			else
				r->foreign++;
			rte_pktmbuf_free(m);
		}
		while (rte_ring_dequeue(lp->rx, &m) == 0) {
			r->stuck++;
			rte_pktmbuf_free(m);
		}
	}
}

void lat_gen_release_pool(struct lat_gen *g)
{
	if (g->pool == NULL)
		return;
	g->res.mbufs_missing = g->res.mbufs - rte_mempool_avail_count(g->pool);
	if (g->res.mbufs_missing != 0)
		LOG_ERR("lat", "%u of the generator's %u mbufs did not come back",
			g->res.mbufs_missing, g->res.mbufs);
	rte_mempool_free(g->pool);
	g->pool = NULL;
}

void lat_gen_fini(struct lat_gen *g)
{
	lat_seq_fini(&g->res.seq);
	free(g->res.bins);
	g->res.bins = NULL;
	g->res.n_bins = 0;
}
