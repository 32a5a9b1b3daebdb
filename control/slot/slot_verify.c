// SPDX-License-Identifier: BSD-3-Clause
// Content digest of a slot, by walking its FIBs through the driver.
//
// What this catches: any divergence between the rules the FIBs report and the set the control
// thread installed — a rule added, removed or re-pointed behind the slot machinery's back
// through the driver ops, a next hop whose kind, port or gateway changed, a next-hop index out
// of range. What it does not: the lpm and fib drivers answer walk from a shadow copy of the
// rules they keep beside the DPDK tables, so a corruption of the DPDK tables themselves
// (tbl24/tbl8 bytes) that leaves the shadow intact is invisible here. Metabolism is the answer
// to that class: the tables are thrown away and rebuilt on a period regardless.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
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
	return 0;
}
