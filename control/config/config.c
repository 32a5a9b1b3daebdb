// SPDX-License-Identifier: BSD-3-Clause
// moltd's JSON config: every key is known, every value checked, and every mistake reported with
// the file, the JSON path and the offending value, because a router that starts with a config
// it half understood is worse than one that refuses to start.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/config/config.h"
#include "common/json/json_check.h"
#include "control/config/mac.h"
#include "drivers/driver.h"

#define DEFAULT_CONTROL_SOCKET "/run/molt/moltd.sock"

static void set_defaults(struct molt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", DEFAULT_CONTROL_SOCKET);
	// FIBs are sized from their table; no cap on how large it may grow.
	cfg->fib_headroom_percent = 25;
	snprintf(cfg->driver, sizeof(cfg->driver), "molt");
	cfg->slots = 3;
	cfg->interval_ms = 10000;
	cfg->icmp_rate = 100;
	cfg->icmp_burst = 10;
	cfg->neigh_timeout_ms = 30000;
	cfg->neigh_hold = 3;
	cfg->integrity_budget_percent = 5;
	cfg->integrity_period_ms = 1000;
	snprintf(cfg->integrity_alg, sizeof(cfg->integrity_alg), "auto");
}

// Port names appear in route files as `dev NAME` and in logs: keep them to one plain token.
static int check_port_name(struct jcheck *c, const char *path, const char *name)
{
	for (const char *p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.')
			continue;
		return jcheck_fail(c, path, "\"%s\": use only letters, digits, '_', '-' and '.'",
				   name);
	}
	return 0;
}

static int get_mac(struct jcheck *c, const char *path, const json_t *v, struct rte_ether_addr *mac)
{
	char s[32];
	int ret = jcheck_string(c, path, v, s, sizeof(s));

	if (ret < 0)
		return ret;
	if (mac_parse(s, mac) < 0)
		return jcheck_fail(c, path,
				   "\"%s\" is not a MAC address (expected xx:xx:xx:xx:xx:xx)", s);
	if (rte_is_zero_ether_addr(mac) || rte_is_multicast_ether_addr(mac))
		return jcheck_fail(c, path, "\"%s\" is not a unicast MAC address", s);
	return 0;
}

static bool same_addr(uint8_t family, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, family == 4 ? 4 : 16) == 0;
}

// Finds an earlier port address equal to addr; returns its JSON path in where.
static bool addr_in_use(const struct molt_config *cfg, uint16_t upto_port, uint8_t family,
			const uint8_t *addr, char where[JCHECK_PATH_MAX])
{
	for (uint16_t p = 0; p <= upto_port; p++) {
		const struct molt_port_conf *pc = &cfg->ports[p];
		const struct molt_ifaddr *a = family == 4 ? pc->v4 : pc->v6;
		uint16_t n = family == 4 ? pc->n_v4 : pc->n_v6;

		for (uint16_t i = 0; i < n; i++) {
			if (same_addr(family, a[i].addr, addr)) {
				snprintf(where, JCHECK_PATH_MAX, "ports[%u].ipv%u[%u]", p, family,
					 i);
				return true;
			}
		}
	}
	return false;
}

static int get_addrs(struct jcheck *c, struct molt_config *cfg, uint16_t port, const char *path,
		     const json_t *v, uint8_t want)
{
	struct molt_port_conf *pc = &cfg->ports[port];
	struct molt_ifaddr *out = want == 4 ? pc->v4 : pc->v6;
	uint16_t *count = want == 4 ? &pc->n_v4 : &pc->n_v6;
	char ip[JCHECK_PATH_MAX], s[64], perr[128], where[JCHECK_PATH_MAX];
	int n = jcheck_array(c, path, v, 0, MOLT_MAX_ADDRS_PER_PORT);

	for (int i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, (size_t)i);
		uint8_t fam, addr[16], plen;
		int ret;

		jcheck_index(ip, path, (size_t)i);
		if (!json_is_string(e))
			return jcheck_fail(c, ip, "%s is not an IPv%u prefix",
					   jcheck_show(e, s, sizeof(s)), want);
		ret = jcheck_string(c, ip, e, s, sizeof(s));
		if (ret < 0)
			return ret;
		if (strchr(s, '/') == NULL)
			return jcheck_fail(c, ip, "\"%s\" has no prefix length (write it like %s)",
					   s, want == 4 ? "10.0.1.1/24" : "2001:db8:1::1/64");
		if (molt_prefix_parse(s, &fam, addr, &plen, true, perr, sizeof(perr)) < 0 ||
		    fam != want)
			return jcheck_fail(c, ip, "\"%s\" is not an IPv%u prefix", s, want);
		if (want == 4 && (addr[0] == 0 || addr[0] >= 224 || addr[0] == 127))
			return jcheck_fail(c, ip, "\"%s\" is not a unicast host address", s);
		if (want == 6 &&
		    (addr[0] == 0xff ||
		     (memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15) == 0 && addr[15] <= 1)))
			return jcheck_fail(c, ip, "\"%s\" is not a unicast host address", s);
		if (addr_in_use(cfg, port, want, addr, where))
			return jcheck_fail(c, ip, "\"%s\": this address is already given at %s", s,
					   where);
		memcpy(out[*count].addr, addr, 16);
		out[*count].plen = plen;
		(*count)++;
	}
	return n < 0 ? n : 0;
}

static int get_port(struct jcheck *c, struct molt_config *cfg, const json_t *v, uint16_t idx)
{
	static const char *const keys[] = { "name", "devargs", "ipv4", "ipv6", "mac", NULL };
	struct molt_port_conf *pc = &cfg->ports[idx];
	char path[JCHECK_PATH_MAX], kp[JCHECK_PATH_MAX];
	const json_t *name, *devargs, *e;
	int ret;

	jcheck_index(path, "ports", idx);
	if ((ret = jcheck_object(c, path, v, keys)) < 0)
		return ret;

	name = json_object_get(v, "name");
	if (name == NULL)
		return jcheck_fail(c, path, "missing \"name\"");
	jcheck_key(kp, path, "name");
	if ((ret = jcheck_string(c, kp, name, pc->name, sizeof(pc->name))) < 0)
		return ret;
	if ((ret = check_port_name(c, kp, pc->name)) < 0)
		return ret;

	devargs = json_object_get(v, "devargs");
	if (devargs == NULL)
		return jcheck_fail(c, path,
				   "missing \"devargs\" (a DPDK device string such as "
				   "\"net_af_packet0,iface=veth0\")");
	jcheck_key(kp, path, "devargs");
	if ((ret = jcheck_string(c, kp, devargs, pc->devargs, sizeof(pc->devargs))) < 0)
		return ret;
	if (pc->devargs[0] == ',')
		return jcheck_fail(c, kp, "\"%s\" does not start with a device name", pc->devargs);

	// DPDK knows a device by the part before the first comma: two ports naming the same
	// device would be one port probed twice.
	for (uint16_t i = 0; i < idx; i++) {
		size_t l1 = strcspn(pc->devargs, ","), l2 = strcspn(cfg->ports[i].devargs, ",");

		if (strcmp(cfg->ports[i].name, pc->name) == 0)
			return jcheck_fail(c, jcheck_key(kp, path, "name"),
					   "\"%s\" is already the name of "
					   "ports[%u]",
					   pc->name, i);
		if (l1 == l2 && memcmp(pc->devargs, cfg->ports[i].devargs, l1) == 0)
			return jcheck_fail(c, kp,
					   "device \"%.*s\" is already used by ports[%u] "
					   "(\"%s\")",
					   (int)l1, pc->devargs, i, cfg->ports[i].name);
	}

	if ((e = json_object_get(v, "ipv4")) != NULL &&
	    (ret = get_addrs(c, cfg, idx, jcheck_key(kp, path, "ipv4"), e, 4)) < 0)
		return ret;
	if ((e = json_object_get(v, "ipv6")) != NULL &&
	    (ret = get_addrs(c, cfg, idx, jcheck_key(kp, path, "ipv6"), e, 6)) < 0)
		return ret;
	if ((e = json_object_get(v, "mac")) != NULL) {
		if ((ret = get_mac(c, jcheck_key(kp, path, "mac"), e, &pc->mac)) < 0)
			return ret;
		pc->has_mac = true;
	}
	return 0;
}

static int get_ports(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	int n = jcheck_array(c, "ports", v, 1, MOLT_MAX_PORTS);

	for (int i = 0; i < n; i++) {
		int ret = get_port(c, cfg, json_array_get(v, (size_t)i), (uint16_t)i);

		if (ret < 0)
			return ret;
		cfg->n_ports = (uint16_t)(i + 1);
	}
	return n < 0 ? n : 0;
}

static int get_neighbor(struct jcheck *c, struct molt_config *cfg, const json_t *v, uint16_t idx)
{
	static const char *const keys[] = { "ip", "mac", "port", NULL };
	struct molt_neigh_conf *nc = &cfg->neigh[idx];
	char path[JCHECK_PATH_MAX], kp[JCHECK_PATH_MAX], s[64];
	const json_t *ip, *mac, *port;
	int ret;

	jcheck_index(path, "neighbors", idx);
	if ((ret = jcheck_object(c, path, v, keys)) < 0)
		return ret;
	ip = json_object_get(v, "ip");
	mac = json_object_get(v, "mac");
	port = json_object_get(v, "port");
	if (ip == NULL || mac == NULL || port == NULL)
		return jcheck_fail(c, path, "missing \"%s\" (a neighbour needs ip, mac and port)",
				   ip == NULL    ? "ip"
				   : mac == NULL ? "mac"
						 : "port");

	jcheck_key(kp, path, "ip");
	if ((ret = jcheck_string(c, kp, ip, s, sizeof(s))) < 0)
		return ret;
	if (molt_addr_parse(s, &nc->family, nc->ip) < 0)
		return jcheck_fail(c, kp, "\"%s\" is not an IPv4 or IPv6 address", s);
	if ((ret = get_mac(c, jcheck_key(kp, path, "mac"), mac, &nc->mac)) < 0)
		return ret;
	jcheck_key(kp, path, "port");
	if ((ret = jcheck_string(c, kp, port, nc->port, sizeof(nc->port))) < 0)
		return ret;
	if (molt_config_port(cfg, nc->port) == NULL)
		return jcheck_fail(c, kp, "\"%s\" is not the name of a configured port", nc->port);
	for (uint16_t i = 0; i < idx; i++) {
		const struct molt_neigh_conf *o = &cfg->neigh[i];

		if (o->family == nc->family && same_addr(nc->family, o->ip, nc->ip) &&
		    strcmp(o->port, nc->port) == 0)
			return jcheck_fail(c, jcheck_key(kp, path, "ip"),
					   "\"%s\" on port \"%s\" is "
					   "already given at neighbors[%u]",
					   s, nc->port, i);
	}
	return 0;
}

static int get_neighbors(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	int n = jcheck_array(c, "neighbors", v, 0, MOLT_MAX_STATIC_NEIGH);

	for (int i = 0; i < n; i++) {
		int ret = get_neighbor(c, cfg, json_array_get(v, (size_t)i), (uint16_t)i);

		if (ret < 0)
			return ret;
		cfg->n_neigh = (uint16_t)(i + 1);
	}
	return n < 0 ? n : 0;
}

static int get_driver(struct jcheck *c, const char *path, const json_t *v, char *out)
{
	char known[256] = "";
	size_t used = 0;
	int ret = jcheck_string(c, path, v, out, MOLT_DRIVER_NAME_MAX);

	if (ret < 0 || fib_driver_find(out) != NULL)
		return ret;
	for (const struct fib_driver *d = fib_driver_next(NULL); d; d = fib_driver_next(d)) {
		int n = snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "",
				 d->name);
		if (n < 0 || (size_t)n >= sizeof(known) - used)
			break;
		used += (size_t)n;
	}
	return jcheck_fail(c, path, "\"%s\" is not a FIB driver (known: %s)", out,
			   used ? known : "none registered");
}

static int get_feed(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	static const char *const keys[] = { "shm", "key_file", NULL };
	const json_t *shm, *key;
	int ret;

	if ((ret = jcheck_object(c, "feed", v, keys)) < 0)
		return ret;
	if ((shm = json_object_get(v, "shm")) == NULL)
		return jcheck_fail(c, "feed",
				   "missing \"shm\" (the shared-memory name given to "
				   "molt-routeserver --shm)");
	if ((key = json_object_get(v, "key_file")) != NULL &&
	    (ret = jcheck_string(c, "feed.key_file", key, cfg->feed_key_file,
				 sizeof(cfg->feed_key_file))) < 0)
		return ret;
	return jcheck_string(c, "feed.shm", shm, cfg->feed_shm, sizeof(cfg->feed_shm));
}

static int get_control(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	static const char *const keys[] = { "socket", "group", NULL };
	const json_t *e;
	int ret;

	if ((ret = jcheck_object(c, "control", v, keys)) < 0)
		return ret;
	if ((e = json_object_get(v, "socket")) != NULL &&
	    (ret = jcheck_string(c, "control.socket", e, cfg->control_socket,
				 sizeof(cfg->control_socket))) < 0)
		return ret;
	// Whether the group exists is checked when the socket is created, where it matters.
	if ((e = json_object_get(v, "group")) != NULL)
		return jcheck_string(c, "control.group", e, cfg->control_group,
				     sizeof(cfg->control_group));
	return 0;
}

static int get_fib(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	static const char *const keys[] = { "driver",         "max_routes_v4",    "max_routes_v6",
					    "tbl8_groups_v4", "headroom_percent", NULL };
	const json_t *e;
	int ret;

	if ((ret = jcheck_object(c, "fib", v, keys)) < 0)
		return ret;
	if ((e = json_object_get(v, "driver")) != NULL &&
	    (ret = get_driver(c, "fib.driver", e, cfg->driver)) < 0)
		return ret;
	if ((e = json_object_get(v, "max_routes_v4")) != NULL &&
	    (ret = jcheck_uint(c, "fib.max_routes_v4", e, 16, FIB_NH_MAX * 16u,
			       &cfg->fib_max_routes_v4)) < 0)
		return ret;
	if ((e = json_object_get(v, "max_routes_v6")) != NULL &&
	    (ret = jcheck_uint(c, "fib.max_routes_v6", e, 16, FIB_NH_MAX * 16u,
			       &cfg->fib_max_routes_v6)) < 0)
		return ret;
	// rte_lpm's tbl8 index is 24 bits wide.
	if ((e = json_object_get(v, "tbl8_groups_v4")) != NULL &&
	    (ret = jcheck_uint(c, "fib.tbl8_groups_v4", e, 1, 1u << 24, &cfg->fib_tbl8_groups_v4)) <
		    0)
		return ret;
	// Percent of the table's routes and tbl8 groups a slot keeps free for live updates.
	if ((e = json_object_get(v, "headroom_percent")) != NULL &&
	    (ret = jcheck_uint(c, "fib.headroom_percent", e, 0, 1000, &cfg->fib_headroom_percent)) <
		    0)
		return ret;
	return 0;
}

static int get_metabolism(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	static const char *const keys[] = { "slots", "interval_ms", "drivers", NULL };
	char ip[JCHECK_PATH_MAX];
	const json_t *e;
	int ret, n;

	if ((ret = jcheck_object(c, "metabolism", v, keys)) < 0)
		return ret;
	// Two slots is the minimum for a hitless flip: one ACTIVE while the next is BUILDING.
	if ((e = json_object_get(v, "slots")) != NULL &&
	    (ret = jcheck_uint(c, "metabolism.slots", e, 2, 16, &cfg->slots)) < 0)
		return ret;
	if ((e = json_object_get(v, "interval_ms")) != NULL &&
	    (ret = jcheck_uint(c, "metabolism.interval_ms", e, 0, 86400000, &cfg->interval_ms)) < 0)
		return ret;
	if ((e = json_object_get(v, "drivers")) == NULL)
		return 0;
	n = jcheck_array(c, "metabolism.drivers", e, 1, MOLT_MAX_SLOT_DRIVERS);
	for (int i = 0; i < n; i++) {
		jcheck_index(ip, "metabolism.drivers", (size_t)i);
		ret = get_driver(c, ip, json_array_get(e, (size_t)i), cfg->drivers[i]);
		if (ret < 0)
			return ret;
		cfg->n_drivers = (uint16_t)(i + 1);
	}
	return n < 0 ? n : 0;
}

static int get_icmp(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	static const char *const keys[] = { "rate_per_sec", "burst", NULL };
	const json_t *e;
	int ret;

	if ((ret = jcheck_object(c, "icmp", v, keys)) < 0)
		return ret;
	if ((e = json_object_get(v, "rate_per_sec")) != NULL &&
	    (ret = jcheck_uint(c, "icmp.rate_per_sec", e, 0, 1000000, &cfg->icmp_rate)) < 0)
		return ret;
	if ((e = json_object_get(v, "burst")) != NULL &&
	    (ret = jcheck_uint(c, "icmp.burst", e, 1, 1000000, &cfg->icmp_burst)) < 0)
		return ret;
	return 0;
}

// metabolism.drivers when the config has none: engines of different families in turn (molt's
// own trie, then rte_fib DIR24_8 + rte_fib6 TRIE), so that two consecutive generations never
// share a structure, nor a bug or a memory layout of one. lpm stays out: rte_lpm_add is
// quadratic within a prefix length (~57 s for 1M IPv4 routes), too slow for a full table
// every period. A config that names fib.driver alone keeps to that engine.
static void default_drivers(struct molt_config *cfg, bool driver_named)
{
	static const char *const rotation[] = { "molt", "fib" };

	if (driver_named) {
		cfg->n_drivers = 1;
		memcpy(cfg->drivers[0], cfg->driver, sizeof(cfg->drivers[0]));
		return;
	}
	cfg->n_drivers = RTE_DIM(rotation);
	for (unsigned i = 0; i < RTE_DIM(rotation); i++)
		snprintf(cfg->drivers[i], sizeof(cfg->drivers[i]), "%s", rotation[i]);
}

// The page-MAC audit of live slots (docs/integrity.md).
static int get_integrity(struct jcheck *c, struct molt_config *cfg, const json_t *v)
{
	static const char *const keys[] = { "budget_percent", "period_ms", "algorithm", NULL };
	const json_t *e;
	int ret;

	if ((ret = jcheck_object(c, "integrity", v, keys)) < 0)
		return ret;
	if ((e = json_object_get(v, "budget_percent")) != NULL &&
	    (ret = jcheck_uint(c, "integrity.budget_percent", e, 0, 100,
			       &cfg->integrity_budget_percent)) < 0)
		return ret;
	if ((e = json_object_get(v, "period_ms")) != NULL &&
	    (ret = jcheck_uint(c, "integrity.period_ms", e, 10, 3600000,
			       &cfg->integrity_period_ms)) < 0)
		return ret;
	if ((e = json_object_get(v, "algorithm")) != NULL) {
		if ((ret = jcheck_string(c, "integrity.algorithm", e, cfg->integrity_alg,
					 sizeof(cfg->integrity_alg))) < 0)
			return ret;
		if (strcmp(cfg->integrity_alg, "auto") != 0 &&
		    strcmp(cfg->integrity_alg, "aes-cmac") != 0 &&
		    strcmp(cfg->integrity_alg, "hmac-sha256") != 0)
			return jcheck_fail(c, "integrity.algorithm",
					   "\"%s\": use \"auto\", \"aes-cmac\" or \"hmac-sha256\"",
					   cfg->integrity_alg);
	}
	return 0;
}

static int get_root(struct jcheck *c, struct molt_config *cfg, const json_t *root)
{
	static const char *const keys[] = {
		"ports",         "neighbors",     "feed",      "control",
		"fib",           "metabolism",    "icmp",      "neighbor_timeout_ms",
		"neighbor_hold", "control_plane", "integrity", NULL
	};
	const json_t *e;
	int ret;

	if (!json_is_object(root))
		return jcheck_fail(c, "", "the top level must be a JSON object");
	if ((ret = jcheck_object(c, "", root, keys)) < 0)
		return ret;

	if ((e = json_object_get(root, "ports")) == NULL)
		return jcheck_fail(c, "", "missing \"ports\" (at least one port is needed)");
	if ((ret = get_ports(c, cfg, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "neighbors")) != NULL &&
	    (ret = get_neighbors(c, cfg, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "feed")) == NULL)
		return jcheck_fail(c, "",
				   "missing \"feed\" (with \"shm\", the route server's "
				   "shared-memory name)");
	if ((ret = get_feed(c, cfg, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "control")) != NULL && (ret = get_control(c, cfg, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "fib")) != NULL && (ret = get_fib(c, cfg, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "metabolism")) != NULL &&
	    (ret = get_metabolism(c, cfg, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "icmp")) != NULL && (ret = get_icmp(c, cfg, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "neighbor_timeout_ms")) != NULL &&
	    (ret = jcheck_uint(c, "neighbor_timeout_ms", e, 1000, 86400000,
			       &cfg->neigh_timeout_ms)) < 0)
		return ret;
	if ((e = json_object_get(root, "neighbor_hold")) != NULL &&
	    (ret = jcheck_uint(c, "neighbor_hold", e, 0, 1024, &cfg->neigh_hold)) < 0)
		return ret;

	if ((e = json_object_get(root, "control_plane")) != NULL &&
	    (ret = config_get_control_plane(c, &cfg->cp, e)) < 0)
		return ret;
	if ((e = json_object_get(root, "integrity")) != NULL &&
	    (ret = get_integrity(c, cfg, e)) < 0)
		return ret;

	if (cfg->n_drivers == 0)
		default_drivers(cfg,
				json_object_get(json_object_get(root, "fib"), "driver") != NULL);
	return 0;
}

int molt_config_load(const char *path, struct molt_config *cfg, char *err, size_t errlen)
{
	struct jcheck c = { .file = path, .member = "key", .msg = err, .msglen = errlen };
	json_error_t jerr;
	json_t *root;
	FILE *f;
	int ret;

	set_defaults(cfg);
	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	// Duplicate keys would silently let the last one win: refuse them like any typo.
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", path, jerr.line, jerr.column,
			 jerr.text);
		return -EINVAL;
	}
	ret = get_root(&c, cfg, root);
	json_decref(root);
	return ret;
}

const struct molt_port_conf *molt_config_port(const struct molt_config *cfg, const char *name)
{
	for (uint16_t i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return &cfg->ports[i];
	return NULL;
}
