// SPDX-License-Identifier: BSD-3-Clause
// control_plane: the namespace the router's kernel interfaces live in, the peers and extra
// protocols admitted to it, and the per-port punt rate.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/route.h"
#include "control/config/control_plane.h"

// The name becomes a path under /run/netns: one plain token.
static int check_netns(struct jcheck *c, const char *path, const char *name)
{
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return jcheck_fail(c, path, "\"%s\" is not a namespace name", name);
	for (const char *p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.')
			continue;
		return jcheck_fail(c, path,
				   "\"%s\": a namespace name (as given to ip netns add) has only "
				   "letters, digits, '_', '-' and '.'",
				   name);
	}
	return 0;
}

static int get_peers(struct jcheck *c, struct molt_cp_conf *cp, const json_t *v)
{
	char ip[JCHECK_PATH_MAX], s[64];
	int n = jcheck_array(c, "control_plane.peers", v, 0, MOLT_CP_MAX_PEERS);

	for (int i = 0; i < n; i++) {
		struct molt_cp_peer *p = &cp->peers[i];
		int ret;

		jcheck_index(ip, "control_plane.peers", (size_t)i);
		if ((ret = jcheck_string(c, ip, json_array_get(v, (size_t)i), s, sizeof(s))) < 0)
			return ret;
		if (molt_addr_parse(s, &p->family, p->ip) < 0)
			return jcheck_fail(c, ip, "\"%s\" is not an IPv4 or IPv6 address", s);
		for (int j = 0; j < i; j++)
			if (cp->peers[j].family == p->family &&
			    memcmp(cp->peers[j].ip, p->ip, 16) == 0)
				return jcheck_fail(c, ip,
						   "\"%s\" is already given at "
						   "control_plane.peers[%d]",
						   s, j);
		cp->n_peers = (uint16_t)(i + 1);
	}
	return n < 0 ? n : 0;
}

// "tcp/PORT", "udp/PORT" or "ip/PROTOCOL".
static int parse_proto(const char *s, struct molt_cp_proto *p)
{
	const char *slash = strchr(s, '/');
	unsigned long v;
	char *end;

	if (slash == NULL || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if ((size_t)(slash - s) == 3 && (strncmp(s, "tcp", 3) == 0 || strncmp(s, "udp", 3) == 0)) {
		if (v == 0 || v > 65535)
			return -ERANGE;
		p->proto = s[0] == 't' ? 6 : 17;
		p->port = (uint16_t)v;
		return 0;
	}
	if ((size_t)(slash - s) == 2 && strncmp(s, "ip", 2) == 0) {
		// TCP and UDP need a port: all of TCP would let anything up.
		if (v > 255 || v == 6 || v == 17)
			return -ERANGE;
		p->proto = (uint8_t)v;
		p->port = 0;
		return 0;
	}
	return -EINVAL;
}

static int get_protocols(struct jcheck *c, struct molt_cp_conf *cp, const json_t *v)
{
	char ip[JCHECK_PATH_MAX], s[32];
	int n = jcheck_array(c, "control_plane.protocols", v, 0, MOLT_CP_MAX_PROTOCOLS);

	for (int i = 0; i < n; i++) {
		int ret;

		jcheck_index(ip, "control_plane.protocols", (size_t)i);
		if ((ret = jcheck_string(c, ip, json_array_get(v, (size_t)i), s, sizeof(s))) < 0)
			return ret;
		ret = parse_proto(s, &cp->protocols[i]);
		if (ret == -ERANGE)
			return jcheck_fail(c, ip,
					   "\"%s\": a port is 1..65535, an IP protocol 0..255 "
					   "other than 6 and 17 (give TCP and UDP with a port)",
					   s);
		if (ret < 0)
			return jcheck_fail(c, ip,
					   "\"%s\" is not a protocol (write tcp/PORT, udp/PORT or "
					   "ip/PROTOCOL, e.g. tcp/646, udp/520, ip/112)",
					   s);
		cp->n_protocols = (uint16_t)(i + 1);
	}
	return n < 0 ? n : 0;
}

int config_get_control_plane(struct jcheck *c, struct molt_cp_conf *cp, const json_t *v)
{
	static const char *const keys[] = { "netns", "peers", "protocols", "rate_per_sec",
					    "burst", "guard", NULL };
	const json_t *e;
	int ret;

	memset(cp, 0, sizeof(*cp));
	cp->rate_per_sec = 5000;
	cp->burst = 500;
	cp->guard = true;
	if ((ret = jcheck_object(c, "control_plane", v, keys)) < 0)
		return ret;
	if ((e = json_object_get(v, "netns")) == NULL)
		return jcheck_fail(c, "control_plane",
				   "missing \"netns\" (the network namespace, made with ip "
				   "netns add, where the router's control-plane interfaces go)");
	if ((ret = jcheck_string(c, "control_plane.netns", e, cp->netns, sizeof(cp->netns))) < 0 ||
	    (ret = check_netns(c, "control_plane.netns", cp->netns)) < 0)
		return ret;
	if ((e = json_object_get(v, "peers")) != NULL && (ret = get_peers(c, cp, e)) < 0)
		return ret;
	if ((e = json_object_get(v, "protocols")) != NULL && (ret = get_protocols(c, cp, e)) < 0)
		return ret;
	if ((e = json_object_get(v, "rate_per_sec")) != NULL &&
	    (ret = jcheck_uint(c, "control_plane.rate_per_sec", e, 1, 1000000, &cp->rate_per_sec)) <
		    0)
		return ret;
	if ((e = json_object_get(v, "burst")) != NULL &&
	    (ret = jcheck_uint(c, "control_plane.burst", e, 1, 1000000, &cp->burst)) < 0)
		return ret;
	if ((e = json_object_get(v, "guard")) != NULL &&
	    (ret = jcheck_bool(c, "control_plane.guard", e, &cp->guard)) < 0)
		return ret;
	cp->enabled = true;
	return 0;
}
