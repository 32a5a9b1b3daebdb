// SPDX-License-Identifier: BSD-3-Clause
// The latency generator: a loop on its own lcore that sends stamped copies of the template
// frames into moltd's first ring port at a fixed rate, and between bursts reads every frame
// moltd sends out of any ring port, recording its latency and its sequence number.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "lat_hist.h"
#include "lat_pcap.h"
#include "lat_ports.h"
#include "lat_seq.h"

#define LAT_BINS_MAX 1000

struct lat_gen_conf {
	double rate; // frames per second
	double warmup_s; // sent and checked for loss, not in the latency figures
	double duration_s; // measured
	double bin_s; // period of the time series
	unsigned drain_ms; // how long to wait for the last frames after sending stops
	unsigned burst; // most frames enqueued at once
	const struct lat_frames *frames;
	void (*done)(void); // called on the generator lcore when the run is over
};

// One period of the measured window, by send time.
struct lat_bin {
	uint64_t sent, received;
	struct lat_hist hist;
};

// Written by the generator lcore; read once it has returned.
struct lat_result {
	uint64_t attempted; // frames the schedule asked for
	uint64_t sent; // of those, enqueued to moltd (= sequence numbers used)
	uint64_t ring_full; // not enqueued: moltd's rx ring was full
	uint64_t alloc_failed; // not built: the generator's pool was empty
	uint64_t foreign; // frames out of moltd without a stamp of ours
	uint64_t late; // stamped frames still in moltd's tx rings after the drain
	uint64_t stuck; // frames moltd never took from its rx ring
	uint64_t behind_max; // TSC cycles the worst burst went out behind its schedule
	// TSC: start, warm-up over, planned end, sending stopped (early on a signal), drained
	uint64_t t_start, t_measure, t_end, t_sent, t_drained;
	struct lat_seq seq; // received, duplicated, reordered
	struct lat_hist hist; // latency (TSC cycles) of frames sent in the measured window
	struct lat_bin *bins;
	unsigned n_bins;
	unsigned mbufs; // the generator pool's size
	unsigned mbufs_missing; // not back in the pool at the end (should be 0)
};

struct lat_gen {
	struct lat_gen_conf conf;
	struct lat_ports *ports;
	struct rte_mempool *pool;
	unsigned lcore;
	bool launched;
	volatile bool stop; // control: wo (signal); generator: ro
	struct lat_result res;
};

// Allocates the pool (mbufs carry moltd's private area: moltd may punt them), the sequence
// bitmap and the bins. 0, or -errno with a message in err.
int lat_gen_init(struct lat_gen *g, const struct lat_gen_conf *c, struct lat_ports *ports,
		 char *err, size_t errlen);

// Starts the loop on lcore. 0, or -errno with a message in err.
int lat_gen_launch(struct lat_gen *g, unsigned lcore, char *err, size_t errlen);

// Asks the loop to stop sending (it still drains) and waits for it.
void lat_gen_stop(struct lat_gen *g);

// Once moltd has stopped its ports: takes what is left in the rings (counted late or stuck)
// and frees it.
void lat_gen_collect(struct lat_gen *g);

// After the ports are gone: counts mbufs not returned to the pool, then frees it.
void lat_gen_release_pool(struct lat_gen *g);

// Frees what lat_gen_init allocated on the heap (the results stay readable until then).
void lat_gen_fini(struct lat_gen *g);

// The loop itself (lcore_function_t).
int lat_gen_main(void *arg);
