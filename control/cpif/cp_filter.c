// SPDX-License-Identifier: BSD-3-Clause
// Frame classification for the control plane, and the punt path's token bucket.
#include <string.h>

#include "control/cpif/cp_filter.h"

#define ETH_HLEN 14
#define PORT_BGP 179

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool extra_has(const struct molt_cp_conf *cp, uint8_t proto, uint16_t port)
{
	for (uint16_t i = 0; cp != NULL && i < cp->n_protocols; i++)
		if (cp->protocols[i].proto == proto && cp->protocols[i].port == port)
			return true;
	return false;
}

// The transport part: l4 points at len bytes after the IP header.
static enum cp_kind l4_kind(const uint8_t *l4, uint32_t len, uint8_t proto,
			    const struct molt_cp_conf *cp)
{
	uint16_t sp, dp;

	if (proto == 89)
		return CP_OSPF;
	if (proto == 58) {
		if (len >= 1 && (l4[0] == 135 || l4[0] == 136))
			return CP_ND;
		return CP_NONE;
	}
	if (proto != 6 && proto != 17)
		return extra_has(cp, proto, 0) ? CP_EXTRA : CP_NONE;
	if (len < 4)
		return CP_NONE;
	sp = rd16(l4);
	dp = rd16(l4 + 2);
	if (proto == 6) {
		if (sp == PORT_BGP || dp == PORT_BGP)
			return CP_BGP;
		return extra_has(cp, 6, sp) || extra_has(cp, 6, dp) ? CP_EXTRA : CP_NONE;
	}
	if (dp == 3784 || dp == 3785 || dp == 4784)
		return CP_BFD;
	return extra_has(cp, 17, dp) ? CP_EXTRA : CP_NONE;
}

enum cp_kind cp_classify(const uint8_t *f, uint32_t len, const struct molt_cp_conf *cp)
{
	const uint8_t *ip = f + ETH_HLEN;
	uint16_t type;

	if (len < ETH_HLEN)
		return CP_NONE;
	type = rd16(f + 12);
	len -= ETH_HLEN;
	if (type == 0x0806)
		return len >= 28 ? CP_ARP : CP_NONE;
	if (type == 0x0800) {
		uint32_t ihl;

		if (len < 20 || ip[0] >> 4 != 4)
			return CP_NONE;
		ihl = (uint32_t)(ip[0] & 0xf) * 4;
		if (ihl < 20 || ihl > len || ((ip[6] & 0x1f) | ip[7]) != 0)
			return CP_NONE;
		return l4_kind(ip + ihl, len - ihl, ip[9], cp);
	}
	if (type == 0x86dd) {
		if (len < 40 || ip[0] >> 4 != 6)
			return CP_NONE;
		return l4_kind(ip + 40, len - 40, ip[6], cp);
	}
	return CP_NONE;
}

void cp_bucket_init(struct cp_bucket *b, uint32_t burst, uint64_t hz, uint64_t now_tsc)
{
	b->tokens = (uint64_t)burst * hz;
	b->last_tsc = now_tsc;
}

bool cp_bucket_take(struct cp_bucket *b, uint32_t rate, uint32_t burst, uint64_t hz,
		    uint64_t now_tsc)
{
	uint64_t cap = (uint64_t)burst * hz;
	uint64_t dt = now_tsc - b->last_tsc;

	b->last_tsc = now_tsc;
	// rate <= 10^6 and a refill of more than a second's worth fills the bucket anyway: bound
	// dt so that dt * rate cannot overflow.
	if (dt > hz)
		dt = hz;
	b->tokens += dt * rate;
	if (b->tokens > cap)
		b->tokens = cap;
	if (b->tokens < hz)
		return false;
	b->tokens -= hz;
	return true;
}
