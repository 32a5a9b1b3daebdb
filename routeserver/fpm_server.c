// SPDX-License-Identifier: BSD-3-Clause
// FPM listener and session (see fpm_server.h): framing, applying messages to the table's FPM source,
// stale marking and the sweep after a reconnect.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "routeserver/fpm_server.h"
#include "routeserver/rs_table.h"

#define SUB "fpm"
// Room for several whole frames (a frame is at most 64 KiB): reads are large, and a frame split
// across reads waits at the front of the buffer for its tail.
#define BUF_SIZE (256u << 10)
// Bytes read per fpm_server_handle call: the control socket and the heartbeat get their turn
// between two slices of a large resend.
#define READ_BUDGET (1u << 20)
#define QUIET_MS 1000

struct fpm_server *fpm_server;

struct fpm_server {
	int lfd;
	int fd; // the session, -1 when none
	char listen[80];
	char peer[80];
	uint8_t *buf;
	size_t len; // bytes in buf
	uint64_t frame_no; // frames of this session, for messages
	uint64_t since_ms, last_msg_ms;
	struct fpm_nhg nhg;
	// The next-hop id each route of this session came with (the id in the first 4 bytes of
	// gateway, keyed by prefix): which routes to resolve again when zebra changes a next hop
	// in place.
	struct rib refs;
	unsigned hold_s;
	bool sweep_pending;
	bool dirty; // applied changes not published yet
	uint32_t logged; // one bit per kind of skipped route logged in this session
	char last_error[256];
	struct fpm_stats st;
};

// Parses "[ADDR:]PORT" into a socket address.
static int parse_spec(const char *spec, struct sockaddr_storage *ss, socklen_t *sl, char *err,
		      size_t errlen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char addr[64] = "127.0.0.1";
	const char *port = spec, *colon;
	unsigned long p;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		if (colon == NULL || (size_t)(colon - spec - 1) >= sizeof(addr))
			goto bad;
		memcpy(addr, spec + 1, (size_t)(colon - spec - 1));
		addr[colon - spec - 1] = '\0';
		port = colon + 2;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if ((size_t)(colon - spec) >= sizeof(addr))
			goto bad;
		memcpy(addr, spec, (size_t)(colon - spec));
		addr[colon - spec] = '\0';
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end != '\0' || errno != 0 || p > 65535)
		goto bad;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*sl = sizeof(*s6);
		return 0;
	}
bad:
	snprintf(err, errlen, "--fpm '%s': expected [ADDR:]PORT (127.0.0.1:2620, [::1]:2620, 2620)",
		 spec);
	return -EINVAL;
}

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	}
}

struct fpm_server *fpm_server_create(const char *spec, unsigned hold_s, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct fpm_server *s;
	socklen_t sl;
	int one = 1;

	if (parse_spec(spec, &ss, &sl, err, errlen) < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->buf = malloc(BUF_SIZE)) == NULL) {
		snprintf(err, errlen, "no memory for the FPM listener");
		free(s);
		return NULL;
	}
	s->fd = -1;
	s->hold_s = hold_s;
	if (rib_init(&s->refs, 0) < 0) {
		snprintf(err, errlen, "no memory for the FPM listener");
		free(s->buf);
		free(s);
		return NULL;
	}
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&ss, sl) < 0 || listen(s->lfd, 4) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(err, errlen, "FPM listener on %s: %s", spec, strerror(errno));
		fpm_server_destroy(s);
		return NULL;
	}
	format_addr(&ss, s->listen, sizeof(s->listen));
	LOG_NOTICE(SUB, "listening on %s for zebra (dplane_fpm_nl)", s->listen);
	return s;
}

unsigned fpm_server_pollfds(const struct fpm_server *s, struct pollfd *pfd)
{
	pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	return s->fd >= 0 ? 2 : 1;
}

static void publish(struct fpm_server *s)
{
	char err[512];

	if (!s->dirty)
		return;
	s->dirty = false;
	// New prefixes past the capacity were refused one by one, so this fails only if /dev/shm
	// does: the changes are in the table and the next snapshot carries them.
	if (rs_table_publish(&rs_table, err, sizeof(err)) < 0) {
		rs_table.dirty = true;
		LOG_ERR(SUB, "publishing FPM changes: %s", err);
	}
}

// Ends the session: its routes become stale (still published), zebra's next-hop ids are
// forgotten.
static void session_close(struct fpm_server *s, const char *why)
{
	uint32_t stale;

	if (s->fd < 0)
		return;
	publish(s);
	close(s->fd);
	s->fd = -1;
	s->len = 0;
	fpm_nhg_clear(&s->nhg);
	// Emptied in place (no allocation): the ids mean nothing to the next session.
	while (s->refs.count > 0)
		rib_del(&s->refs, &s->refs.routes[s->refs.count - 1]);
	s->sweep_pending = false;
	stale = rs_table_fpm_stale(&rs_table);
	s->st.disconnects++;
	s->st.stale_marked += rib_routes(&rs_table.src[RS_SRC_FPM_STALE]);
	LOG_NOTICE(SUB,
		   "session with %s closed (%s): %u FPM routes stale, still forwarded until "
		   "zebra reconnects and resends",
		   s->peer, why, stale);
	s->peer[0] = '\0';
}

static void session_bad(struct fpm_server *s, const char *problem)
{
	s->st.malformed++;
	snprintf(s->last_error, sizeof(s->last_error), "%s: frame %llu: %s", s->peer,
		 (unsigned long long)s->frame_no, problem);
	LOG_ERR(SUB,
		"%s: frame %llu: %s; closing the connection (that frame and what follows it "
		"are not applied)",
		s->peer, (unsigned long long)s->frame_no, problem);
	session_close(s, "malformed input");
}

static void accept_session(struct fpm_server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char peer[80];
	int fd;

	fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			LOG_WARN(SUB, "accept: %s", strerror(errno));
		return;
	}
	format_addr(&ss, peer, sizeof(peer));
	// zebra has one FPM session; a new connection means it restarted or reconnected while
	// the old socket lingers, so the newest one wins.
	if (s->fd >= 0) {
		LOG_WARN(SUB, "new connection from %s replaces the session with %s", peer, s->peer);
		session_close(s, "replaced by a new connection");
	}
	s->fd = fd;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	s->since_ms = s->last_msg_ms = molt_now_ms();
	s->frame_no = 0;
	s->logged = 0;
	s->st.connections++;
	s->sweep_pending = rs_table.src[RS_SRC_FPM_STALE].count > 0;
	LOG_NOTICE(SUB, "session with %s%s", peer,
		   s->sweep_pending ? ": stale routes the resend does not refresh will be swept"
				    : "");
}

// Logs the first route of a kind skipped in this session (the rest are counted).
static void skip_log(struct fpm_server *s, unsigned bit, const struct fpm_route *rt,
		     const char *why)
{
	char a[64];

	if (s->logged & (1u << bit))
		return;
	s->logged |= 1u << bit;
	LOG_NOTICE(SUB, "%s/%u not installed: %s (further ones are only counted: fpm.status)",
		   molt_addr_format(rt->family, rt->prefix, a, sizeof(a)), rt->plen, why);
}

static void route_key(const struct fpm_route *rt, struct molt_route *r)
{
	memset(r, 0, sizeof(*r));
	r->family = rt->family;
	r->plen = rt->plen;
	memcpy(r->prefix, rt->prefix, sizeof(r->prefix));
}

static void route_del(struct fpm_server *s, const struct molt_route *key)
{
	if (rs_table_set(&rs_table, RS_SRC_FPM, key, true) > 0)
		s->dirty = true;
	if (rs_table_set(&rs_table, RS_SRC_FPM_STALE, key, true) > 0)
		s->dirty = true;
}

static bool is_link_local(const struct fpm_path *p)
{
	return p->family == 6 && p->gw[0] == 0xfe && (p->gw[1] & 0xc0) == 0x80;
}

// The molt route for an FPM route, and for a multipath one the records of its group (grp,
// *ngrp). Returns 0, or 1 when it cannot be installed (counted and logged here).
static int route_build(struct fpm_server *s, const struct fpm_route *rt, struct molt_route *r,
		       struct molt_route grp[MOLT_MAX_PATHS], unsigned *ngrp)
{
	struct fpm_path paths[FPM_MAX_PATHS];
	bool blackhole = rt->rtype != FPM_RT_UNICAST;
	const struct fpm_path *p;
	int n = rt->npaths, i;

	*ngrp = 0;
	route_key(rt, r);
	if (!blackhole && rt->nhid != 0) {
		n = fpm_nhg_resolve(&s->nhg, rt->nhid, paths, &blackhole);
		if (n == -ENOENT) {
			s->st.unresolved_nh++;
			skip_log(s, 0, rt, "its next hop id (or a group member) is unknown");
			return 1;
		}
		if (n < 0) {
			s->st.unusable_nh++;
			skip_log(s, 1, rt, "its next hop has an encapsulation or nested groups");
			return 1;
		}
	} else if (!blackhole) {
		memcpy(paths, rt->paths, sizeof(paths[0]) * (size_t)n);
		if (rt->paths_given > FPM_MAX_PATHS)
			s->st.paths_truncated++;
	}
	if (blackhole) {
		// Unreachable and prohibit routes drop too: molt has no route type that answers
		// with an ICMP error, and forwarding on a covering route would be wrong.
		r->type = MOLT_RT_BLACKHOLE;
		return 0;
	}
	if (n == 0) {
		s->st.no_gateway++;
		skip_log(s, 2, rt, "a unicast route without a next hop");
		return 1;
	}
	for (i = 0; i < n; i++) {
		p = &paths[i];
		if (!p->has_gw) {
			s->st.no_gateway++;
			skip_log(s, 2, rt,
				 "an interface route (zebra's interface index has no molt port "
				 "name)");
			return 1;
		}
		if (p->family != rt->family) {
			s->st.gw_family++;
			skip_log(s, 3, rt, "a gateway of the other address family");
			return 1;
		}
		if (is_link_local(p)) {
			s->st.link_local_gw++;
			skip_log(s, 4, rt,
				 "a link-local gateway needs a port, which FPM does not give");
			return 1;
		}
	}
	if (n > 1) {
		struct molt_path mp[FPM_MAX_PATHS];

		memset(mp, 0, sizeof(mp));
		for (i = 0; i < n; i++) {
			mp[i].family = paths[i].family;
			mp[i].weight = paths[i].weight >= 1 && paths[i].weight <= MOLT_WEIGHT_MAX
					       ? paths[i].weight
					       : 1;
			memcpy(mp[i].gateway, paths[i].gw, sizeof(mp[i].gateway));
		}
		molt_route_set_paths(r, mp, (unsigned)n, grp);
		*ngrp = (unsigned)n;
		s->st.multipath++;
		return 0;
	}
	p = &paths[0];
	r->type = MOLT_RT_VIA;
	memcpy(r->gateway, p->gw, sizeof(r->gateway));
	return 0;
}

static void route_add(struct fpm_server *s, const struct fpm_route *rt)
{
	struct molt_route r, grp[MOLT_MAX_PATHS];
	unsigned ngrp;
	char a[64];
	int ret;

	if (route_build(s, rt, &r, grp, &ngrp) != 0) {
		// zebra replaced its route with one molt cannot use: the old one must not stay.
		route_del(s, &r);
		return;
	}
	if (rib_find(&rs_table.rib, &r) == NULL && rib_routes(&rs_table.rib) >= rs_table.capacity) {
		s->st.capacity_refused++;
		skip_log(s, 5, rt, "the table is at its capacity (--capacity)");
		return;
	}
	// A group already published is shared, and costs nothing more.
	if (ngrp > 0 && rib_find(&rs_table.rib, &grp[0]) == NULL &&
	    rs_table.rib.count_groups + ngrp > rs_table.group_capacity) {
		s->st.capacity_refused++;
		skip_log(s, 6, rt,
			 "the table's next-hop group records are at their capacity "
			 "(--group-records)");
		return;
	}
	ret = rs_table_add_group(&rs_table, RS_SRC_FPM, grp, ngrp);
	if (ret == 0)
		ret = rs_table_set(&rs_table, RS_SRC_FPM, &r, false);
	if (ret < 0) {
		LOG_ERR(SUB, "%s/%u: %s", molt_addr_format(r.family, r.prefix, a, sizeof(a)),
			r.plen, strerror(-ret));
		return;
	}
	s->dirty |= ret > 0;
	// Refreshed: no longer stale.
	s->dirty |= rs_table_set(&rs_table, RS_SRC_FPM_STALE, &r, true) > 0;
}

// Records (nhid != 0) or forgets the next-hop id a route of this session came with.
static void ref_set(struct fpm_server *s, const struct fpm_route *rt, uint32_t nhid)
{
	struct molt_route ref;

	route_key(rt, &ref);
	if (nhid == 0) {
		rib_del(&s->refs, &ref);
		return;
	}
	ref.type = MOLT_RT_VIA;
	memcpy(ref.gateway, &nhid, sizeof(nhid));
	if (rib_add(&s->refs, &ref) < 0)
		LOG_ERR(SUB,
			"no memory to remember next hop %u of a route: a change of it in place "
			"will not reach that route",
			nhid);
}

static bool path_equal(const struct fpm_path *a, const struct fpm_path *b)
{
	return a->family == b->family && a->has_gw == b->has_gw && a->weight == b->weight &&
	       a->oif == b->oif && memcmp(a->gw, b->gw, sizeof(a->gw)) == 0;
}

static bool nh_equal(const struct fpm_nh *a, const struct fpm_nh *b)
{
	unsigned i;

	if (a->blackhole != b->blackhole || a->unusable != b->unusable || a->ngroup != b->ngroup ||
	    !path_equal(&a->path, &b->path))
		return false;
	for (i = 0; i < a->ngroup; i++)
		if (a->group[i].id != b->group[i].id || a->group[i].weight != b->group[i].weight)
			return false;
	return true;
}

// True when a route through next hop `via` depends on next hop `id`.
static bool uses(const struct fpm_server *s, uint32_t via, uint32_t id)
{
	const struct fpm_nh *nh;
	unsigned i;

	if (via == id)
		return true;
	nh = fpm_nhg_find(&s->nhg, via);
	for (i = 0; nh != NULL && i < nh->ngroup; i++)
		if (nh->group[i].id == id)
			return true;
	return false;
}

// Resolves the route of ref (a route of this session through next hop `via`) again. Replaces
// the route in place: refs keeps its order.
static void reresolve(struct fpm_server *s, const struct molt_route *ref, uint32_t via)
{
	struct fpm_route rt;

	memset(&rt, 0, offsetof(struct fpm_route, paths));
	rt.family = ref->family;
	rt.plen = ref->plen;
	memcpy(rt.prefix, ref->prefix, sizeof(rt.prefix));
	rt.rtype = FPM_RT_UNICAST;
	rt.nhid = via;
	route_add(s, &rt);
	s->st.reresolved++;
}

// zebra changed next hop `id` in place (same id, new content): the routes through it, or
// through a group that has it, are resolved again, as the kernel would.
static void nh_changed(struct fpm_server *s, uint32_t id)
{
	uint32_t i, via;

	for (i = 0; i < s->refs.count; i++) {
		memcpy(&via, s->refs.routes[i].gateway, sizeof(via));
		if (uses(s, via, id))
			reresolve(s, &s->refs.routes[i], via);
	}
}

// What one RTM_DELNEXTHOP removed or changed (fpm_nhg_remove): ids, and whether each is gone.
struct nh_hits {
	uint64_t *v; // id << 1 | gone, sorted before the lookups
	size_t n, cap;
	bool failed; // no memory for the list
};

static void nh_hit(void *ctx, uint32_t id, bool gone)
{
	struct nh_hits *h = ctx;
	uint64_t *v;

	if (h->n == h->cap) {
		v = realloc(h->v, sizeof(*v) * (h->cap * 2 + 16));
		if (v == NULL) {
			h->failed = true;
			return;
		}
		h->v = v;
		h->cap = h->cap * 2 + 16;
	}
	h->v[h->n++] = (uint64_t)id << 1 | gone;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

// zebra deleted next hop `id` (RTM_DELNEXTHOP). As in the kernel, the routes through it, or
// through a group it leaves empty, are removed; the routes through a group that keeps other
// members are resolved again over them. zebra normally deletes or moves its routes first, so
// this is for the routes it did not.
static void nh_removed(struct fpm_server *s, uint32_t id)
{
	struct nh_hits h = { 0 };
	uint64_t gone, kept;
	struct molt_route ref;
	uint32_t i, via;
	int ret;

	ret = fpm_nhg_remove(&s->nhg, id, nh_hit, &h);
	if (ret == -ENOMEM || h.failed) {
		// Without the list, the routes through what changed are not known: they go as
		// zebra's later messages bring them.
		LOG_ERR(SUB, "no memory to follow the deletion of next hop %u to its routes", id);
		if (ret == -ENOMEM)
			fpm_nhg_del(&s->nhg, id);
	}
	if (h.n == 0 || h.failed) {
		free(h.v);
		return;
	}
	qsort(h.v, h.n, sizeof(*h.v), u64_cmp);
	// Backwards: removing a ref moves the last one into its place, which was already seen.
	for (i = s->refs.count; i-- > 0;) {
		ref = s->refs.routes[i];
		memcpy(&via, ref.gateway, sizeof(via));
		gone = (uint64_t)via << 1 | 1;
		kept = (uint64_t)via << 1;
		if (bsearch(&gone, h.v, h.n, sizeof(*h.v), u64_cmp) != NULL) {
			route_del(s, &ref); // only its key is used
			rib_del(&s->refs, &ref);
			s->st.nh_del_routes++;
		} else if (bsearch(&kept, h.v, h.n, sizeof(*h.v), u64_cmp) != NULL) {
			reresolve(s, &ref, via);
		}
	}
	free(h.v);
}

static int apply(void *ctx, const struct fpm_msg *m)
{
	const struct fpm_nh *old;
	bool changed;
	struct fpm_server *s = ctx;
	struct molt_route key;
	int ret;

	s->st.messages++;
	if (m->skip != FPM_SKIP_NONE)
		s->st.skipped[m->skip]++;
	switch (m->kind) {
	case FPM_ROUTE_ADD:
		s->st.route_adds++;
		if (m->skip == FPM_SKIP_NONE) {
			route_add(s, &m->rt);
			ref_set(s, &m->rt, m->rt.rtype == FPM_RT_UNICAST ? m->rt.nhid : 0);
		} else if (m->skip == FPM_SKIP_ROUTE_TYPE || m->skip == FPM_SKIP_ENCAP) {
			route_key(&m->rt, &key);
			route_del(s, &key);
			ref_set(s, &m->rt, 0);
		}
		break;
	case FPM_ROUTE_DEL:
		s->st.route_dels++;
		if (m->skip == FPM_SKIP_NONE) {
			route_key(&m->rt, &key);
			route_del(s, &key);
			ref_set(s, &m->rt, 0);
		}
		break;
	case FPM_NH_ADD:
		s->st.nh_adds++;
		if (m->nh.group_given > FPM_MAX_PATHS)
			s->st.paths_truncated++;
		old = fpm_nhg_find(&s->nhg, m->nh.id);
		changed = old != NULL && !nh_equal(old, &m->nh);
		ret = fpm_nhg_set(&s->nhg, &m->nh);
		if (ret < 0)
			LOG_ERR(SUB, "next hop %u: %s", m->nh.id, strerror(-ret));
		else if (changed)
			nh_changed(s, m->nh.id);
		break;
	case FPM_NH_DEL:
		s->st.nh_dels++;
		nh_removed(s, m->nh.id);
		break;
	case FPM_IGNORED:
		break;
	}
	return 0;
}

// Applies the whole frames in the buffer; keeps a partial one at the front. Returns -1 when the
// session was closed.
static int process(struct fpm_server *s)
{
	size_t off = 0;
	char err[256];
	int flen;

	while (s->len - off >= FPM_HDR_LEN) {
		flen = fpm_header_parse(s->buf + off, err, sizeof(err));
		s->frame_no++;
		if (flen < 0) {
			session_bad(s, err);
			return -1;
		}
		if (s->len - off < (size_t)flen) {
			s->frame_no--;
			break;
		}
		// The frame is checked whole first, so a bad message in it applies nothing.
		if (fpm_frame_parse(s->buf + off + FPM_HDR_LEN, (size_t)flen - FPM_HDR_LEN, NULL,
				    NULL, err, sizeof(err)) < 0) {
			session_bad(s, err);
			return -1;
		}
		fpm_frame_parse(s->buf + off + FPM_HDR_LEN, (size_t)flen - FPM_HDR_LEN, apply, s,
				err, sizeof(err));
		s->st.frames++;
		off += (size_t)flen;
	}
	if (off > 0) {
		memmove(s->buf, s->buf + off, s->len - off);
		s->len -= off;
	}
	return 0;
}

static void session_read(struct fpm_server *s)
{
	size_t budget = READ_BUDGET;
	ssize_t n;

	while (s->fd >= 0 && budget > 0) {
		n = read(s->fd, s->buf + s->len, BUF_SIZE - s->len);
		if (n > 0) {
			s->len += (size_t)n;
			s->st.bytes += (uint64_t)n;
			budget -= (size_t)n < budget ? (size_t)n : budget;
			s->last_msg_ms = molt_now_ms();
			if (process(s) < 0)
				return;
			continue;
		}
		if (n == 0) {
			session_close(s, s->len > 0 ? "closed by zebra in the middle of a frame"
						    : "closed by zebra");
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			session_close(s, strerror(errno));
		break;
	}
	publish(s);
}

void fpm_server_handle(struct fpm_server *s, const struct pollfd *pfd, unsigned n)
{
	if (n > 1 && s->fd >= 0 && pfd[1].fd == s->fd &&
	    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
		session_read(s);
	if (n > 0 && (pfd[0].revents & POLLIN))
		accept_session(s);
}

void fpm_server_tick(struct fpm_server *s, uint64_t now_ms)
{
	uint64_t hold = (uint64_t)s->hold_s * 1000, quiet = hold < QUIET_MS ? hold : QUIET_MS;
	uint32_t n;

	if (!s->sweep_pending || s->fd < 0 || now_ms - s->since_ms < hold)
		return;
	// A large resend may outlast the hold: wait until it has gone quiet, within reason.
	if (now_ms - s->last_msg_ms < quiet && now_ms - s->since_ms < 4 * hold)
		return;
	s->sweep_pending = false;
	n = rs_table_fpm_sweep(&rs_table);
	s->st.swept += n;
	s->dirty |= n > 0;
	publish(s);
	LOG_NOTICE(SUB, "swept %u stale FPM routes that zebra's resend did not refresh", n);
}

void fpm_server_destroy(struct fpm_server *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0) {
		publish(s);
		close(s->fd);
	}
	if (s->lfd >= 0)
		close(s->lfd);
	fpm_nhg_clear(&s->nhg);
	rib_free(&s->refs);
	free(s->buf);
	free(s);
}

void fpm_server_info(const struct fpm_server *s, struct fpm_info *info)
{
	*info = (struct fpm_info){
		.listen = s->listen,
		.connected = s->fd >= 0,
		.peer = s->peer,
		.session_ms = s->fd >= 0 ? molt_now_ms() - s->since_ms : 0,
		.nexthops = s->nhg.count,
		.sweep_pending = s->sweep_pending,
		.hold_s = s->hold_s,
		.last_error = s->last_error,
		.stats = &s->st,
	};
}
