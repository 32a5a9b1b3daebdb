// SPDX-License-Identifier: BSD-3-Clause
// Route-file line parser, address/prefix parsing and formatting, route hashing.
// The parser works on (pointer, length) tokens inside the caller's buffer: the route server
// loads million-line files and must not copy or allocate per line.
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/route.h"

// Longest token quoted back in an error message: enough to recognise it, short enough that
// a garbage line does not flood the log.
#define NEAR_MAX 64

struct tok {
	const char *p;
	size_t n;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// A line ends at NUL, newline, or a comment.
static bool is_end(char c)
{
	return c == '\0' || c == '\n' || c == '#';
}

static const char *next_token(const char *s, struct tok *t)
{
	while (is_blank(*s))
		s++;
	t->p = s;
	while (!is_end(*s) && !is_blank(*s))
		s++;
	t->n = (size_t)(s - t->p);
	return s;
}

static bool tok_eq(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->n == n && memcmp(t->p, word, n) == 0;
}

static int fail(char *err, size_t errlen, const struct tok *near, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, const struct tok *near, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (near != NULL && n >= 0 && (size_t)n < errlen) {
		int len = near->n > NEAR_MAX ? NEAR_MAX : (int)near->n;

		snprintf(err + n, errlen - (size_t)n, " (near '%.*s%s')", len, near->p,
			 near->n > NEAR_MAX ? "..." : "");
	}
	return -EINVAL;
}

// Dotted quad, exactly four decimal parts 0-255 without leading zeros (as inet_pton: "010"
// would mean 8 to some tools and 10 to others, so it is refused).
static int ip4_parse(const char *p, size_t n, uint8_t out[4])
{
	const char *end = p + n;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (p >= end || *p != '.')
				return -EINVAL;
			p++;
		}
		while (p < end && *p >= '0' && *p <= '9') {
			if (digits > 0 && v == 0)
				return -EINVAL;
			v = v * 10 + (unsigned)(*p - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
			p++;
		}
		if (digits == 0)
			return -EINVAL;
		out[part] = (uint8_t)v;
	}
	return p == end ? 0 : -EINVAL;
}

static int ip6_parse(const char *p, size_t n, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN];

	// inet_pton needs a NUL-terminated string; IPv6 lines are the minority, a stack copy is
	// cheap next to the conversion itself.
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -EINVAL;
}

static int addr_parse_n(const char *p, size_t n, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (memchr(p, ':', n) != NULL) {
		*family = 6;
		return ip6_parse(p, n, addr);
	}
	*family = 4;
	return ip4_parse(p, n, addr);
}

static unsigned family_bits(uint8_t family)
{
	return family == 4 ? 32 : 128;
}

// Clears the bits of addr beyond plen; returns true when any was set.
static bool clear_host_bits(uint8_t addr[16], unsigned plen)
{
	bool had = false;
	unsigned i;

	for (i = plen / 8; i < 16; i++) {
		uint8_t keep = 0;

		if (i == plen / 8 && plen % 8)
			keep = (uint8_t)(0xff << (8 - plen % 8));
		if (addr[i] & ~keep)
			had = true;
		addr[i] &= keep;
	}
	return had;
}

static int prefix_parse_n(const struct tok *t, uint8_t *family, uint8_t addr[16], uint8_t *plen,
			  bool allow_host_bits, char *err, size_t errlen)
{
	const char *slash = memchr(t->p, '/', t->n);
	const char *lp, *end = t->p + t->n;
	unsigned len = 0, max;
	char a[INET6_ADDRSTRLEN];

	if (slash == NULL) {
		if (addr_parse_n(t->p, t->n, family, addr) < 0)
			return fail(err, errlen, t, "invalid prefix: expected ADDRESS/LENGTH");
		return fail(err, errlen, t,
			    "missing prefix length: write %.*s/%u for a single host", (int)t->n,
			    t->p, family_bits(*family));
	}
	if (addr_parse_n(t->p, (size_t)(slash - t->p), family, addr) < 0)
		return fail(err, errlen, t, "invalid address in prefix");
	max = family_bits(*family);
	lp = slash + 1;
	if (lp == end || end - lp > 3)
		return fail(err, errlen, t, "invalid prefix length (IPv%u allows 0-%u)", *family,
			    max);
	for (; lp < end; lp++) {
		if (*lp < '0' || *lp > '9')
			return fail(err, errlen, t, "invalid prefix length (IPv%u allows 0-%u)",
				    *family, max);
		len = len * 10 + (unsigned)(*lp - '0');
	}
	if (len > max)
		return fail(err, errlen, t, "prefix length %u too long (IPv%u allows 0-%u)", len,
			    *family, max);
	*plen = (uint8_t)len;
	if (allow_host_bits)
		return 0;
	if (clear_host_bits(addr, len)) {
		molt_addr_format(*family, addr, a, sizeof(a));
		return fail(err, errlen, NULL, "host bits set in %.*s, did you mean %s/%u?",
			    (int)(t->n > NEAR_MAX ? NEAR_MAX : t->n), t->p, a, len);
	}
	return 0;
}

int molt_prefix_parse(const char *s, uint8_t *family, uint8_t addr[16], uint8_t *plen,
		      bool allow_host_bits, char *err, size_t errlen)
{
	struct tok t = { s, strlen(s) };

	if (errlen > 0)
		err[0] = '\0';
	return prefix_parse_n(&t, family, addr, plen, allow_host_bits, err, errlen);
}

int molt_addr_parse(const char *s, uint8_t *family, uint8_t addr[16])
{
	return addr_parse_n(s, strlen(s), family, addr);
}

static bool is_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

static int parse_via(struct molt_route *r, const struct tok *kw, const struct tok *t, char *err,
		     size_t errlen)
{
	uint8_t fam;

	if (t->n == 0)
		return fail(err, errlen, kw, "'via' needs a gateway address");
	if (addr_parse_n(t->p, t->n, &fam, r->gateway) < 0)
		return fail(err, errlen, t, "invalid gateway address");
	if (fam != r->family)
		return fail(err, errlen, t, "gateway is IPv%u but the prefix is IPv%u", fam,
			    r->family);
	if (is_zero(r->gateway, 16))
		return fail(err, errlen, t, "gateway cannot be the unspecified address");
	return 0;
}

static int parse_dev(struct molt_route *r, const struct tok *kw, const struct tok *t, char *err,
		     size_t errlen)
{
	if (t->n == 0)
		return fail(err, errlen, kw, "'dev' needs a port name");
	if (t->n >= MOLT_PORT_NAME_MAX)
		return fail(err, errlen, t, "port name longer than %d characters",
			    MOLT_PORT_NAME_MAX - 1);
	memcpy(r->dev, t->p, t->n);
	return 0;
}

static bool is_link_local6(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

int molt_route_parse(const char *line, struct molt_route *r, char *err, size_t errlen)
{
	bool via = false, dev = false, blackhole = false;
	struct tok t, kw, pfx;
	const char *s;
	int ret;

	memset(r, 0, sizeof(*r));
	if (errlen > 0)
		err[0] = '\0';

	s = next_token(line, &pfx);
	if (pfx.n == 0)
		return 1;
	if (tok_eq(&pfx, "default"))
		return fail(err, errlen, &pfx, "write 0.0.0.0/0 or ::/0 for a default route");
	ret = prefix_parse_n(&pfx, &r->family, r->prefix, &r->plen, false, err, errlen);
	if (ret < 0)
		return ret;

	for (;;) {
		s = next_token(s, &kw);
		if (kw.n == 0)
			break;
		if (tok_eq(&kw, "via") || tok_eq(&kw, "dev")) {
			bool is_via = kw.p[0] == 'v';

			if (is_via ? via : dev)
				return fail(err, errlen, &kw, "'%.*s' given twice", (int)kw.n,
					    kw.p);
			s = next_token(s, &t);
			ret = is_via ? parse_via(r, &kw, &t, err, errlen)
				     : parse_dev(r, &kw, &t, err, errlen);
			if (ret < 0)
				return ret;
			if (is_via)
				via = true;
			else
				dev = true;
		} else if (tok_eq(&kw, "blackhole")) {
			if (blackhole)
				return fail(err, errlen, &kw, "'blackhole' given twice");
			blackhole = true;
		} else {
			return fail(err, errlen, &kw,
				    "unknown keyword (expected via, dev, blackhole or nexthop)");
		}
	}

	if (blackhole && (via || dev))
		return fail(err, errlen, &pfx, "a blackhole route takes no 'via' or 'dev'");
	if (!blackhole && !via && !dev)
		return fail(err, errlen, &pfx,
			    "no next hop: add 'via GATEWAY', 'dev PORT' or 'blackhole'");
	// A link-local address means nothing without the link it is on.
	if (via && r->family == 6 && is_link_local6(r->gateway) && !dev)
		return fail(err, errlen, &pfx, "link-local gateway needs 'dev PORT'");

	r->type = blackhole ? MOLT_RT_BLACKHOLE : via ? MOLT_RT_VIA : MOLT_RT_DEV;
	return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int path_cmp(const void *a, const void *b)
{
	const struct molt_path *x = a, *y = b;
	int c = memcmp(x->gateway, y->gateway, sizeof(x->gateway));

	if (c == 0)
		c = strncmp(x->dev, y->dev, sizeof(x->dev));
	if (c == 0)
		c = (int)x->weight - (int)y->weight;
	return c;
}

void molt_route_set_paths(struct molt_route *r, struct molt_path *paths, unsigned n,
			  struct molt_route *recs)
{
	uint64_t id = 0x6d6f6c7467727570ULL ^ ((uint64_t)r->family << 8) ^ n; // "moltgrup"
	unsigned i, j;

	qsort(paths, n, sizeof(*paths), path_cmp);
	for (i = 0; i < n; i++) {
		const struct molt_path *p = &paths[i];

		for (j = 0; j < 16; j += 8)
			id = molt_mix64(id ^ get64(p->gateway + j)) + j;
		for (j = 0; j + 8 <= sizeof(p->dev); j += 8)
			id = molt_mix64(id ^ get64((const uint8_t *)p->dev + j)) + j;
		id = molt_mix64(id ^ p->weight);
	}
	if (id == 0)
		id = 1;
	r->type = MOLT_RT_MULTIPATH;
	memset(r->gateway, 0, sizeof(r->gateway));
	memset(r->dev, 0, sizeof(r->dev));
	put64(r->gateway, id);
	r->gateway[8] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		struct molt_route *g = &recs[i];

		molt_route_group_key(r, i, g);
		g->type = MOLT_RT_GROUP_PATH;
		g->reserved = (uint8_t)(paths[i].weight - 1);
		memcpy(g->gateway, paths[i].gateway, sizeof(g->gateway));
		memcpy(g->dev, paths[i].dev, sizeof(g->dev));
	}
}

uint64_t molt_route_group_id(const struct molt_route *r)
{
	return get64(r->type == MOLT_RT_MULTIPATH ? r->gateway : r->prefix);
}

unsigned molt_route_group_size(const struct molt_route *r)
{
	return r->type == MOLT_RT_MULTIPATH ? r->gateway[8] : r->prefix[8];
}

void molt_route_group_key(const struct molt_route *r, unsigned idx, struct molt_route *key)
{
	memset(key, 0, sizeof(*key));
	key->family = MOLT_FAMILY_GROUP;
	key->plen = (uint8_t)idx;
	memcpy(key->prefix, r->gateway, 9); // id and path count
	key->prefix[9] = r->family;
}

void molt_route_group_path(const struct molt_route *rec, struct molt_path *p)
{
	memset(p, 0, sizeof(*p));
	p->family = rec->prefix[9];
	p->weight = (uint16_t)(rec->reserved + 1);
	memcpy(p->gateway, rec->gateway, sizeof(p->gateway));
	memcpy(p->dev, rec->dev, sizeof(p->dev));
}

static int parse_weight(uint16_t *w, const struct tok *kw, const struct tok *t, char *err,
			size_t errlen)
{
	unsigned v = 0;
	size_t i;

	if (t->n == 0)
		return fail(err, errlen, kw, "'weight' needs a number (1-%d)", MOLT_WEIGHT_MAX);
	for (i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9' || i >= 3)
			return fail(err, errlen, t, "weight must be 1-%d", MOLT_WEIGHT_MAX);
		v = v * 10 + (unsigned)(t->p[i] - '0');
	}
	if (v < 1 || v > MOLT_WEIGHT_MAX)
		return fail(err, errlen, t, "weight must be 1-%d", MOLT_WEIGHT_MAX);
	*w = (uint16_t)v;
	return 0;
}

// One 'nexthop' of the multipath form: s points after the keyword. Returns the position of the
// next 'nexthop' (or the end) and fills p, or NULL with err set.
static const char *parse_nexthop(const char *s, struct molt_route *one, const struct tok *nh,
				 struct molt_path *p, char *err, size_t errlen)
{
	bool via = false, dev = false, weight = false;
	struct tok kw, t;
	const char *after;

	memset(one->gateway, 0, sizeof(one->gateway));
	memset(one->dev, 0, sizeof(one->dev));
	memset(p, 0, sizeof(*p));
	p->weight = 1;
	for (;;) {
		after = next_token(s, &kw);
		if (kw.n == 0 || tok_eq(&kw, "nexthop"))
			break;
		s = next_token(after, &t);
		if (tok_eq(&kw, "via") && !via) {
			via = true;
			if (parse_via(one, &kw, &t, err, errlen) < 0)
				return NULL;
		} else if (tok_eq(&kw, "dev") && !dev) {
			dev = true;
			if (parse_dev(one, &kw, &t, err, errlen) < 0)
				return NULL;
		} else if (tok_eq(&kw, "weight") && !weight) {
			weight = true;
			if (parse_weight(&p->weight, &kw, &t, err, errlen) < 0)
				return NULL;
		} else if (tok_eq(&kw, "via") || tok_eq(&kw, "dev") || tok_eq(&kw, "weight")) {
			fail(err, errlen, &kw, "'%.*s' given twice in one nexthop", (int)kw.n,
			     kw.p);
			return NULL;
		} else {
			fail(err, errlen, &kw,
			     "unknown keyword in a nexthop (expected via, dev or weight)");
			return NULL;
		}
	}
	if (!via) {
		fail(err, errlen, nh,
		     "a nexthop needs 'via GATEWAY' (multipath over 'dev' only "
		     "is not supported)");
		return NULL;
	}
	if (one->family == 6 && is_link_local6(one->gateway) && !dev) {
		fail(err, errlen, nh, "link-local gateway needs 'dev PORT'");
		return NULL;
	}
	p->family = one->family;
	memcpy(p->gateway, one->gateway, sizeof(p->gateway));
	memcpy(p->dev, one->dev, sizeof(p->dev));
	return s;
}

int molt_route_parse_multi(const char *line, struct molt_route out[MOLT_ROUTE_RECS_MAX], char *err,
			   size_t errlen)
{
	struct molt_path paths[MOLT_MAX_PATHS];
	struct molt_route r, one;
	struct tok pfx, kw;
	unsigned n = 0, i;
	const char *s;
	int ret;

	s = next_token(line, &pfx);
	next_token(s, &kw);
	if (!tok_eq(&kw, "nexthop")) {
		ret = molt_route_parse(line, &out[0], err, errlen);
		return ret == 0 ? 1 : ret == 1 ? 0 : ret;
	}
	memset(&r, 0, sizeof(r));
	if (errlen > 0)
		err[0] = '\0';
	ret = prefix_parse_n(&pfx, &r.family, r.prefix, &r.plen, false, err, errlen);
	if (ret < 0)
		return ret;
	one = r;
	while (kw.n != 0) {
		s = next_token(s, &kw); // 'nexthop'
		if (n == MOLT_MAX_PATHS)
			return fail(err, errlen, &kw, "more than %d nexthops", MOLT_MAX_PATHS);
		s = parse_nexthop(s, &one, &kw, &paths[n], err, errlen);
		if (s == NULL)
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (memcmp(paths[i].gateway, paths[n].gateway, 16) == 0 &&
			    strncmp(paths[i].dev, paths[n].dev, MOLT_PORT_NAME_MAX) == 0)
				return fail(err, errlen, &kw, "the same nexthop is given twice");
		n++;
		next_token(s, &kw);
	}
	if (n == 1) {
		r.type = MOLT_RT_VIA;
		memcpy(r.gateway, paths[0].gateway, sizeof(r.gateway));
		memcpy(r.dev, paths[0].dev, sizeof(r.dev));
		out[0] = r;
		return 1;
	}
	molt_route_set_paths(&r, paths, n, out);
	out[n] = r;
	return (int)n + 1;
}

int molt_route_format_paths(const struct molt_route *r, const struct molt_path *paths, unsigned n,
			    char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t off;
	unsigned i;
	int k;

	if (r->type != MOLT_RT_MULTIPATH)
		return molt_route_format(r, buf, len);
	k = snprintf(buf, len, "%s/%u", molt_addr_format(r->family, r->prefix, a, sizeof(a)),
		     r->plen);
	off = k > 0 ? (size_t)k : 0;
	for (i = 0; i < n; i++) {
		const struct molt_path *p = &paths[i];
		char w[16] = "";

		if (p->weight != 1)
			snprintf(w, sizeof(w), " weight %u", p->weight);
		k = snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0,
			     " nexthop via %s%s%.*s%s",
			     molt_addr_format(p->family, p->gateway, a, sizeof(a)),
			     p->dev[0] != '\0' ? " dev " : "", MOLT_PORT_NAME_MAX, p->dev, w);
		off += k > 0 ? (size_t)k : 0;
	}
	return (int)off;
}

const char *molt_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len)
{
	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int molt_route_format(const struct molt_route *r, char *buf, size_t len)
{
	char p[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	if (r->type != MOLT_RT_GROUP_PATH)
		molt_addr_format(r->family, r->prefix, p, sizeof(p));
	switch (r->type) {
	case MOLT_RT_BLACKHOLE:
		return snprintf(buf, len, "%s/%u blackhole", p, r->plen);
	case MOLT_RT_DEV:
		return snprintf(buf, len, "%s/%u dev %.*s", p, r->plen, MOLT_PORT_NAME_MAX, r->dev);
	case MOLT_RT_MULTIPATH:
		return snprintf(buf, len, "%s/%u group %016llx (%u paths)", p, r->plen,
				(unsigned long long)molt_route_group_id(r),
				molt_route_group_size(r));
	case MOLT_RT_GROUP_PATH:
		molt_addr_format(r->prefix[9], r->gateway, g, sizeof(g));
		return snprintf(buf, len, "group %016llx path %u/%u via %s%s%.*s weight %u",
				(unsigned long long)molt_route_group_id(r), r->plen,
				molt_route_group_size(r), g, r->dev[0] != '\0' ? " dev " : "",
				MOLT_PORT_NAME_MAX, r->dev, r->reserved + 1u);
	default:
		molt_addr_format(r->family, r->gateway, g, sizeof(g));
		if (r->dev[0] != '\0')
			return snprintf(buf, len, "%s/%u via %s dev %.*s", p, r->plen, g,
					MOLT_PORT_NAME_MAX, r->dev);
		return snprintf(buf, len, "%s/%u via %s", p, r->plen, g);
	}
}

bool molt_route_same_key(const struct molt_route *a, const struct molt_route *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       memcmp(a->prefix, b->prefix, sizeof(a->prefix)) == 0;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

// Two rounds of xor-shift-multiply: every input bit reaches every output bit.
uint64_t molt_mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

uint64_t molt_route_hash(const struct molt_route *r)
{
	const uint8_t *p = (const uint8_t *)r;
	uint64_t h = 0x6d6f6c74726f7574ULL ^ sizeof(*r); // "moltrout"
	uint32_t tail;
	size_t i;

	// Chained, not xor-ed word by word: swapping two words changes the hash, so a route and
	// its byte-shuffled twin do not cancel out in the table digest.
	for (i = 0; i + 8 <= sizeof(*r); i += 8)
		h = molt_mix64(h ^ load64(p + i)) + i;
	memcpy(&tail, p + i, sizeof(tail));
	return molt_mix64(h ^ tail);
}
