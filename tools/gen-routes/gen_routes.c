// SPDX-License-Identifier: BSD-3-Clause
// gen-routes: writes a synthetic, Internet-shaped route file, deterministic for a seed
// (prefix shapes: gen_prefixes.h). Next hops cycle over the given gateways, ~1% blackholes.
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/route.h"
#include "tools/gen-routes/gen_prefixes.h"

#define MAX_NH 64

struct nexthops {
	char gw[MAX_NH][96]; // "via GW[ dev PORT]"
	int ngw;
};

struct output {
	FILE *f;
	char buf[1 << 20];
	size_t len;
};

static void out_flush(struct output *o)
{
	fwrite(o->buf, 1, o->len, o->f);
	o->len = 0;
}

static char *put_u(char *p, unsigned v)
{
	char tmp[10];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static void write_route(struct output *o, int family, struct pfx p, const char *nh)
{
	char *s = o->buf + o->len;
	uint8_t a[16] = { 0 };
	size_t nhlen;

	if (o->len > sizeof(o->buf) - 256) {
		out_flush(o);
		s = o->buf;
	}
	if (family == 4) {
		for (int i = 0; i < 4; i++) {
			if (i > 0)
				*s++ = '.';
			s = put_u(s, (unsigned)(p.addr >> (56 - 8 * i)) & 0xff);
		}
	} else {
		for (int i = 0; i < 8; i++)
			a[i] = (uint8_t)(p.addr >> (56 - 8 * i));
		molt_addr_format(6, a, s, 48);
		s += strlen(s);
	}
	*s++ = '/';
	s = put_u(s, p.plen);
	*s++ = ' ';
	nhlen = strlen(nh);
	memcpy(s, nh, nhlen);
	s += nhlen;
	*s++ = '\n';
	o->len = (size_t)(s - o->buf);
}

struct args {
	uint64_t n4, n6, seed;
	struct nexthops nh4, nh6; // each entry: "via GW[ dev DEV]"
	const char *gw4, *gw6;
	char devs[MAX_NH][MOLT_PORT_NAME_MAX];
	int ndev;
	const char *out;
};

static int write_family(struct output *o, const struct args *a, int family)
{
	static const char blackhole[] = "blackhole";
	const struct nexthops *nh = family == 4 ? &a->nh4 : &a->nh6;
	uint64_t n = family == 4 ? a->n4 : a->n6, i, next = 0;
	struct rng r;
	struct pfx *p;

	if (n == 0)
		return 0;
	p = malloc(n * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	// One stream per family: --v6 does not change the IPv4 routes for the same seed.
	rng_seed(&r, a->seed * 2 + (family == 6));
	if (gen_prefixes(&r, family, n, p) < 0) {
		free(p);
		return -ENOSPC;
	}
	for (i = 0; i < n; i++) {
		// ~1% blackholes, like the discard routes of a real table.
		const char *h = rng_below(&r, 100) == 0 ? blackhole : nh->gw[next++ % nh->ngw];

		write_route(o, family, p[i], h);
	}
	free(p);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gen-routes [--v4 N] [--v6 M] [--seed S] [-o FILE]\n"
		   "                  [--gateways GW,...] [--v6-gateways GW,...] [--dev NAME,...]\n"
		   "\n"
		   "  --v4 N            IPv4 routes (default 0)\n"
		   "  --v6 M            IPv6 routes (default 0)\n"
		   "  --seed S          random seed (default 1); same seed, same file\n"
		   "  --gateways        IPv4 next hops, used in turn (default 10.0.1.2,10.0.2.2)\n"
		   "  --v6-gateways     IPv6 next hops (default fd00:1::2,fd00:2::2)\n"
		   "  --dev NAME,...    ports: gateway i is reached through port i mod count\n"
		   "  -o FILE           output file (default stdout)\n");
}

static int parse_count(const char *opt, const char *s, uint64_t *v)
{
	if (parse_u64(s, v) < 0) {
		fprintf(stderr, "gen-routes: %s: '%s' is not a number\n", opt, s);
		return -EINVAL;
	}
	return 0;
}

// Splits a comma-separated list into a static copy; returns the count or -EINVAL.
static int split(const char *opt, const char *list, char out[][48], int max)
{
	char copy[4096], *save = NULL, *tok;
	int n = 0;

	if (strlen(list) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max || strlen(tok) >= 48) {
			fprintf(stderr, "gen-routes: %s: too many or too long entries\n", opt);
			return -EINVAL;
		}
		strcpy(out[n++], tok);
	}
	return n;
}

static int build_nexthops(struct args *a, int family)
{
	struct nexthops *nh = family == 4 ? &a->nh4 : &a->nh6;
	const char *opt = family == 4 ? "--gateways" : "--v6-gateways";
	char gws[MAX_NH][48];
	uint8_t fam, addr[16];
	int n, i;

	n = split(opt, family == 4 ? a->gw4 : a->gw6, gws, MAX_NH);
	if (n <= 0) {
		fprintf(stderr, "gen-routes: %s: need at least one gateway\n", opt);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (molt_addr_parse(gws[i], &fam, addr) < 0 || fam != family) {
			fprintf(stderr, "gen-routes: %s: '%s' is not an IPv%d address\n", opt,
				gws[i], family);
			return -EINVAL;
		}
		if (a->ndev > 0)
			snprintf(nh->gw[i], sizeof(nh->gw[i]), "via %.47s dev %.15s", gws[i],
				 a->devs[i % a->ndev]);
		else
			snprintf(nh->gw[i], sizeof(nh->gw[i]), "via %.47s", gws[i]);
	}
	nh->ngw = n;
	return 0;
}

static int add_devs(struct args *a, const char *list)
{
	char names[MAX_NH][48];
	int n = split("--dev", list, names, MAX_NH - a->ndev);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (strlen(names[i]) >= MOLT_PORT_NAME_MAX) {
			fprintf(stderr, "gen-routes: --dev: '%s' is longer than %d characters\n",
				names[i], MOLT_PORT_NAME_MAX - 1);
			return -EINVAL;
		}
		strcpy(a->devs[a->ndev++], names[i]);
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "v4", required_argument, NULL, '4' },
		{ "v6", required_argument, NULL, '6' },
		{ "seed", required_argument, NULL, 's' },
		{ "gateways", required_argument, NULL, 'g' },
		{ "v6-gateways", required_argument, NULL, 'G' },
		{ "dev", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	a->seed = 1;
	a->gw4 = "10.0.1.2,10.0.2.2";
	a->gw6 = "fd00:1::2,fd00:2::2";
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case '4':
			if (parse_count("--v4", optarg, &a->n4) < 0)
				return -EINVAL;
			break;
		case '6':
			if (parse_count("--v6", optarg, &a->n6) < 0)
				return -EINVAL;
			break;
		case 's':
			if (parse_count("--seed", optarg, &a->seed) < 0)
				return -EINVAL;
			break;
		case 'g':
			a->gw4 = optarg;
			break;
		case 'G':
			a->gw6 = optarg;
			break;
		case 'd':
			if (add_devs(a, optarg) < 0)
				return -EINVAL;
			break;
		case 'o':
			a->out = optarg;
			break;
		default:
			return cli_other_option(c, usage);
		}
	}
	if (cli_no_operands("gen-routes", argc, argv, optind) < 0)
		return -EINVAL;
	if (build_nexthops(a, 4) < 0 || build_nexthops(a, 6) < 0)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static struct output o;
	static struct args a;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret != 0)
		return ret > 0 ? 0 : 2;
	o.f = a.out ? fopen(a.out, "w") : stdout;
	if (o.f == NULL) {
		fprintf(stderr, "gen-routes: %s: %s\n", a.out, strerror(errno));
		return 1;
	}
	fprintf(o.f, "# gen-routes --v4 %llu --v6 %llu --seed %llu\n", (unsigned long long)a.n4,
		(unsigned long long)a.n6, (unsigned long long)a.seed);
	if (write_family(&o, &a, 4) < 0 || write_family(&o, &a, 6) < 0) {
		fprintf(stderr, "gen-routes: failed\n");
		return 1;
	}
	out_flush(&o);
	if (fflush(o.f) != 0 || (a.out && fclose(o.f) != 0)) {
		fprintf(stderr, "gen-routes: writing %s: %s\n", a.out ? a.out : "stdout",
			strerror(errno));
		return 1;
	}
	return 0;
}
