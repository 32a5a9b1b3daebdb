// SPDX-License-Identifier: BSD-3-Clause
// molt-bench-lat: moltd (control/daemon/moltd.c, the same code, in this process) plus a traffic
// generator on one more lcore that reaches moltd's ports through rings, for latency and loss.
// The generator's ports are made before moltd probes its config, launched once moltd
// forwards, and stopped before moltd stops its workers (control/daemon/moltd.h hooks).
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>

#include "control/daemon/moltd.h"
#include "dataplane/dataplane.h"
#include "lat_gen.h"
#include "lat_report.h"

struct lat_opts {
	struct lat_gen_conf gen;
	const char *pcap, *json;
	char ports_list[256];
	char *ports[LAT_PORTS_MAX];
	unsigned n_ports;
};

struct lat_ctx {
	struct lat_opts *o;
	struct lat_frames frames;
	struct lat_ports ports;
	struct lat_gen gen;
	bool gen_ready, ran;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- -c MOLTD.json -- --pcap FILE [options]\n"
		"Runs moltd with a generator on the last enabled lcore that sends stamped frames "
		"into\nmoltd's first ring port and reads every port, for latency and loss.\n"
		"  EAL options   moltd's, with one more lcore for the generator. On 2 CPUs:\n"
		"                --lcores 0@0,1@1,2@0 (control thread and generator on CPU 0)\n"
		"  MOLTD.json    moltd's config; the generator's ports are named there with\n"
		"                devargs \"net_ring_NAME\" (nothing after the name)\n"
		"Generator options, after the second --:\n"
		"  --pcap FILE     frames to send in turn (IPv4/IPv6 UDP, 16 payload bytes or more)\n"
		"  --rate PPS      frames per second (1M; k and M suffixes)\n"
		"  --duration S    measured seconds (10)\n"
		"  --warmup S      seconds sent before measuring, checked for loss too (1)\n"
		"  --bin S         period of the time series in the JSON (1)\n"
		"  --drain-ms MS   wait for frames in flight after sending stops (100)\n"
		"  --burst N       most frames enqueued at once (32)\n"
		"  --ports LIST    ring ports, comma-separated, the first one is sent into "
		"(in,out1,out2)\n"
		"  --json FILE     results (molt-bench-lat.json)\n"
		"Exit status 1 when moltd fails, the generator did not run, or mbufs leaked.\n"
		"Example: %s --no-huge -m 768 --no-pci --lcores 0@0,1@1,2@0 -- -c moltd.json -- \\\n"
		"         --pcap traffic.pcap --rate 100k --duration 5\n",
		prog, prog);
}

// "100k", "1M", "2.5e6".
static int parse_rate(const char *s, double *rate)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1e6, end++;
	if (*end != '\0' || !(v > 0 && v <= 1e9))
		return -EINVAL;
	*rate = v;
	return 0;
}

static int parse_seconds(const char *s, double *v, double min)
{
	char *end;

	*v = strtod(s, &end);
	return end != s && *end == '\0' && *v >= min && *v <= 86400 ? 0 : -EINVAL;
}

static int split_ports(struct lat_opts *o, const char *list)
{
	char *save = NULL, *tok;

	snprintf(o->ports_list, sizeof(o->ports_list), "%s", list);
	o->n_ports = 0;
	for (tok = strtok_r(o->ports_list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_ports == LAT_PORTS_MAX)
			return -E2BIG;
		o->ports[o->n_ports++] = tok;
	}
	return o->n_ports > 0 ? 0 : -EINVAL;
}

static int bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "molt-bench-lat: %s \"%s\": %s\n", opt, val, want);
	return -EINVAL;
}

static int parse_opts(int argc, char **argv, struct lat_opts *o)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "bin", required_argument, NULL, 'b' },
		{ "drain-ms", required_argument, NULL, 'D' },
		{ "burst", required_argument, NULL, 'B' },
		{ "ports", required_argument, NULL, 'P' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long n;
	int c;

	*o = (struct lat_opts){
		.gen = { .rate = 1e6,
			 .duration_s = 10,
			 .warmup_s = 1,
			 .bin_s = 1,
			 .drain_ms = 100,
			 .burst = 32 },
		.json = "molt-bench-lat.json",
	};
	split_ports(o, "in,out1,out2");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->pcap = optarg;
			break;
		case 'r':
			if (parse_rate(optarg, &o->gen.rate) < 0)
				return bad("--rate", optarg, "want frames per second, e.g. 100k");
			break;
		case 'd':
			if (parse_seconds(optarg, &o->gen.duration_s, 0.001) < 0)
				return bad("--duration", optarg, "want seconds, 0.001 to 86400");
			break;
		case 'w':
			if (parse_seconds(optarg, &o->gen.warmup_s, 0) < 0)
				return bad("--warmup", optarg, "want seconds, 0 to 86400");
			break;
		case 'b':
			if (parse_seconds(optarg, &o->gen.bin_s, 0.001) < 0)
				return bad("--bin", optarg, "want seconds, 0.001 to 86400");
			break;
		case 'D':
			n = strtol(optarg, NULL, 10);
			if (n < 0 || n > 60000)
				return bad("--drain-ms", optarg, "want 0 to 60000");
			o->gen.drain_ms = (unsigned)n;
			break;
		case 'B':
			n = strtol(optarg, NULL, 10);
			if (n < 1 || n > 256)
				return bad("--burst", optarg, "want 1 to 256");
			o->gen.burst = (unsigned)n;
			break;
		case 'P':
			if (split_ports(o, optarg) < 0)
				return bad("--ports", optarg, "want 1 to 8 comma-separated names");
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'h':
			usage(stdout, "molt-bench-lat");
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		return bad("argument", argv[optind], "not a generator option");
	if (o->pcap == NULL) {
		fprintf(stderr, "molt-bench-lat: no frames to send (--pcap FILE)\n");
		return -EINVAL;
	}
	return 0;
}

// moltd's hooks, in the order moltd calls them.

static int before_ports(void *arg)
{
	struct lat_ctx *x = arg;
	char err[512];
	int ret;

	ret = lat_ports_create(&x->ports, x->o->ports, x->o->n_ports, molt_dp.nb_workers, err,
			       sizeof(err));
	if (ret == 0)
		ret = lat_gen_init(&x->gen, &x->o->gen, &x->ports, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "molt-bench-lat: %s\n", err);
		return ret;
	}
	x->gen_ready = true;
	return 0;
}

static int running(void *arg)
{
	struct lat_ctx *x = arg;
	char err[512];
	int ret = lat_gen_launch(&x->gen, moltd_reserved_lcore(), err, sizeof(err));

	if (ret < 0) {
		fprintf(stderr, "molt-bench-lat: %s\n", err);
		return ret;
	}
	x->ran = true;
	return 0;
}

static void stopping(void *arg)
{
	struct lat_ctx *x = arg;

	lat_gen_stop(&x->gen);
}

static void stopped(void *arg)
{
	struct lat_ctx *x = arg;

	if (x->gen_ready)
		lat_gen_collect(&x->gen);
	lat_ports_destroy(&x->ports);
	lat_gen_release_pool(&x->gen);
}

// Index of the first "--" at or after from, or -1.
static int find_dashes(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	static struct lat_opts o;
	static struct lat_ctx x; // large (histograms): not on the stack
	struct moltd_hooks hooks = {
		.arg = &x,
		.reserve_lcore = true,
		.before_ports = before_ports,
		.running = running,
		.stopping = stopping,
		.stopped = stopped,
	};
	char err[512];
	int first, second, ret;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout, argv[0]);
		return 0;
	}
	first = find_dashes(argc, argv, 1);
	second = first < 0 ? -1 : find_dashes(argc, argv, first + 1);
	if (second < 0) {
		fprintf(stderr, "molt-bench-lat: the generator's options go after a second --\n");
		usage(stderr, argv[0]);
		return 1;
	}
	argv[second] = argv[0];
	ret = parse_opts(argc - second, argv + second, &o);
	if (ret != 0)
		return ret == 1 ? 0 : 1;
	argv[second] = NULL;
	if (lat_pcap_load(o.pcap, &x.frames, err, sizeof(err)) < 0) {
		fprintf(stderr, "molt-bench-lat: %s\n", err);
		return 1;
	}
	o.gen.frames = &x.frames;
	o.gen.done = moltd_stop;
	x.o = &o;

	ret = moltd_main(second, argv, &hooks);
	if (x.ran) {
		lat_report_print(stderr, &x.gen);
		if (lat_report_json(&x.gen, o.json, err, sizeof(err)) < 0) {
			fprintf(stderr, "molt-bench-lat: %s\n", err);
			ret = 1;
		}
		if (x.gen.res.mbufs_missing != 0)
			ret = 1;
	} else if (ret == 0) {
		fprintf(stderr, "molt-bench-lat: moltd stopped before the generator started\n");
		ret = 1;
	}
	lat_gen_fini(&x.gen);
	lat_pcap_free(&x.frames);
	return ret;
}
