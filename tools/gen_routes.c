// SPDX-License-Identifier: BSD-3-Clause
// gen-routes: writes a synthetic, Internet-shaped route file, deterministic for a seed.
// IPv4 lengths follow the shape of a full BGP table (60% /24, most of the rest /16-/23, ~1%
// /8-/15); IPv6 is mostly /48 with /32-/44 allocations and some /64. About a third of the
// longer prefixes are carved out of shorter ones already generated, so covering prefixes
// overlap as they do in real tables. Test ranges (10/8, fd00::/8) are never generated.
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/route.h"

#define MAX_NH 64
#define TRIES 64

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

// xoshiro256**: fast, and good enough that prefixes spread over the whole space.
static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

// A prefix of at most 64 significant bits: all IPv4 and all generated IPv6 prefixes fit.
struct pfx {
	uint64_t addr; // left-aligned: IPv4 in the top 32 bits, IPv6 its first 64 bits
	uint8_t plen;
};

// Set of prefixes already generated (open addressing, never shrinks).
struct pset {
	struct pfx *slots; // plen 0xff: empty
	uint64_t mask;
};

static int pset_init(struct pset *s, uint64_t n)
{
	uint64_t size = 1024;

	while (size < n * 2)
		size <<= 1;
	s->slots = malloc(size * sizeof(*s->slots));
	if (s->slots == NULL)
		return -ENOMEM;
	memset(s->slots, 0xff, size * sizeof(*s->slots));
	s->mask = size - 1;
	return 0;
}

// Returns true if p was new (and is now in the set).
static bool pset_add(struct pset *s, struct pfx p)
{
	uint64_t h = (p.addr ^ p.plen) * 0x9e3779b97f4a7c15ULL, i;

	for (i = (h ^ h >> 29) & s->mask; s->slots[i].plen != 0xff; i = (i + 1) & s->mask)
		if (s->slots[i].addr == p.addr && s->slots[i].plen == p.plen)
			return false;
	s->slots[i] = p;
	return true;
}

static uint64_t mask_of(unsigned plen)
{
	return plen == 0 ? 0 : ~0ULL << (64 - plen);
}

static bool overlaps(struct pfx p, uint64_t addr, unsigned plen)
{
	return ((p.addr ^ addr) & mask_of(p.plen < plen ? p.plen : plen)) == 0;
}

// Ranges a generated prefix may neither fall in nor cover: not globally routed, or used by our
// own test networks (10/8, and fd00::/8 outside 2000::/3 anyway).
static const struct pfx avoid4[] = {
	{ 0x00000000ULL << 32, 8 },  { 0x0a000000ULL << 32, 8 }, { 0x7f000000ULL << 32, 8 },
	{ 0xe0000000ULL << 32, 3 },  { 0x64400000ULL << 32, 10 }, { 0xa9fe0000ULL << 32, 16 },
	{ 0xac100000ULL << 32, 12 }, { 0xc0a80000ULL << 32, 16 },
};
static const struct pfx avoid6[] = {
	{ 0x20010db800000000ULL, 32 }, // documentation
	{ 0x2002000000000000ULL, 16 }, // 6to4
};

struct family_gen {
	int family;
	const unsigned (*weights)[2]; // {plen, per 100000}
	size_t nweights;
	unsigned cover_min;	   // prefixes at least this long may be carved from a parent
	unsigned parent_max;	   // prefixes at most this long serve as parents
	uint64_t base, base_mask;  // all prefixes inside this (2000::/3 for IPv6)
	const struct pfx *avoid;
	size_t navoid;
};

static const unsigned weights4[][2] = {
	{ 8, 15 },     { 9, 15 },     { 10, 30 },    { 11, 60 },    { 12, 100 },
	{ 13, 180 },   { 14, 250 },   { 15, 350 },   { 16, 2300 },  { 17, 1200 },
	{ 18, 2000 },  { 19, 3500 },  { 20, 4600 },  { 21, 5500 },  { 22, 10500 },
	{ 23, 9400 },  { 24, 60000 },
};
static const unsigned weights6[][2] = {
	{ 32, 11000 }, { 33, 1500 }, { 34, 1500 }, { 35, 1000 }, { 36, 5000 }, { 37, 1000 },
	{ 38, 1500 },  { 39, 1000 }, { 40, 7000 }, { 41, 500 },  { 42, 1500 }, { 43, 500 },
	{ 44, 6000 },  { 45, 1000 }, { 46, 2000 }, { 47, 2000 }, { 48, 53000 }, { 64, 3000 },
};

static unsigned pick_plen(struct rng *r, const struct family_gen *f)
{
	uint32_t x = rng_below(r, 100000);
	size_t i;

	for (i = 0; i < f->nweights; i++) {
		if (x < f->weights[i][1])
			return f->weights[i][0];
		x -= f->weights[i][1];
	}
	return f->weights[f->nweights - 1][0];
}

static bool allowed(const struct family_gen *f, uint64_t addr, unsigned plen)
{
	for (size_t i = 0; i < f->navoid; i++)
		if (overlaps(f->avoid[i], addr, plen))
			return false;
	return true;
}

struct gen_state {
	struct pset set;
	struct pfx *parents; // generated prefixes short enough to carve from
	uint64_t nparents;
};

static uint64_t random_addr(struct rng *r, const struct family_gen *f, unsigned plen,
			    const struct gen_state *g)
{
	uint64_t a = rng_next(r);

	// A third of the long prefixes sit inside a shorter one: real tables are full of
	// more-specifics under their aggregate.
	if (plen >= f->cover_min && g->nparents > 0 && rng_below(r, 3) == 0) {
		struct pfx p = g->parents[rng_below(r, (uint32_t)g->nparents)];

		if (p.plen < plen)
			return (p.addr & mask_of(p.plen)) | (a & ~mask_of(p.plen) & mask_of(plen));
	}
	return ((f->base & f->base_mask) | (a & ~f->base_mask)) & mask_of(plen);
}

static int gen_family(struct rng *r, const struct family_gen *f, uint64_t n, struct pfx *out)
{
	struct gen_state g = { 0 };
	uint64_t i;

	if (pset_init(&g.set, n) < 0 || (g.parents = malloc((n + 1) * sizeof(*g.parents))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		unsigned plen = pick_plen(r, f), max = f->family == 4 ? 32 : 64;
		bool done = false;

		// A crowded length (there are few /8s) falls through to longer ones.
		for (; plen <= max && !done; plen++) {
			for (int t = 0; t < TRIES && !done; t++) {
				struct pfx p = { random_addr(r, f, plen, &g), (uint8_t)plen };

				if (allowed(f, p.addr, plen) && pset_add(&g.set, p)) {
					out[i] = p;
					if (plen <= f->parent_max)
						g.parents[g.nparents++] = p;
					done = true;
				}
			}
		}
		if (!done) {
			fprintf(stderr, "gen-routes: ran out of unique IPv%d prefixes after %llu\n",
				f->family, (unsigned long long)i);
			free(g.set.slots);
			free(g.parents);
			return -ENOSPC;
		}
	}
	free(g.set.slots);
	free(g.parents);
	return 0;
}

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
	const struct family_gen f4 = { 4, weights4, 17, 17, 22, 0, 0, avoid4, 8 };
	const struct family_gen f6 = { 6, weights6, 18, 36, 44, 0x2000000000000000ULL,
				       0xe000000000000000ULL, avoid6, 2 };
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
	if (gen_family(&r, family == 4 ? &f4 : &f6, n, p) < 0) {
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
	fprintf(f,
		"usage: gen-routes [--v4 N] [--v6 M] [--seed S] [-o FILE]\n"
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
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || s[0] == '-' || s[0] == '\0') {
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
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gen-routes: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
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
