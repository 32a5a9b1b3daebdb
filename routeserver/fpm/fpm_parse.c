// SPDX-License-Identifier: BSD-3-Clause
// FPM frame and rtnetlink parsing (see fpm_parse.h). Every structure is copied out of the
// buffer with memcpy: frames arrive at any offset of the read buffer.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "routeserver/fpm/fpm_parse.h"

#define FPM_VERSION 1
#define FPM_TYPE_NETLINK 1
#define FPM_TYPE_PROTOBUF 2
// The attribute types this parser knows (those of the kernel headers it was written against);
// a type past these is "unknown" and the message malformed. Unused known types are skipped.
#define RTA_LAST_KNOWN 30 // RTA_NH_ID
#define NHA_LAST_KNOWN 13 // NHA_RES_BUCKET
#define ALIGN4(x) (((x) + 3u) & ~3u)

static int bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

int fpm_header_parse(const uint8_t hdr[FPM_HDR_LEN], char *err, size_t errlen)
{
	unsigned len = (unsigned)hdr[2] << 8 | hdr[3];

	if (hdr[0] != FPM_VERSION)
		return bad(err, errlen, "FPM version %u (expected 1)", hdr[0]);
	if (hdr[1] == FPM_TYPE_PROTOBUF)
		return bad(err, errlen,
			   "FPM message type 2 (protobuf): configure zebra with dplane_fpm_nl");
	if (hdr[1] != FPM_TYPE_NETLINK)
		return bad(err, errlen, "FPM message type %u (expected 1, netlink)", hdr[1]);
	if (len < FPM_HDR_LEN + sizeof(struct nlmsghdr))
		return bad(err, errlen, "FPM frame length %u is shorter than a netlink header",
			   len);
	return (int)len;
}

static unsigned addr_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

// Reads a u32 attribute payload of exactly 4 bytes.
static int attr_u32(const uint8_t *p, unsigned len, uint32_t *v, const char *name, char *err,
		    size_t errlen)
{
	if (len != 4)
		return bad(err, errlen, "%s attribute of %u bytes (expected 4)", name, len);
	memcpy(v, p, 4);
	return 0;
}

static int attr_addr(const uint8_t *p, unsigned len, uint8_t family, uint8_t out[16],
		     const char *name, char *err, size_t errlen)
{
	if (len != addr_len(family))
		return bad(err, errlen, "%s of %u bytes in an IPv%u message", name, len, family);
	memset(out, 0, 16);
	memcpy(out, p, len);
	return 0;
}

// Iterates the attributes in [p, p + len): each call gives the next (type without flag bits,
// payload, payload length). Returns 1 while there is one, 0 at the end, -EBADMSG.
struct attr_iter {
	const uint8_t *p;
	unsigned len, off;
};

static int attr_next(struct attr_iter *it, uint16_t *type, const uint8_t **data, unsigned *dlen,
		     char *err, size_t errlen)
{
	struct rtattr a;

	if (it->off >= it->len)
		return 0;
	if (it->len - it->off < sizeof(a))
		return bad(err, errlen, "%u trailing bytes after the last attribute",
			   it->len - it->off);
	memcpy(&a, it->p + it->off, sizeof(a));
	if (a.rta_len < sizeof(a) || a.rta_len > it->len - it->off)
		return bad(err, errlen, "attribute type %u has length %u, %u bytes left",
			   a.rta_type, a.rta_len, it->len - it->off);
	*type = a.rta_type & NLA_TYPE_MASK;
	*data = it->p + it->off + sizeof(a);
	*dlen = a.rta_len - (unsigned)sizeof(a);
	it->off += ALIGN4(a.rta_len);
	if (it->off > it->len) // the last attribute's padding may be left out
		it->off = it->len;
	return 1;
}

static void clear_host_bits(uint8_t prefix[16], uint8_t plen)
{
	unsigned i;

	for (i = plen / 8; i < 16; i++)
		prefix[i] &= i == plen / 8 ? (uint8_t)(0xff00 >> (plen % 8)) : 0;
}

// RTA_MULTIPATH: a list of struct rtnexthop, each followed by its own attributes.
static int parse_multipath(const uint8_t *p, unsigned len, struct fpm_route *rt, bool *encap,
			   char *err, size_t errlen)
{
	unsigned off = 0, n = 0;
	struct rtnexthop nh;
	struct fpm_path path;
	struct attr_iter it;
	const uint8_t *d = NULL;
	unsigned dlen = 0;
	uint16_t type = 0;
	int ret;

	while (off < len) {
		if (len - off < sizeof(nh))
			return bad(err, errlen, "RTA_MULTIPATH: %u trailing bytes", len - off);
		memcpy(&nh, p + off, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > len - off)
			return bad(err, errlen, "RTA_MULTIPATH: next hop %u has length %u", n,
				   nh.rtnh_len);
		memset(&path, 0, sizeof(path));
		path.weight = (uint16_t)(nh.rtnh_hops + 1);
		path.oif = nh.rtnh_ifindex < 0 ? 0 : (uint32_t)nh.rtnh_ifindex;
		it = (struct attr_iter){ p + off + sizeof(nh), nh.rtnh_len - (unsigned)sizeof(nh),
					 0 };
		while ((ret = attr_next(&it, &type, &d, &dlen, err, errlen)) > 0) {
			if (type == RTA_GATEWAY) {
				if (attr_addr(d, dlen, rt->family, path.gw, "RTA_GATEWAY", err,
					      errlen) < 0)
					return -EBADMSG;
				path.family = rt->family;
				path.has_gw = true;
			} else if (type == RTA_VIA || type == RTA_ENCAP || type == RTA_ENCAP_TYPE) {
				*encap = true;
			} else if (type > RTA_LAST_KNOWN) {
				return bad(
					err, errlen,
					"RTA_MULTIPATH: unknown attribute type %u in next hop %u",
					type, n);
			}
		}
		if (ret < 0)
			return ret;
		if (rt->npaths < FPM_MAX_PATHS)
			rt->paths[rt->npaths++] = path;
		n++;
		off += ALIGN4(nh.rtnh_len);
	}
	if (n == 0)
		return bad(err, errlen, "RTA_MULTIPATH with no next hop");
	rt->paths_given = (uint16_t)(rt->paths_given + n);
	return 0;
}

static int parse_route(const struct nlmsghdr *h, const uint8_t *body, unsigned blen,
		       struct fpm_msg *m, char *err, size_t errlen)
{
	struct fpm_route *rt = &m->rt;
	struct fpm_path single = { 0 };
	bool encap = false, has_dst = false;
	struct attr_iter it;
	struct rtmsg rtm;
	uint32_t table, u = 0;
	const uint8_t *d = NULL;
	unsigned dlen = 0;
	uint16_t type = 0;
	int ret;

	if (blen < sizeof(rtm))
		return bad(err, errlen, "route message of %u bytes, shorter than struct rtmsg",
			   blen);
	memcpy(&rtm, body, sizeof(rtm));
	memset(rt, 0, sizeof(*rt));
	m->kind = h->nlmsg_type == RTM_NEWROUTE ? FPM_ROUTE_ADD : FPM_ROUTE_DEL;
	if (rtm.rtm_family == AF_INET || rtm.rtm_family == AF_INET6) {
		rt->family = rtm.rtm_family == AF_INET ? 4 : 6;
		if (rtm.rtm_dst_len > (rt->family == 4 ? 32 : 128))
			return bad(err, errlen, "IPv%u prefix length %u", rt->family,
				   rtm.rtm_dst_len);
	}
	rt->plen = rtm.rtm_dst_len;
	rt->replace = (h->nlmsg_flags & NLM_F_REPLACE) != 0;
	table = rtm.rtm_table;
	single.weight = 1;
	it = (struct attr_iter){ body + NLMSG_ALIGN(sizeof(rtm)),
				 blen > NLMSG_ALIGN(sizeof(rtm)) ? blen - NLMSG_ALIGN(sizeof(rtm))
								 : 0,
				 0 };
	while ((ret = attr_next(&it, &type, &d, &dlen, err, errlen)) > 0) {
		if (type > RTA_LAST_KNOWN)
			return bad(err, errlen, "unknown route attribute type %u", type);
		if (rt->family == 0)
			continue; // not an IP route: only the framing is checked
		switch (type) {
		case RTA_DST:
			if (attr_addr(d, dlen, rt->family, rt->prefix, "RTA_DST", err, errlen) < 0)
				return -EBADMSG;
			has_dst = true;
			break;
		case RTA_GATEWAY:
			if (attr_addr(d, dlen, rt->family, single.gw, "RTA_GATEWAY", err, errlen) <
			    0)
				return -EBADMSG;
			single.family = rt->family;
			single.has_gw = true;
			break;
		case RTA_OIF:
			if (attr_u32(d, dlen, &single.oif, "RTA_OIF", err, errlen) < 0)
				return -EBADMSG;
			break;
		case RTA_TABLE:
			if (attr_u32(d, dlen, &table, "RTA_TABLE", err, errlen) < 0)
				return -EBADMSG;
			break;
		case RTA_NH_ID:
			if (attr_u32(d, dlen, &u, "RTA_NH_ID", err, errlen) < 0)
				return -EBADMSG;
			if (u == 0)
				return bad(err, errlen, "RTA_NH_ID 0");
			rt->nhid = u;
			break;
		case RTA_PRIORITY:
			if (attr_u32(d, dlen, &u, "RTA_PRIORITY", err, errlen) < 0)
				return -EBADMSG;
			break;
		case RTA_MULTIPATH:
			if (rt->paths_given > 0)
				return bad(err, errlen, "RTA_MULTIPATH twice");
			if (parse_multipath(d, dlen, rt, &encap, err, errlen) < 0)
				return -EBADMSG;
			break;
		case RTA_VIA:
		case RTA_ENCAP:
		case RTA_ENCAP_TYPE:
			encap = true;
			break;
		default: // known, not needed: RTA_PREFSRC, RTA_METRICS, RTA_PREF, ...
			break;
		}
	}
	if (ret < 0)
		return ret;
	if (rt->family == 0) {
		m->skip = FPM_SKIP_FAMILY;
		return 0;
	}
	if (!has_dst && rt->plen != 0)
		return bad(err, errlen, "route /%u without RTA_DST", rt->plen);
	clear_host_bits(rt->prefix, rt->plen);
	if (rt->npaths == 0 && (single.has_gw || single.oif != 0)) {
		rt->paths[0] = single;
		rt->npaths = 1;
		rt->paths_given = 1;
	}
	if (m->kind == FPM_ROUTE_ADD) {
		if (rtm.rtm_type == RTN_UNICAST)
			rt->rtype = FPM_RT_UNICAST;
		else if (rtm.rtm_type == RTN_BLACKHOLE)
			rt->rtype = FPM_RT_BLACKHOLE;
		else if (rtm.rtm_type == RTN_UNREACHABLE || rtm.rtm_type == RTN_PROHIBIT)
			rt->rtype = FPM_RT_UNREACHABLE;
		else
			m->skip = FPM_SKIP_ROUTE_TYPE;
		if (encap)
			m->skip = FPM_SKIP_ENCAP;
	}
	if (rtm.rtm_src_len != 0)
		m->skip = FPM_SKIP_SOURCE_ROUTE;
	if (table != RT_TABLE_MAIN)
		m->skip = FPM_SKIP_TABLE;
	return 0;
}

static int parse_group(const uint8_t *d, unsigned dlen, struct fpm_nh *nh, char *err, size_t errlen)
{
	struct nexthop_grp g;
	unsigned i, n;

	if (dlen == 0 || dlen % sizeof(g) != 0)
		return bad(err, errlen, "NHA_GROUP of %u bytes (not a multiple of %zu)", dlen,
			   sizeof(g));
	n = dlen / (unsigned)sizeof(g);
	for (i = 0; i < n; i++) {
		memcpy(&g, d + i * sizeof(g), sizeof(g));
		if (g.id == 0 || g.id == nh->id)
			return bad(err, errlen, "NHA_GROUP member %u has id %u", i, g.id);
		if (nh->ngroup < FPM_MAX_PATHS)
			nh->group[nh->ngroup++] = (struct fpm_group_member){
				g.id, (uint16_t)(g.weight + 1)
			};
	}
	nh->group_given = (uint16_t)n;
	return 0;
}

static int parse_nexthop(const struct nlmsghdr *h, const uint8_t *body, unsigned blen,
			 struct fpm_msg *m, char *err, size_t errlen)
{
	struct fpm_nh *nh = &m->nh;
	bool has_id = false;
	struct attr_iter it;
	struct nhmsg nhm;
	const uint8_t *d = NULL;
	unsigned dlen = 0;
	uint16_t type = 0;
	uint8_t family = 0;
	int ret;

	if (blen < sizeof(nhm))
		return bad(err, errlen, "nexthop message of %u bytes, shorter than struct nhmsg",
			   blen);
	memcpy(&nhm, body, sizeof(nhm));
	memset(nh, 0, sizeof(*nh));
	m->kind = h->nlmsg_type == RTM_NEWNEXTHOP ? FPM_NH_ADD : FPM_NH_DEL;
	if (nhm.nh_family == AF_INET)
		family = 4;
	else if (nhm.nh_family == AF_INET6)
		family = 6;
	nh->path.weight = 1;
	it = (struct attr_iter){ body + NLMSG_ALIGN(sizeof(nhm)),
				 blen > NLMSG_ALIGN(sizeof(nhm)) ? blen - NLMSG_ALIGN(sizeof(nhm))
								 : 0,
				 0 };
	while ((ret = attr_next(&it, &type, &d, &dlen, err, errlen)) > 0) {
		switch (type) {
		case NHA_ID:
			if (attr_u32(d, dlen, &nh->id, "NHA_ID", err, errlen) < 0)
				return -EBADMSG;
			has_id = nh->id != 0;
			break;
		case NHA_GROUP:
			if (!has_id)
				return bad(err, errlen, "NHA_GROUP before NHA_ID");
			if (nh->group_given > 0)
				return bad(err, errlen, "NHA_GROUP twice");
			if (parse_group(d, dlen, nh, err, errlen) < 0)
				return -EBADMSG;
			break;
		case NHA_BLACKHOLE:
			nh->blackhole = true;
			break;
		case NHA_OIF:
			if (attr_u32(d, dlen, &nh->path.oif, "NHA_OIF", err, errlen) < 0)
				return -EBADMSG;
			break;
		case NHA_GATEWAY:
			if (family == 0)
				return bad(err, errlen, "NHA_GATEWAY in a nexthop of family %u",
					   nhm.nh_family);
			if (attr_addr(d, dlen, family, nh->path.gw, "NHA_GATEWAY", err, errlen) < 0)
				return -EBADMSG;
			nh->path.family = family;
			nh->path.has_gw = true;
			break;
		case NHA_ENCAP:
		case NHA_ENCAP_TYPE:
		case NHA_FDB:
			nh->unusable = true;
			break;
		default:
			if (type > NHA_LAST_KNOWN)
				return bad(err, errlen, "unknown nexthop attribute type %u", type);
			break;
		}
	}
	if (ret < 0)
		return ret;
	if (!has_id)
		return bad(err, errlen, "nexthop message without NHA_ID");
	if (m->kind == FPM_NH_ADD && nh->ngroup == 0 && !nh->blackhole && !nh->path.has_gw &&
	    nh->path.oif == 0 && !nh->unusable)
		return bad(err, errlen, "nexthop %u has no gateway, interface, group or blackhole",
			   nh->id);
	return 0;
}

int fpm_nl_parse(const uint8_t *buf, size_t len, struct fpm_msg *m, char *err, size_t errlen)
{
	struct nlmsghdr h;

	memset(m, 0, offsetof(struct fpm_msg, rt));
	if (len < sizeof(h))
		return bad(err, errlen, "%zu bytes, shorter than a netlink header", len);
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_len != len)
		return bad(err, errlen, "netlink length %u, %zu bytes given", h.nlmsg_len, len);
	m->nl_type = h.nlmsg_type;
	switch (h.nlmsg_type) {
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return parse_route(&h, buf + sizeof(h), (unsigned)(len - sizeof(h)), m, err,
				   errlen);
	case RTM_NEWNEXTHOP:
	case RTM_DELNEXTHOP:
		return parse_nexthop(&h, buf + sizeof(h), (unsigned)(len - sizeof(h)), m, err,
				     errlen);
	default:
		// Control messages and the other rtnetlink families zebra may send (neighbours
		// and MACs for EVPN, links, rules) are of no use here; anything past rtnetlink's
		// range is not netlink from zebra at all.
		if (h.nlmsg_type >= RTM_MAX)
			return bad(err, errlen, "netlink message type %u", h.nlmsg_type);
		m->kind = FPM_IGNORED;
		m->skip = FPM_SKIP_MSG_TYPE;
		return 0;
	}
}

int fpm_frame_parse(const uint8_t *payload, size_t len, fpm_msg_fn fn, void *ctx, char *err,
		    size_t errlen)
{
	struct fpm_msg m;
	size_t off = 0;
	uint32_t nl_len;
	char why[200];
	int n = 0, ret;

	while (off < len) {
		if (len - off < sizeof(struct nlmsghdr))
			return bad(err, errlen, "message %d: %zu trailing bytes", n + 1, len - off);
		memcpy(&nl_len, payload + off, sizeof(nl_len));
		if (nl_len < sizeof(struct nlmsghdr) || nl_len > len - off)
			return bad(err, errlen, "message %d: netlink length %u, %zu bytes left",
				   n + 1, nl_len, len - off);
		if (fpm_nl_parse(payload + off, nl_len, &m, why, sizeof(why)) < 0)
			return bad(err, errlen, "message %d: %s", n + 1, why);
		n++;
		if (fn != NULL && (ret = fn(ctx, &m)) < 0)
			return ret;
		off += NLMSG_ALIGN(nl_len);
		if (off > len) // the last message's padding may be left out
			off = len;
	}
	if (n == 0)
		return bad(err, errlen, "an FPM frame with no netlink message");
	return n;
}
