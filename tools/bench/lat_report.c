// SPDX-License-Identifier: BSD-3-Clause
// Results of the latency generator (tools/bench/lat_report.h). Latencies are TSC cycles in the
// histograms and microseconds here; loss is counted over the whole run, warm-up included.
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>

#include "lat_report.h"

static double us(uint64_t cycles)
{
	return (double)cycles * 1e6 / (double)rte_get_tsc_hz();
}

static json_t *us_or_null(const struct lat_hist *h, uint64_t cycles)
{
	return h->count ? json_real(us(cycles)) : json_null();
}

static json_t *latency(const struct lat_hist *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	json_object_set_new(o, "min", us_or_null(h, h->min));
	json_object_set_new(o, "mean",
			    h->count ? json_real(us(1) * h->sum / (double)h->count) : json_null());
	json_object_set_new(o, "p50", us_or_null(h, lat_hist_quantile(h, 0.5)));
	json_object_set_new(o, "p90", us_or_null(h, lat_hist_quantile(h, 0.9)));
	json_object_set_new(o, "p99", us_or_null(h, lat_hist_quantile(h, 0.99)));
	json_object_set_new(o, "p999", us_or_null(h, lat_hist_quantile(h, 0.999)));
	json_object_set_new(o, "max", us_or_null(h, h->max));
	return o;
}

static json_t *loss(const struct lat_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "sent", json_integer((json_int_t)r->sent));
	json_object_set_new(o, "received", json_integer((json_int_t)r->seq.received));
	json_object_set_new(o, "lost", json_integer((json_int_t)(r->sent - r->seq.received)));
	json_object_set_new(o, "duplicated", json_integer((json_int_t)r->seq.duplicated));
	json_object_set_new(o, "reordered", json_integer((json_int_t)r->seq.reordered));
	json_object_set_new(o, "late", json_integer((json_int_t)r->late));
	json_object_set_new(o, "stuck", json_integer((json_int_t)r->stuck));
	json_object_set_new(o, "foreign", json_integer((json_int_t)r->foreign));
	return o;
}

static json_t *generator(const struct lat_gen *g)
{
	const struct lat_result *r = &g->res;
	double secs = (double)(r->t_sent - r->t_start) / (double)rte_get_tsc_hz();
	json_t *o = json_object();

	json_object_set_new(o, "lcore", json_integer(g->lcore));
	json_object_set_new(o, "attempted", json_integer((json_int_t)r->attempted));
	json_object_set_new(o, "ring_full", json_integer((json_int_t)r->ring_full));
	json_object_set_new(o, "alloc_failed", json_integer((json_int_t)r->alloc_failed));
	json_object_set_new(o, "achieved_pps", json_real(secs > 0 ? (double)r->sent / secs : 0));
	json_object_set_new(o, "behind_max_us", json_real(us(r->behind_max)));
	json_object_set_new(o, "interrupted", json_boolean(r->t_sent < r->t_end));
	return o;
}

static json_t *bins(const struct lat_gen *g)
{
	const struct lat_result *r = &g->res;
	json_t *a = json_array();

	for (unsigned i = 0; i < r->n_bins; i++) {
		const struct lat_bin *b = &r->bins[i];
		json_t *o = json_object();

		json_object_set_new(o, "t", json_real((i + 1) * g->conf.bin_s));
		json_object_set_new(o, "sent", json_integer((json_int_t)b->sent));
		json_object_set_new(o, "received", json_integer((json_int_t)b->received));
		json_object_set_new(o, "lost", json_integer((json_int_t)(b->sent - b->received)));
		json_object_set_new(o, "p50_us",
				    us_or_null(&b->hist, lat_hist_quantile(&b->hist, 0.5)));
		json_object_set_new(o, "p99_us",
				    us_or_null(&b->hist, lat_hist_quantile(&b->hist, 0.99)));
		json_object_set_new(o, "max_us", us_or_null(&b->hist, b->hist.max));
		json_array_append_new(a, o);
	}
	return a;
}

int lat_report_json(const struct lat_gen *g, const char *path, char *err, size_t errlen)
{
	const struct lat_gen_conf *c = &g->conf;
	json_t *o = json_object(), *mb = json_object();
	int ret = 0;

	json_object_set_new(o, "tool", json_string("molt-bench-lat"));
	json_object_set_new(o, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	json_object_set_new(o, "rate_pps", json_real(c->rate));
	json_object_set_new(o, "burst", json_integer(c->burst));
	json_object_set_new(o, "warmup_s", json_real(c->warmup_s));
	json_object_set_new(o, "duration_s", json_real(c->duration_s));
	json_object_set_new(o, "bin_s", json_real(c->bin_s));
	json_object_set_new(o, "drain_ms", json_integer(c->drain_ms));
	json_object_set_new(o, "frames", json_integer(c->frames->n));
	json_object_set_new(o, "generator", generator(g));
	json_object_set_new(o, "loss", loss(&g->res));
	json_object_set_new(o, "latency_us", latency(&g->res.hist));
	json_object_set_new(mb, "pool", json_integer(g->res.mbufs));
	json_object_set_new(mb, "missing", json_integer(g->res.mbufs_missing));
	json_object_set_new(o, "mbufs", mb);
	json_object_set_new(o, "bins", bins(g));
	if (json_dump_file(o, path, JSON_INDENT(1)) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		ret = -EIO;
	}
	json_decref(o);
	return ret;
}

void lat_report_print(FILE *f, const struct lat_gen *g)
{
	const struct lat_result *r = &g->res;
	const struct lat_hist *h = &r->hist;

	fprintf(f,
		"loss: sent %" PRIu64 " received %" PRIu64 " lost %" PRIu64 " duplicated %" PRIu64
		" reordered %" PRIu64 " (late %" PRIu64 ", stuck %" PRIu64 ", foreign %" PRIu64
		")\n",
		r->sent, r->seq.received, r->sent - r->seq.received, r->seq.duplicated,
		r->seq.reordered, r->late, r->stuck, r->foreign);
	if (h->count == 0) {
		fprintf(f, "latency: no frame of the measured window came back\n");
		return;
	}
	fprintf(f,
		"latency: p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f us (%" PRIu64 " frames)\n",
		us(lat_hist_quantile(h, 0.5)), us(lat_hist_quantile(h, 0.9)),
		us(lat_hist_quantile(h, 0.99)), us(lat_hist_quantile(h, 0.999)), us(h->max),
		h->count);
	fprintf(f,
		"generator: %" PRIu64 " of %" PRIu64 " scheduled frames sent (ring full %" PRIu64
		", no mbuf %" PRIu64 "), at worst %.1f us behind schedule; mbufs missing %u "
		"of %u\n",
		r->sent, r->attempted, r->ring_full, r->alloc_failed, us(r->behind_max),
		r->mbufs_missing, r->mbufs);
}
