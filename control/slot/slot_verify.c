// SPDX-License-Identifier: BSD-3-Clause
// Content digest of a slot, by walking its FIBs through the driver, and a check of the lookups
// workers make against the rules that walk reports.
//
// What this catches: any divergence between the rules the FIBs report and the set the control
// thread installed — a rule added, removed or re-pointed behind the slot machinery's back
// through the driver ops, a next hop whose kind, port or gateway changed, a next-hop index out
// of range — and any lookup answer that disagrees with those rules at an address where the
// answer may change: every rule's first address, and the first address after every rule. That
// covers the structure workers read, which for the lpm, fib and molt drivers is not the rule
// table walk reports (they keep one beside the DPDK tables or the sealed molt image): a
// structure that was not rebuilt after a change, or whose entries at those addresses went
// wrong, fails. What it does not: a corrupted entry strictly inside a range of one answer
// (tbl24/tbl8 or image bytes no boundary address reads) stays invisible, and so does a rule the
// structure holds but the walk does not (a delete not sealed into a molt image) unless a probed
// address falls inside it. Metabolism is the answer to that class: the tables are thrown away
// and rebuilt on a period regardless.
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "common/route.h"
#include "control/slot/slot_verify.h"

uint64_t slot_rule_hash(uint8_t family, const uint8_t *prefix, uint8_t plen,
			const struct molt_nh *nh)
{
	uint8_t buf[40] = { 0 };
	uint64_t h = 0;
	unsigned n = family == 4 ? 4 : 16, len = 8 + n;

	buf[0] = family;
	buf[1] = plen;
	buf[2] = nh->kind;
	buf[3] = nh->family;
	memcpy(buf + 4, &nh->port, sizeof(nh->port));
	for (unsigned i = 0; i < n; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;

		buf[8 + i] = bits >= 8 ? prefix[i] : (uint8_t)(prefix[i] & (0xff00 >> bits));
	}
	if (nh->kind == NH_UNRESOLVED) {
		memcpy(buf + len, nh->gateway, nh->family == 4 ? 4 : 16);
		len += nh->family == 4 ? 4 : 16;
	} else if (nh->kind == NH_GROUP) {
		memcpy(buf + len, nh->gateway, 8); // the group id
		len += 8;
	}
	// Only the bytes in use, packed: the first 8 say the families and kind, so the layout of
	// the rest is known and no two rules encode alike. Chained a word at a time, each word mixed
	// into everything before it: this runs twice per route of every build (the expected digest,
	// then the walk), and an IPv4 rule is two mixes.
	for (unsigned i = 0; i < len; i += 8) {
		uint64_t w;

		memcpy(&w, buf + i, sizeof(w));
		h = molt_mix64(h ^ w);
	}
	return h;
}

struct walk {
	const struct slot *s;
	uint8_t family;
	struct slot_verify_result *res;
};

static int walk_cb(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	struct walk *w = arg;
	uint8_t p[16] = { 0 };

	w->res->rules++;
	if (nh >= w->s->nh_count) {
		w->res->bad_nh++;
		return 0;
	}
	if (w->family == 4) {
		uint32_t ip;

		// Drivers walk IPv4 as a host-order uint32_t; the hash takes network order.
		memcpy(&ip, prefix, 4);
		ip = rte_cpu_to_be_32(ip);
		memcpy(p, &ip, 4);
	} else {
		memcpy(p, prefix, 16);
	}
	w->res->digest += slot_rule_hash(w->family, p, plen, &w->s->nh[nh]);
	return 0;
}

// --- lookups -----------------------------------------------------------------------------------

typedef unsigned __int128 addr_t; // an address of either family as an integer (IPv4: < 2^32)

// One rule as the interval of addresses it covers.
struct span {
	addr_t start, end;
	uint32_t nh;
	uint8_t plen;
};

#define PROBE_BURST 64

// The rules of one FIB sorted by (start, plen): for prefixes, that is each rule after every
// rule that contains it. A sweep keeps the chain of rules containing the current address on a
// stack and probes every address where the longest match may change.
struct sweep {
	const struct fib_ops *ops;
	const struct fib *fib;
	uint8_t family;
	addr_t max; // last address of the family
	struct span *v;
	size_t n, cap;
	struct span stack[129 + 1]; // a chain of nested rules: at most one per length
	unsigned depth;
	// the burst being collected, and what the rules say each address must give
	union {
		uint32_t a4[PROBE_BURST];
		uint8_t a6[PROBE_BURST][16];
	};
	uint32_t want[PROBE_BURST];
	unsigned k;
	struct slot_verify_result *res;
	addr_t bad_addr; // the first wrong answer, for the message
	uint32_t bad_got, bad_want;
};

static int span_cb(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	struct sweep *w = arg;
	unsigned bits = w->family == 4 ? 32 : 128;
	addr_t a = 0;

	if (w->n == w->cap)
		return 0; // more rules than count said: the walk's own check reports it
	if (w->family == 4) {
		uint32_t ip;

		memcpy(&ip, prefix, 4); // host order, as the driver walks IPv4
		a = ip;
	} else {
		for (unsigned i = 0; i < 16; i++)
			a = a << 8 | prefix[i];
	}
	// plen 0 covers the family; otherwise end = start + 2^(bits - plen) - 1.
	w->v[w->n++] = (struct span){
		.start = a,
		.end = plen == 0 ? w->max : a + (((addr_t)1 << (bits - plen)) - 1),
		.nh = nh,
		.plen = plen,
	};
	return 0;
}

static int span_cmp(const void *x, const void *y)
{
	const struct span *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (int)a->plen - (int)b->plen;
}

static void flush(struct sweep *w)
{
	uint32_t got[PROBE_BURST];

	if (w->k == 0)
		return;
	w->ops->lookup_bulk(w->fib, w->family == 4 ? (const void *)w->a4 : (const void *)w->a6, got,
			    w->k);
	for (unsigned i = 0; i < w->k; i++) {
		if (got[i] == w->want[i])
			continue;
		if (w->res->wrong++ == 0) {
			addr_t a = 0;

			if (w->family == 4)
				a = w->a4[i];
			else
				for (unsigned b = 0; b < 16; b++)
					a = a << 8 | w->a6[i][b];
			w->bad_addr = a;
			w->bad_got = got[i];
			w->bad_want = w->want[i];
		}
	}
	w->res->probes += w->k;
	w->k = 0;
}

static void probe(struct sweep *w, addr_t a, uint32_t want)
{
	if (w->family == 4) {
		w->a4[w->k] = (uint32_t)a;
	} else {
		for (int b = 15; b >= 0; b--, a >>= 8)
			w->a6[w->k][b] = (uint8_t)a;
	}
	w->want[w->k++] = want;
	if (w->k == PROBE_BURST)
		flush(w);
}

// Leaves the rules that end before `next` (every one when `all`), probing the address after
// each: the longest match there is the innermost rule still open (or none). An address that is
// the start of the next rule is probed as that rule's start instead.
static void close_before(struct sweep *w, addr_t next, bool all)
{
	while (w->depth > 0 && (all || w->stack[w->depth - 1].end < next)) {
		addr_t end = w->stack[w->depth - 1].end;

		// Nested rules may end together: all of them end before end + 1.
		while (w->depth > 0 && w->stack[w->depth - 1].end == end)
			w->depth--;
		if (end == w->max || (!all && end + 1 == next))
			continue;
		probe(w, end + 1, w->depth > 0 ? w->stack[w->depth - 1].nh : FIB_NH_MISS);
	}
}

// Checks the lookups of one FIB against its walk. Returns 0 or -ENOMEM.
static int sweep_family(struct sweep *w)
{
	uint64_t count = w->ops->count(w->fib);

	w->max = w->family == 4 ? UINT32_MAX : ~(addr_t)0;
	w->cap = count;
	w->n = w->depth = w->k = 0;
	w->v = malloc((count ? count : 1) * sizeof(*w->v));
	if (w->v == NULL)
		return -ENOMEM;
	w->ops->walk(w->fib, span_cb, w);
	qsort(w->v, w->n, sizeof(*w->v), span_cmp);
	for (size_t i = 0; i < w->n; i++) {
		const struct span *r = &w->v[i];

		close_before(w, r->start, false);
		// The longest rule starting here answers here: a longer rule that contains this
		// address starts here too (host bits zero), and sorts after every shorter one.
		if (i + 1 == w->n || w->v[i + 1].start != r->start)
			probe(w, r->start, r->nh);
		w->stack[w->depth++] = *r;
	}
	close_before(w, 0, true);
	// No rule at address 0 (or none at all): the first address must miss.
	if (w->n == 0 || w->v[0].start != 0)
		probe(w, 0, FIB_NH_MISS);
	flush(w);
	free(w->v);
	w->v = NULL;
	return 0;
}

static void format_addr(uint8_t family, addr_t a, char *buf, size_t len)
{
	uint8_t b[16];
	unsigned n = family == 4 ? 4 : 16;

	for (int i = (int)n - 1; i >= 0; i--, a >>= 8)
		b[i] = (uint8_t)a;
	if (family == 4) {
		snprintf(buf, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return;
	}
	size_t off = 0;
	for (unsigned i = 0; i < 16 && off < len; i += 2)
		off += (size_t)snprintf(buf + off, len - off, "%s%x", i ? ":" : "",
					b[i] << 8 | b[i + 1]);
}

static void nh_name(uint32_t nh, char *buf, size_t len)
{
	if (nh == FIB_NH_MISS)
		snprintf(buf, len, "a miss");
	else
		snprintf(buf, len, "next hop %u", nh);
}

static int check_lookups(const struct slot *s, struct slot_verify_result *res, char *err,
			 size_t errlen)
{
	struct sweep *w = calloc(1, sizeof(*w));
	int ret = 0;

	if (w == NULL)
		return -ENOMEM;
	w->res = res;
	for (uint8_t family = 4; family <= 6 && ret == 0; family += 2) {
		char a[48], got[24], want[24];

		w->family = family;
		w->ops = family == 4 ? s->ops4 : s->ops6;
		w->fib = family == 4 ? s->fib4 : s->fib6;
		if ((ret = sweep_family(w)) < 0) {
			snprintf(err, errlen, "slot %u: no memory to check its lookups", s->id);
			break;
		}
		if (res->wrong == 0)
			continue;
		format_addr(family, w->bad_addr, a, sizeof(a));
		nh_name(w->bad_got, got, sizeof(got));
		nh_name(w->bad_want, want, sizeof(want));
		snprintf(err, errlen,
			 "slot %u (generation %" PRIu64 ", driver %s): %" PRIu64 " of %" PRIu64
			 " IPv%u lookups disagree with its rules, e.g. %s gives %s, its rules %s",
			 s->id, s->generation, s->driver->name, res->wrong, res->probes, family, a,
			 got, want);
		ret = -EBADMSG;
	}
	free(w);
	return ret;
}

int slot_verify(const struct slot *s, uint64_t rules, uint64_t digest,
		struct slot_verify_result *res, char *err, size_t errlen)
{
	struct slot_verify_result local;
	struct walk w = { .s = s, .res = res != NULL ? res : &local };

	memset(w.res, 0, sizeof(*w.res));
	w.family = 4;
	s->ops4->walk(s->fib4, walk_cb, &w);
	w.family = 6;
	s->ops6->walk(s->fib6, walk_cb, &w);
	if (w.res->bad_nh > 0) {
		snprintf(err, errlen,
			 "slot %u (generation %" PRIu64 "): %" PRIu64 " rules point "
			 "past its %u next hops",
			 s->id, s->generation, w.res->bad_nh, s->nh_count);
		return -EBADMSG;
	}
	if (w.res->rules != rules || w.res->digest != digest) {
		snprintf(err, errlen,
			 "slot %u (generation %" PRIu64 ", driver %s): the FIBs hold "
			 "%" PRIu64 " rules with digest %016" PRIx64 ", expected %" PRIu64
			 " with %016" PRIx64,
			 s->id, s->generation, s->driver->name, w.res->rules, w.res->digest, rules,
			 digest);
		return -EBADMSG;
	}
	return check_lookups(s, w.res, err, errlen);
}
