// SPDX-License-Identifier: BSD-3-Clause
// The generator loop (tools/bench/lat_gen.h). It runs alone on its lcore: no locks, no system
// calls, no logging until the run is over. Frames are paced by the TSC: frame k is due at
// t_start + k / rate, and whatever is due goes out in bursts of at most conf.burst, so a
// generator that was held up catches up rather than lowering the rate.
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_ring.h>

#include "lat_gen.h"
#include "lat_stamp.h"

#define RX_BURST 64
#define TX_BURST_MAX 256

// Per-run constants of the loop, in TSC cycles.
struct schedule {
	double frames_per_cycle;
	uint64_t bin_cycles;
	unsigned tpl; // next template frame
};

static inline void record(struct lat_result *r, const struct schedule *s, unsigned port,
			  const struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	int off = lat_stamp_offset(p, rte_pktmbuf_data_len(m));
	enum lat_seq_verdict v;
	uint64_t seq, tsc, lat, bin;

	if (off < 0 || lat_stamp_read(p + off, &seq, &tsc) < 0) {
		r->foreign++;
		return;
	}
	// lat_stamp_offset accepted it: byte 12 is the ethertype's high byte, 0x86 for IPv6.
	v = lat_seq_mark(&r->seq, port * 2 + (p[12] == 0x86), seq, r->sent);
	if (v == LAT_SEQ_FOREIGN)
		r->foreign++;
	if (v != LAT_SEQ_NEW || tsc < r->t_measure)
		return;
	lat = now - tsc;
	lat_hist_add(&r->hist, lat);
	bin = (tsc - r->t_measure) / s->bin_cycles;
	if (bin < r->n_bins) {
		r->bins[bin].received++;
		lat_hist_add(&r->bins[bin].hist, lat);
	}
}

static void receive(struct lat_gen *g, const struct schedule *s)
{
	for (unsigned port = 0; port < g->ports->n; port++) {
		struct rte_mbuf *m[RX_BURST];
		unsigned n = rte_ring_dequeue_burst(g->ports->port[port].tx, (void **)m, RX_BURST,
						    NULL);
		uint64_t now;

		if (n == 0)
			continue;
		now = rte_rdtsc();
		for (unsigned i = 0; i < n; i++)
			record(&g->res, s, port, m[i], now);
		rte_pktmbuf_free_bulk(m, n);
	}
}

static void send_burst(struct lat_gen *g, struct schedule *s, unsigned n)
{
	const struct lat_frames *fr = g->conf.frames;
	struct lat_result *r = &g->res;
	struct rte_mbuf *m[TX_BURST_MAX];
	unsigned k;
	uint64_t tsc;

	r->attempted += n;
	if (n > r->seq.capacity - r->sent)
		n = (unsigned)(r->seq.capacity - r->sent);
	if (n == 0 || rte_pktmbuf_alloc_bulk(g->pool, m, n) != 0) {
		r->alloc_failed += n;
		return;
	}
	tsc = rte_rdtsc();
	for (unsigned i = 0, t = s->tpl; i < n; i++, t = t + 1 == fr->n ? 0 : t + 1) {
		const struct lat_frame *f = &fr->frame[t];
		uint8_t *p = rte_pktmbuf_mtod(m[i], uint8_t *);

		rte_memcpy(p, f->data, f->len);
		m[i]->data_len = f->len;
		m[i]->pkt_len = f->len;
		lat_stamp_write(p + f->stamp_off, r->sent + i, tsc);
	}
	k = rte_ring_enqueue_burst(g->ports->port[0].rx, (void **)m, n, NULL);
	if (k < n) {
		// Their sequence numbers are used again by the next burst: no gap to count.
		rte_pktmbuf_free_bulk(m + k, n - k);
		r->ring_full += n - k;
	}
	s->tpl = (unsigned)((s->tpl + k) % fr->n);
	r->sent += k;
	if (tsc >= r->t_measure) {
		uint64_t bin = (tsc - r->t_measure) / s->bin_cycles;

		if (bin < r->n_bins)
			r->bins[bin].sent += k;
	}
}

int lat_gen_main(void *arg)
{
	struct lat_gen *g = arg;
	struct lat_result *r = &g->res;
	uint64_t hz = rte_get_tsc_hz(), deadline;
	struct schedule s = {
		.frames_per_cycle = g->conf.rate / (double)hz,
		.bin_cycles = (uint64_t)(g->conf.bin_s * (double)hz),
	};

	if (s.bin_cycles == 0)
		s.bin_cycles = 1;
	r->t_start = rte_rdtsc();
	r->t_measure = r->t_start + (uint64_t)(g->conf.warmup_s * (double)hz);
	r->t_end = r->t_measure + (uint64_t)(g->conf.duration_s * (double)hz);
	while (!g->stop) {
		uint64_t now = rte_rdtsc(), due;

		if (now >= r->t_end)
			break;
		// Frames 0..due-1 are due by now.
		due = (uint64_t)((double)(now - r->t_start) * s.frames_per_cycle) + 1;
		if (due > r->attempted) {
			uint64_t n = due - r->attempted;
			uint64_t sched = r->t_start +
					 (uint64_t)((double)r->attempted / s.frames_per_cycle);

			if (now >= r->t_measure && now > sched && now - sched > r->behind_max)
				r->behind_max = now - sched;
			send_burst(g, &s, n < g->conf.burst ? (unsigned)n : g->conf.burst);
		}
		receive(g, &s);
	}
	// Wait for the frames still in flight, for a bounded time after the last one left.
	r->t_sent = rte_rdtsc();
	deadline = r->t_sent + (uint64_t)g->conf.drain_ms * hz / 1000;
	while (rte_rdtsc() < deadline && r->seq.received < r->sent)
		receive(g, &s);
	r->t_drained = rte_rdtsc();
	if (g->conf.done != NULL)
		g->conf.done();
	return 0;
}
