// SPDX-License-Identifier: BSD-3-Clause
// The FPM parser on a session recorded from FRR 8.4's zebra (test/e2e/data/README.md), on
// frames built here (multipath with weights, more than 16 paths, several messages per frame,
// other tables and types), and on malformed ones, each refused with a message that names the
// problem. Then the next-hop table: groups resolved through their members, deletes, and
// RTM_DELNEXTHOP as the kernel does it: a next hop leaves its groups, an emptied group goes,
// and the route server removes the routes through what went and resolves again the routes
// through groups that changed (a session over a real socket, into a real feed).
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "routeserver/fpm/fpm_nhg.h"
#include "routeserver/fpm/fpm_parse.h"
#include "routeserver/fpm_server.h"
#include "routeserver/rs_table.h"
#include "test/unit/routeserver/rs_test_table.h"

#define MAX_MSGS 64

struct collected {
	struct fpm_msg m[MAX_MSGS];
	unsigned n;
};

static int collect(void *ctx, const struct fpm_msg *m)
{
	struct collected *c = ctx;

	assert_true(c->n < MAX_MSGS);
	c->m[c->n++] = *m;
	return 0;
}

// A frame builder: messages and attributes appended in place.
struct fb {
	uint8_t b[4096];
	size_t len, msg; // msg: offset of the open message's header
};

static void fb_put(struct fb *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
	while (f->len % 4)
		f->b[f->len++] = 0;
}

static void msg_begin(struct fb *f, uint16_t type, const void *hdr, size_t hlen)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | NLM_F_REPLACE };

	if (f->len == 0)
		f->len = 4;
	f->msg = f->len;
	fb_put(f, &h, sizeof(h));
	fb_put(f, hdr, hlen);
}

static void msg_attr(struct fb *f, uint16_t type, const void *p, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)(sizeof(a) + n), .rta_type = type };

	fb_put(f, &a, sizeof(a));
	if (n > 0)
		fb_put(f, p, n);
}

static void msg_end(struct fb *f)
{
	uint32_t len = (uint32_t)(f->len - f->msg);

	memcpy(f->b + f->msg, &len, 4);
	f->b[0] = 1;
	f->b[1] = 1;
	f->b[2] = (uint8_t)(f->len >> 8);
	f->b[3] = (uint8_t)f->len;
}

static void route_begin(struct fb *f, uint16_t type, uint8_t family, uint8_t plen, uint8_t rtype,
			const void *dst)
{
	struct rtmsg r = { .rtm_family = family,
			   .rtm_dst_len = plen,
			   .rtm_table = RT_TABLE_MAIN,
			   .rtm_type = rtype };

	msg_begin(f, type, &r, sizeof(r));
	msg_attr(f, RTA_DST, dst, family == AF_INET ? 4 : 16);
}

// Parses a built frame; returns what fpm_frame_parse returned.
static int parse(struct fb *f, struct collected *c, char *err, size_t errlen)
{
	int flen = fpm_header_parse(f->b, err, errlen);

	if (flen < 0)
		return flen;
	assert_int_equal((size_t)flen, f->len);
	memset(c, 0, sizeof(*c));
	return fpm_frame_parse(f->b + 4, f->len - 4, collect, c, err, errlen);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b = malloc(1 << 16);

	assert_non_null(fp);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 16, fp);
	fclose(fp);
	return b;
}

static void test_recording(void **state)
{
	struct collected c;
	unsigned frames = 0, msgs = 0, kinds[5] = { 0 };
	struct fpm_nhg nhg = { 0 };
	struct fpm_path paths[FPM_MAX_PATHS];
	bool bh, saw_group = false;
	char err[256];
	size_t len, off = 0;
	uint8_t *b = read_file(FPM_RECORDING, &len);
	int flen, n;

	assert_int_equal(len, 1588);
	while (off < len) {
		flen = fpm_header_parse(b + off, err, sizeof(err));
		assert_true(flen > 0);
		memset(&c, 0, sizeof(c));
		n = fpm_frame_parse(b + off + 4, (size_t)flen - 4, collect, &c, err, sizeof(err));
		assert_true(n >= 1);
		for (unsigned i = 0; i < c.n; i++) {
			const struct fpm_msg *m = &c.m[i];

			kinds[m->kind]++;
			assert_int_equal(m->skip, FPM_SKIP_NONE);
			if (m->kind == FPM_NH_ADD)
				assert_true(fpm_nhg_set(&nhg, &m->nh) >= 0);
			if (m->kind == FPM_NH_DEL)
				assert_int_equal(fpm_nhg_del(&nhg, m->nh.id), 0);
			// 203.0.113.0/24 through group 19: 10.0.1.2, .3, .4, weight 1 each.
			if (m->kind == FPM_ROUTE_ADD && m->rt.nhid == 19) {
				assert_int_equal(m->rt.family, 4);
				assert_int_equal(m->rt.plen, 24);
				assert_int_equal(m->rt.prefix[0], 203);
				assert_int_equal(fpm_nhg_resolve(&nhg, 19, paths, &bh), 3);
				assert_int_equal(paths[2].gw[3], 4);
				assert_int_equal(paths[1].weight, 1);
				saw_group = true;
			}
			if (m->kind == FPM_ROUTE_ADD && m->rt.rtype == FPM_RT_BLACKHOLE)
				assert_int_equal(m->rt.nhid, 0);
		}
		msgs += (unsigned)n;
		frames++;
		off += (size_t)flen;
	}
	assert_int_equal(frames, 29);
	assert_int_equal(msgs, 30);
	assert_int_equal(kinds[FPM_NH_ADD], 14);
	assert_int_equal(kinds[FPM_NH_DEL], 2);
	assert_int_equal(kinds[FPM_ROUTE_ADD], 11);
	assert_int_equal(kinds[FPM_ROUTE_DEL], 3);
	assert_true(saw_group);
	// After the session: the group of 2 (id 32 = 0x20) that replaced 19, whose 10.0.1.4
	// member (21) was deleted.
	assert_null(fpm_nhg_find(&nhg, 19));
	assert_int_equal(fpm_nhg_resolve(&nhg, 32, paths, &bh), 2);
	assert_int_equal(fpm_nhg_resolve(&nhg, 15, paths, &bh), 0);
	assert_true(bh);
	fpm_nhg_clear(&nhg);
	free(b);
}

// zebra with "no fpm use-next-hop-groups": next hops inline, RTA_MULTIPATH flagged nested.
static void test_recording_inline(void **state)
{
	unsigned frames = 0, msgs = 0, mp = 0;
	struct collected c;
	size_t len, off = 0;
	char err[256];
	uint8_t *b = read_file(FPM_RECORDING_INLINE, &len);
	int flen, n;

	assert_int_equal(len, 664);
	while (off < len) {
		flen = fpm_header_parse(b + off, err, sizeof(err));
		assert_true(flen > 0);
		memset(&c, 0, sizeof(c));
		n = fpm_frame_parse(b + off + 4, (size_t)flen - 4, collect, &c, err, sizeof(err));
		assert_true(n >= 1);
		for (unsigned i = 0; i < c.n; i++) {
			const struct fpm_route *rt = &c.m[i].rt;

			assert_int_equal(c.m[i].skip, FPM_SKIP_NONE);
			assert_true(c.m[i].kind == FPM_ROUTE_ADD || c.m[i].kind == FPM_ROUTE_DEL);
			assert_int_equal(rt->nhid, 0);
			if (rt->npaths == 2) {
				// 203.0.113.0/24 via 10.0.1.2 and .3; 2001:db8:200::/48 via ::2, ::3
				assert_int_equal(rt->paths[1].oif, 3);
				assert_int_equal(rt->paths[0].weight, 1);
				assert_int_equal(rt->paths[1].gw[rt->family == 4 ? 3 : 15], 3);
				mp++;
			}
		}
		msgs += (unsigned)n;
		frames++;
		off += (size_t)flen;
	}
	assert_int_equal(frames, 9);
	assert_int_equal(msgs, 10);
	assert_int_equal(mp, 2);
	free(b);
}

static void test_multipath(void **state)
{
	uint8_t dst[4] = { 198, 19, 1, 7 }; // host bits set: cleared to 198.19.0.0/16
	uint8_t buf[1024];
	struct rtnexthop nh;
	struct rtattr a;
	struct collected c;
	struct fb f = { 0 };
	size_t mp = 0;
	char err[256];
	unsigned i;

	// 20 paths, weights 1..20: 16 kept, 20 counted.
	for (i = 0; i < 20; i++) {
		uint8_t gw[4] = { 10, 0, 1, (uint8_t)(i + 1) };

		nh = (struct rtnexthop){ .rtnh_len = sizeof(nh) + 8,
					 .rtnh_hops = (unsigned char)i,
					 .rtnh_ifindex = 3 };
		a = (struct rtattr){ .rta_len = 8, .rta_type = RTA_GATEWAY };
		memcpy(buf + mp, &nh, sizeof(nh));
		memcpy(buf + mp + sizeof(nh), &a, sizeof(a));
		memcpy(buf + mp + sizeof(nh) + sizeof(a), gw, 4);
		mp += sizeof(nh) + 8;
	}
	route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
	msg_attr(&f, RTA_MULTIPATH, buf, mp);
	msg_end(&f);
	// A second message in the same frame: a delete of another prefix.
	route_begin(&f, RTM_DELROUTE, AF_INET, 24, 0, dst);
	msg_end(&f);
	assert_int_equal(parse(&f, &c, err, sizeof(err)), 2);
	assert_int_equal(c.m[0].kind, FPM_ROUTE_ADD);
	assert_true(c.m[0].rt.replace);
	assert_int_equal(c.m[0].rt.npaths, FPM_MAX_PATHS);
	assert_int_equal(c.m[0].rt.paths_given, 20);
	assert_int_equal(c.m[0].rt.paths[15].weight, 16);
	assert_int_equal(c.m[0].rt.paths[15].gw[3], 16);
	assert_int_equal(c.m[0].rt.paths[0].oif, 3);
	assert_int_equal(c.m[0].rt.prefix[2], 0);
	assert_int_equal(c.m[0].rt.prefix[3], 0);
	assert_int_equal(c.m[1].kind, FPM_ROUTE_DEL);
	assert_int_equal(c.m[1].rt.plen, 24);
	assert_int_equal(c.m[1].rt.prefix[3], 0);
}

static void test_skips(void **state)
{
	uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, dst[4] = { 10, 1, 0, 0 };
	uint32_t table = 100;
	uint16_t encap = 1;
	struct collected c;
	struct fb f = { 0 };
	char err[256];

	route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
	msg_attr(&f, RTA_TABLE, &table, 4);
	msg_end(&f);
	route_begin(&f, RTM_NEWROUTE, AF_INET6, 32, RTN_LOCAL, dst6);
	msg_end(&f);
	route_begin(&f, RTM_NEWROUTE, AF_INET6, 32, RTN_UNICAST, dst6);
	msg_attr(&f, RTA_ENCAP_TYPE, &encap, 2);
	msg_end(&f);
	route_begin(&f, RTM_NEWROUTE, AF_INET6, 32, RTN_UNREACHABLE, dst6);
	msg_end(&f);
	msg_begin(&f, RTM_NEWNEIGH, dst, 4);
	msg_end(&f);
	assert_int_equal(parse(&f, &c, err, sizeof(err)), 5);
	assert_int_equal(c.m[0].skip, FPM_SKIP_TABLE);
	assert_int_equal(c.m[1].skip, FPM_SKIP_ROUTE_TYPE);
	assert_int_equal(c.m[2].skip, FPM_SKIP_ENCAP);
	assert_int_equal(c.m[3].skip, FPM_SKIP_NONE);
	assert_int_equal(c.m[3].rt.rtype, FPM_RT_UNREACHABLE);
	assert_int_equal(c.m[4].kind, FPM_IGNORED);
	assert_int_equal(c.m[4].skip, FPM_SKIP_MSG_TYPE);
}

// Each malformed frame is refused by the check pass (no callback: what the server runs before
// applying a frame) with a message containing want.
static void refused(struct fb *f, const char *want)
{
	char err[256] = "";

	assert_true(fpm_header_parse(f->b, err, sizeof(err)) > 0);
	assert_int_equal(fpm_frame_parse(f->b + 4, f->len - 4, NULL, NULL, err, sizeof(err)),
			 -EBADMSG);
	if (strstr(err, want) == NULL)
		fail_msg("expected '%s' in '%s'", want, err);
}

static void test_malformed(void **state)
{
	uint8_t dst[4] = { 10, 1, 0, 0 }, three[3] = { 1, 2, 3 };
	struct nhmsg nhm = { .nh_family = AF_INET };
	uint32_t id = 5, big = 1;
	uint8_t grp[7] = { 0 };
	struct fb f;
	char err[256];

	f = (struct fb){ 0 };
	route_begin(&f, RTM_NEWROUTE, AF_INET, 33, RTN_UNICAST, dst);
	msg_end(&f);
	refused(&f, "IPv4 prefix length 33");

	f = (struct fb){ 0 };
	route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
	msg_attr(&f, RTA_GATEWAY, three, 3);
	msg_end(&f);
	refused(&f, "RTA_GATEWAY of 3 bytes");

	f = (struct fb){ 0 };
	route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
	msg_attr(&f, 77, &big, 4);
	msg_end(&f);
	refused(&f, "unknown route attribute type 77");

	// A good message, then a bad one: the frame is refused whole (no callback ran).
	f = (struct fb){ 0 };
	route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
	msg_end(&f);
	msg_begin(&f, RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	msg_attr(&f, NHA_ID, &id, 4);
	msg_attr(&f, NHA_GROUP, grp, sizeof(grp));
	msg_end(&f);
	refused(&f, "message 2: NHA_GROUP of 7 bytes");

	f = (struct fb){ 0 };
	msg_begin(&f, RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	msg_attr(&f, NHA_ID, &id, 4);
	msg_end(&f);
	refused(&f, "has no gateway, interface, group or blackhole");

	// Repeated list attributes would add up past FPM_MAX_PATHS: refused.
	memset(grp, 0, sizeof(grp));
	f = (struct fb){ 0 };
	msg_begin(&f, RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	msg_attr(&f, NHA_ID, &id, 4);
	id = 6;
	msg_attr(&f, NHA_GROUP, &id, 4);
	msg_attr(&f, NHA_GROUP, &id, 4);
	msg_end(&f);
	refused(&f, "NHA_GROUP of 4 bytes");
	{
		struct nexthop_grp g2 = { .id = 6 };

		f = (struct fb){ 0 };
		id = 5;
		msg_begin(&f, RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
		msg_attr(&f, NHA_ID, &id, 4);
		msg_attr(&f, NHA_GROUP, &g2, sizeof(g2));
		msg_attr(&f, NHA_GROUP, &g2, sizeof(g2));
		msg_end(&f);
		refused(&f, "NHA_GROUP twice");
	}
	{
		struct {
			struct rtnexthop nh;
			struct rtattr a;
			uint8_t gw[4];
		} one = { { 16, 0, 0, 3 }, { 8, RTA_GATEWAY }, { 10, 0, 1, 2 } };

		f = (struct fb){ 0 };
		route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
		msg_attr(&f, RTA_MULTIPATH, &one, sizeof(one));
		msg_attr(&f, RTA_MULTIPATH, &one, sizeof(one));
		msg_end(&f);
		refused(&f, "RTA_MULTIPATH twice");
	}

	f = (struct fb){ 0 };
	msg_begin(&f, RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	msg_attr(&f, 40, &id, 4);
	msg_end(&f);
	refused(&f, "unknown nexthop attribute type 40");

	// Truncated: the netlink length says more than the frame holds.
	f = (struct fb){ 0 };
	route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
	msg_end(&f);
	f.b[4] += 8;
	refused(&f, "netlink length");

	// An attribute longer than the message.
	f = (struct fb){ 0 };
	route_begin(&f, RTM_NEWROUTE, AF_INET, 16, RTN_UNICAST, dst);
	msg_end(&f);
	f.b[4 + 16 + 12] = 200;
	refused(&f, "has length 200");

	assert_int_equal(fpm_header_parse((const uint8_t *)"\x01\x01\x00\x10", err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "shorter than a netlink header"));
	assert_int_equal(fpm_header_parse((const uint8_t *)"\x00\x01\x00\x40", err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "FPM version 0"));
	assert_int_equal(fpm_frame_parse(f.b, 0, NULL, NULL, err, sizeof(err)), -EBADMSG);
}

static void test_nhg(void **state)
{
	struct fpm_path paths[FPM_MAX_PATHS];
	struct fpm_nhg t = { 0 };
	struct fpm_nh nh;
	uint32_t id;
	bool bh;

	// Enough ids to grow the table several times, then delete every other one.
	for (id = 1; id <= 3000; id++) {
		nh = (struct fpm_nh){ .id = id,
				      .path = { .family = 4, .has_gw = true, .weight = 1 } };
		nh.path.gw[3] = (uint8_t)id;
		assert_int_equal(fpm_nhg_set(&t, &nh), 0);
	}
	for (id = 2; id <= 3000; id += 2)
		assert_int_equal(fpm_nhg_del(&t, id), 0);
	assert_int_equal(t.count, 1500);
	for (id = 1; id <= 3000; id++)
		assert_true((fpm_nhg_find(&t, id) != NULL) == (id % 2 == 1));
	nh = (struct fpm_nh){ .id = 5000, .ngroup = 2 };
	nh.group[0] = (struct fpm_group_member){ 1, 3 };
	nh.group[1] = (struct fpm_group_member){ 3, 1 };
	assert_int_equal(fpm_nhg_set(&t, &nh), 0);
	assert_int_equal(fpm_nhg_resolve(&t, 5000, paths, &bh), 2);
	assert_int_equal(paths[0].weight, 3);
	assert_int_equal(paths[1].gw[3], 3);
	// A member gone, a group of groups: not resolvable.
	nh.group[1].id = 2;
	assert_int_equal(fpm_nhg_set(&t, &nh), 1);
	assert_int_equal(fpm_nhg_resolve(&t, 5000, paths, &bh), -ENOENT);
	nh.id = 5001;
	nh.group[1].id = 5000;
	fpm_nhg_set(&t, &nh);
	assert_int_equal(fpm_nhg_resolve(&t, 5001, paths, &bh), -EINVAL);
	assert_int_equal(fpm_nhg_del(&t, 4), -ENOENT);
	fpm_nhg_clear(&t);
}

struct hits {
	uint32_t id[8];
	bool gone[8];
	unsigned n;
};

static void record_hit(void *ctx, uint32_t id, bool gone)
{
	struct hits *h = ctx;

	assert_true(h->n < 8);
	h->id[h->n] = id;
	h->gone[h->n++] = gone;
}

static bool hit(const struct hits *h, uint32_t id, bool gone)
{
	unsigned i;

	for (i = 0; i < h->n; i++)
		if (h->id[i] == id)
			return h->gone[i] == gone;
	return false;
}

static void nh_single(struct fpm_nhg *t, uint32_t id)
{
	struct fpm_nh nh = { .id = id, .path = { .family = 4, .has_gw = true, .weight = 1 } };

	nh.path.gw[0] = 10;
	nh.path.gw[3] = (uint8_t)id;
	assert_true(fpm_nhg_set(t, &nh) >= 0);
}

static void nh_group(struct fpm_nhg *t, uint32_t id, unsigned n, const uint32_t *members)
{
	struct fpm_nh nh = { .id = id, .ngroup = (uint8_t)n };
	unsigned i;

	for (i = 0; i < n; i++)
		nh.group[i] = (struct fpm_group_member){ members[i], (uint16_t)(i + 1) };
	assert_true(fpm_nhg_set(t, &nh) >= 0);
}

// RTM_DELNEXTHOP semantics in the table (net/ipv4/nexthop.c: remove_nexthop_from_groups,
// remove_nh_grp_entry): the member leaves every group, a group left empty is deleted with it.
static void test_nhg_remove(void **state)
{
	struct fpm_path paths[FPM_MAX_PATHS];
	struct fpm_nhg t = { 0 };
	struct hits h = { 0 };
	bool bh;

	nh_single(&t, 1);
	nh_single(&t, 2);
	nh_single(&t, 3);
	nh_group(&t, 10, 3, (const uint32_t[]){ 1, 2, 3 });
	nh_group(&t, 11, 1, (const uint32_t[]){ 2 });
	nh_group(&t, 12, 2, (const uint32_t[]){ 1, 3 });

	assert_int_equal(fpm_nhg_remove(&t, 2, record_hit, &h), 0);
	assert_int_equal(h.n, 3);
	assert_true(hit(&h, 2, true));
	assert_true(hit(&h, 10, false)); // kept its other members
	assert_true(hit(&h, 11, true)); // emptied: deleted
	assert_null(fpm_nhg_find(&t, 2));
	assert_null(fpm_nhg_find(&t, 11));
	assert_int_equal(t.count, 4);
	// Group 10 resolves over the members left, with their weights.
	assert_int_equal(fpm_nhg_resolve(&t, 10, paths, &bh), 2);
	assert_int_equal(paths[0].gw[3], 1);
	assert_int_equal(paths[0].weight, 1);
	assert_int_equal(paths[1].gw[3], 3);
	assert_int_equal(paths[1].weight, 3);
	assert_int_equal(fpm_nhg_resolve(&t, 12, paths, &bh), 2); // untouched

	// Deleting a group leaves its members.
	memset(&h, 0, sizeof(h));
	assert_int_equal(fpm_nhg_remove(&t, 12, record_hit, &h), 0);
	assert_int_equal(h.n, 1);
	assert_true(hit(&h, 12, true));
	assert_non_null(fpm_nhg_find(&t, 1));
	assert_non_null(fpm_nhg_find(&t, 3));
	assert_int_equal(fpm_nhg_remove(&t, 12, NULL, NULL), -ENOENT);
	// The last members of 10 go one by one; with the last one, 10 goes too.
	assert_int_equal(fpm_nhg_remove(&t, 1, NULL, NULL), 0);
	assert_int_equal(fpm_nhg_resolve(&t, 10, paths, &bh), 1);
	memset(&h, 0, sizeof(h));
	assert_int_equal(fpm_nhg_remove(&t, 3, record_hit, &h), 0);
	assert_true(hit(&h, 10, true));
	assert_int_equal(t.count, 0);
	fpm_nhg_clear(&t);
}

// A session with the route server's FPM listener over a loopback socket.
struct sess {
	struct fpm_server *srv;
	int fd;
};

static void sess_open(struct sess *s)
{
	char err[256];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct fpm_info in;
	unsigned port;

	rs_test_table_open("fpmdel", 1000, 2000, 1024);
	s->srv = fpm_server_create("127.0.0.1:0", 5, err, sizeof(err));
	assert_non_null(s->srv);
	fpm_server_info(s->srv, &in);
	assert_int_equal(sscanf(in.listen, "127.0.0.1:%u", &port), 1);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void sess_close(struct sess *s)
{
	close(s->fd);
	fpm_server_destroy(s->srv);
	rs_test_table_close();
}

// Sends frame f and lets the server take it (accept, read, apply), bounded.
static void sess_send(struct sess *s, struct fb *f)
{
	struct pollfd pfd[2];
	struct fpm_info in;
	uint64_t frames;
	unsigned n, tries;

	fpm_server_info(s->srv, &in);
	frames = in.stats->frames;
	assert_int_equal(write(s->fd, f->b, f->len), (ssize_t)f->len);
	for (tries = 0; tries < 500; tries++) {
		n = fpm_server_pollfds(s->srv, pfd);
		poll(pfd, n, 10);
		fpm_server_handle(s->srv, pfd, n);
		fpm_server_info(s->srv, &in);
		if (in.stats->frames > frames)
			break;
	}
	assert_true(in.connected);
	assert_int_equal(in.stats->frames, frames + 1);
	memset(f, 0, sizeof(*f));
}

static void fb_nh(struct fb *f, uint32_t id, uint8_t gw_last)
{
	struct nhmsg nhm = { .nh_family = AF_INET };
	uint8_t gw[4] = { 10, 0, 1, gw_last };
	uint32_t oif = 3;

	msg_begin(f, RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	msg_attr(f, NHA_ID, &id, 4);
	msg_attr(f, NHA_OIF, &oif, 4);
	msg_attr(f, NHA_GATEWAY, gw, 4);
	msg_end(f);
}

static void fb_group(struct fb *f, uint32_t id, unsigned n, const uint32_t *members)
{
	struct nhmsg nhm = { .nh_family = AF_UNSPEC };
	struct nexthop_grp g[4];
	unsigned i;

	memset(g, 0, sizeof(g));
	for (i = 0; i < n; i++)
		g[i].id = members[i];
	msg_begin(f, RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	msg_attr(f, NHA_ID, &id, 4);
	msg_attr(f, NHA_GROUP, g, sizeof(g[0]) * n);
	msg_end(f);
}

static void fb_nh_del(struct fb *f, uint32_t id)
{
	struct nhmsg nhm = { .nh_family = AF_UNSPEC };

	msg_begin(f, RTM_DELNEXTHOP, &nhm, sizeof(nhm));
	msg_attr(f, NHA_ID, &id, 4);
	msg_end(f);
}

static void fb_route(struct fb *f, uint8_t third, uint32_t nhid)
{
	uint8_t dst[4] = { 198, 18, third, 0 };

	route_begin(f, RTM_NEWROUTE, AF_INET, 24, RTN_UNICAST, dst);
	msg_attr(f, RTA_NH_ID, &nhid, 4);
	msg_end(f);
}

// The published route for 198.18.third.0/24, formatted with its paths ("" when none).
static const char *pub(uint8_t third)
{
	static char buf[512];
	struct molt_route k = { .family = 4, .plen = 24, .prefix = { 198, 18, third, 0 } };
	const struct molt_route *r = rib_find(&rs_table.rib, &k);

	buf[0] = '\0';
	if (r != NULL)
		rib_route_format(&rs_table.rib, r, buf, sizeof(buf));
	return buf;
}

// RTM_DELNEXTHOP under routes that still use it, through the route server's FPM session.
static void test_delnexthop_routes(void **state)
{
	struct sess s;
	struct fb f = { 0 };
	struct fpm_info in;

	sess_open(&s);
	fb_nh(&f, 1, 1);
	fb_nh(&f, 2, 2);
	fb_nh(&f, 3, 3);
	fb_group(&f, 10, 2, (const uint32_t[]){ 1, 2 });
	fb_group(&f, 11, 1, (const uint32_t[]){ 3 });
	fb_route(&f, 1, 1); // direct
	fb_route(&f, 2, 10); // group of 1 and 2
	fb_route(&f, 3, 11); // group of 3 alone
	fb_route(&f, 4, 2); // direct, another next hop
	sess_send(&s, &f);
	assert_string_equal(pub(1), "198.18.1.0/24 via 10.0.1.1");
	assert_string_equal(pub(2), "198.18.2.0/24 nexthop via 10.0.1.1 nexthop via 10.0.1.2");
	assert_string_equal(pub(3), "198.18.3.0/24 via 10.0.1.3");

	// Next hop 1 goes: its direct route goes, group 10 keeps 2 and its route follows.
	fb_nh_del(&f, 1);
	sess_send(&s, &f);
	assert_string_equal(pub(1), "");
	assert_string_equal(pub(2), "198.18.2.0/24 via 10.0.1.2");
	assert_string_equal(pub(4), "198.18.4.0/24 via 10.0.1.2");

	// Next hop 3 goes: group 11 is left empty and goes, and its route with it.
	fb_nh_del(&f, 3);
	sess_send(&s, &f);
	assert_string_equal(pub(3), "");
	fpm_server_info(s.srv, &in);
	assert_int_equal(in.stats->nh_del_routes, 2);
	assert_int_equal(in.nexthops, 2); // 2 and group 10

	// A group deleted under its route: the route goes, the member stays for route 4.
	fb_nh_del(&f, 10);
	sess_send(&s, &f);
	assert_string_equal(pub(2), "");
	assert_string_equal(pub(4), "198.18.4.0/24 via 10.0.1.2");
	// What zebra normally does: the route first, then the next hop. Nothing more to remove.
	route_begin(&f, RTM_DELROUTE, AF_INET, 24, RTN_UNICAST, (uint8_t[]){ 198, 18, 4, 0 });
	msg_end(&f);
	fb_nh_del(&f, 2);
	sess_send(&s, &f);
	assert_string_equal(pub(4), "");
	fpm_server_info(s.srv, &in);
	assert_int_equal(in.stats->nh_del_routes, 3);
	assert_int_equal(in.nexthops, 0);
	assert_int_equal(rib_routes(&rs_table.rib), 0);
	sess_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recording),  cmocka_unit_test(test_recording_inline),
		cmocka_unit_test(test_multipath),  cmocka_unit_test(test_skips),
		cmocka_unit_test(test_malformed),  cmocka_unit_test(test_nhg),
		cmocka_unit_test(test_nhg_remove), cmocka_unit_test(test_delnexthop_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
