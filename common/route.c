// SPDX-License-Identifier: BSD-3-Clause
// Route-file line parser, address/prefix parsing and formatting, route hashing.
// The parser works on (pointer, length) tokens inside the caller's buffer: the route server
// loads million-line files and must not copy or allocate per line.
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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
				    "unknown keyword (expected via, dev or blackhole)");
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

const char *molt_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len)
{
	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int molt_route_format(const struct molt_route *r, char *buf, size_t len)
{
	char p[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	molt_addr_format(r->family, r->prefix, p, sizeof(p));
	switch (r->type) {
	case MOLT_RT_BLACKHOLE:
		return snprintf(buf, len, "%s/%u blackhole", p, r->plen);
	case MOLT_RT_DEV:
		return snprintf(buf, len, "%s/%u dev %.*s", p, r->plen, MOLT_PORT_NAME_MAX, r->dev);
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
