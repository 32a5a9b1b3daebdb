// SPDX-License-Identifier: BSD-3-Clause
// One net_tap per port, created from inside the control-plane namespace: the PMD opens its tun
// queues and its control sockets when the device is probed and set up, and they stay bound to
// the namespace they were opened in, so the tap is born there and moltd keeps driving it from
// its own namespace. (A tap created outside and moved with `ip link set netns` loses the PMD's
// ioctl socket: starting or stopping it fails.)
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "common/log.h"
#include "control/config/mac.h"
#include "control/cpif/cp_filter.h"
#include "control/cpif/cp_netns.h"
#include "control/cpif/cpif.h"
#include "control/cpif/guard.h"
#include "control/host/inject.h"
#include "control/host/router.h"
#include "dataplane/dataplane.h"

#define TAP_DESC 512
#define TAP_BURST 32
#define TAP_BURSTS_PER_POLL 4 // as the punt rings: timers and RPCs are not starved

struct cpif {
	bool used;
	uint16_t port; // the data port
	uint16_t tap; // its tap's DPDK port id
	bool tap_probed, tap_started;
	int ifindex;
	char ifname[IF_NAMESIZE];
	struct guard *guard; // guarded by info_lock (telemetry reads it)
	struct cp_bucket bucket;
	uint64_t ctr[CPIF_CTR_MAX];
};

static struct cpif cps[MOLT_MAX_PORTS]; // by data port id
static struct molt_cp_conf conf;
static struct rte_mempool *pool;
static uint64_t hz;
static pthread_mutex_t info_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const counter_names[CPIF_CTR_MAX] = {
#define X(e, s) s,
	CPIF_COUNTERS(X)
#undef X
};

const char *cpif_counter_name(unsigned c)
{
	return c < CPIF_CTR_MAX ? counter_names[c] : "?";
}

bool cpif_enabled(void)
{
	return conf.enabled;
}

const char *cpif_netns(void)
{
	return conf.netns;
}

static struct cpif *cp_of(uint16_t port)
{
	return port < MOLT_MAX_PORTS && cps[port].used ? &cps[port] : NULL;
}

static int add_addrs(struct cpif *c, const struct molt_port_conf *pc, char *err, size_t errlen)
{
	for (uint16_t i = 0; i < pc->n_v4 + pc->n_v6; i++) {
		const struct molt_ifaddr *a = i < pc->n_v4 ? &pc->v4[i] : &pc->v6[i - pc->n_v4];
		uint8_t fam = i < pc->n_v4 ? 4 : 6;
		int ret = cp_netns_addr_add(c->ifindex, fam, a->addr, a->plen);

		if (ret < 0) {
			char s[64];

			snprintf(err, errlen, "port %s: cannot add %s/%u to %s in %s: %s", pc->name,
				 molt_addr_format(fam, a->addr, s, sizeof(s)), a->plen, c->ifname,
				 conf.netns, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int setup_queues(struct cpif *c, const struct molt_port_conf *pc, char *err, size_t errlen)
{
	struct rte_eth_conf ec;
	uint16_t nrx = TAP_DESC, ntx = TAP_DESC;
	int ret;

	memset(&ec, 0, sizeof(ec));
	if ((ret = rte_eth_dev_configure(c->tap, 1, 1, &ec)) < 0 ||
	    (ret = rte_eth_dev_adjust_nb_rx_tx_desc(c->tap, &nrx, &ntx)) < 0 ||
	    (ret = rte_eth_rx_queue_setup(c->tap, 0, nrx, SOCKET_ID_ANY, NULL, pool)) < 0 ||
	    (ret = rte_eth_tx_queue_setup(c->tap, 0, ntx, SOCKET_ID_ANY, NULL)) < 0) {
		snprintf(err, errlen, "port %s: cannot set up its control-plane tap: %s", pc->name,
			 strerror(-ret));
		return ret;
	}
	// The kernel's packets must fit the port; a tap refuses nothing the PMD can express.
	if ((ret = rte_eth_dev_set_mtu(c->tap, molt_dp.ports[pc->port_id].mtu)) < 0)
		LOG_WARN("cpif", "%s: cannot set MTU %u: %s", c->ifname,
			 molt_dp.ports[pc->port_id].mtu, strerror(-ret));
	return 0;
}

// Runs inside the namespace.
static int create_one(struct cpif *c, const struct molt_port_conf *pc, char *err, size_t errlen)
{
	char dev[64], args[160], mac[RTE_ETHER_ADDR_FMT_SIZE];
	int ret;

	if (strlen(pc->name) >= IF_NAMESIZE) {
		snprintf(err, errlen,
			 "port %s: the name is too long for a kernel interface (at most %d "
			 "characters with control_plane)",
			 pc->name, IF_NAMESIZE - 1);
		return -ENAMETOOLONG;
	}
	snprintf(c->ifname, sizeof(c->ifname), "%s", pc->name);
	c->port = pc->port_id;
	mac_format(&pc->mac, mac, sizeof(mac));
	snprintf(dev, sizeof(dev), "net_tap_molt%u", pc->port_id);
	snprintf(args, sizeof(args), "%s,iface=%s,mac=%s", dev, c->ifname, mac);
	if ((ret = rte_dev_probe(args)) < 0 ||
	    (ret = rte_eth_dev_get_port_by_name(dev, &c->tap)) < 0) {
		snprintf(err, errlen,
			 "port %s: cannot create its control-plane interface (%s): %s (is there "
			 "already an interface %s in %s?)",
			 pc->name, args, ret == -EPERM ? "the driver refused it" : strerror(-ret),
			 c->ifname, conf.netns);
		return ret;
	}
	c->tap_probed = true;
	if ((ret = setup_queues(c, pc, err, errlen)) < 0)
		return ret;
	c->ifindex = (int)if_nametoindex(c->ifname);
	if (c->ifindex == 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: %s is not in %s: %s", pc->name, c->ifname,
			 conf.netns, strerror(errno));
		return ret;
	}
	// moltd answers duplicate address detection for these addresses on the wire, the
	// kernel's probes would only delay the link-local address.
	if ((ret = cp_netns_ip6_sysctl(c->ifname, "accept_dad", "0")) < 0)
		LOG_WARN("cpif", "%s: cannot turn off DAD: %s", c->ifname, strerror(-ret));
	if ((ret = add_addrs(c, pc, err, errlen)) < 0)
		return ret;
	// The guard first: the interface passes nothing unguarded, not even the kernel's first
	// packets when it comes up.
	if (conf.guard) {
		struct guard *g = guard_attach(c->ifindex, c->ifname, &conf, err, errlen);

		if (g == NULL)
			return -EPERM;
		pthread_mutex_lock(&info_lock);
		c->guard = g;
		pthread_mutex_unlock(&info_lock);
	}
	if ((ret = rte_eth_dev_start(c->tap)) < 0) {
		snprintf(err, errlen, "port %s: cannot start %s: %s", pc->name, c->ifname,
			 strerror(-ret));
		return ret;
	}
	c->tap_started = true;
	cp_bucket_init(&c->bucket, conf.burst, hz, rte_get_tsc_cycles());
	c->used = true;
	LOG_NOTICE("cpif",
		   "port %s: control-plane interface %s (ifindex %d) in netns %s, %s, "
		   "guard %s, punt rate %u/s burst %u",
		   pc->name, c->ifname, c->ifindex, conf.netns, mac, c->guard ? "on" : "OFF",
		   conf.rate_per_sec, conf.burst);
	return 0;
}

static int tel_control_plane(const char *cmd, const char *params, struct rte_tel_data *d);

int cpif_init(const struct molt_config *cfg, struct rte_mempool *mp, char *err, size_t errlen)
{
	static bool registered;
	int saved, ret = 0;

	if (!cfg->cp.enabled)
		return 0;
	if (mp == NULL)
		return -EINVAL;
	memset(cps, 0, sizeof(cps));
	conf = cfg->cp;
	pool = mp;
	hz = rte_get_tsc_hz();
	if (!conf.guard)
		LOG_WARN("cpif",
			 "control_plane.guard is false: only moltd's own filter stands "
			 "between the network and %s",
			 conf.netns);
	if ((ret = cp_netns_enter(conf.netns, &saved, err, errlen)) < 0)
		return ret;
	for (uint16_t i = 0; i < cfg->n_ports && ret == 0; i++) {
		const struct molt_port_conf *pc = &cfg->ports[i];

		if (pc->port_id >= MOLT_MAX_PORTS)
			continue;
		ret = create_one(&cps[pc->port_id], pc, err, errlen);
		// A half-made interface is still closed by cpif_fini.
		cps[pc->port_id].used = cps[pc->port_id].tap_probed;
	}
	cp_netns_leave(saved);
	if (ret < 0) {
		cpif_fini();
		return ret;
	}
	if (!registered) {
		registered = true;
		if (rte_telemetry_register_cmd("/molt/control_plane", tel_control_plane,
					       "Control-plane interfaces: punt path and guard "
					       "counters per port") < 0)
			LOG_WARN("cpif", "telemetry command /molt/control_plane not registered");
	}
	return 0;
}

void cpif_fini(void)
{
	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++) {
		struct cpif *c = &cps[p];
		struct guard *g;
		int ret;

		if (!c->used)
			continue;
		if (c->tap_started && (ret = rte_eth_dev_stop(c->tap)) < 0)
			LOG_WARN("cpif", "%s: stop failed: %s", c->ifname, strerror(-ret));
		if (c->tap_probed && (ret = rte_eth_dev_close(c->tap)) < 0)
			LOG_WARN("cpif", "%s: close failed: %s", c->ifname, strerror(-ret));
		pthread_mutex_lock(&info_lock);
		g = c->guard;
		c->guard = NULL;
		c->used = false;
		pthread_mutex_unlock(&info_lock);
		guard_free(g);
		memset(c, 0, sizeof(*c));
	}
	conf.enabled = false;
}

// Sends m up to c's tap within the rate; consumes it.
static void up(struct cpif *c, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (!cp_bucket_take(&c->bucket, conf.rate_per_sec, conf.burst, hz, rte_get_tsc_cycles())) {
		c->ctr[CPIF_UP_RATE_LIMITED]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (rte_eth_tx_burst(c->tap, 0, &m, 1) != 1) {
		c->ctr[CPIF_UP_TAP_FULL]++;
		rte_pktmbuf_free(m);
		return;
	}
	c->ctr[CPIF_UP]++;
	c->ctr[CPIF_UP_BYTES] += len;
}

static enum cp_kind classify(const struct rte_mbuf *m)
{
	return cp_classify(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &conf);
}

bool cpif_punt_local(struct rte_mbuf *m, uint16_t port)
{
	struct cpif *c = cp_of(port);
	enum cp_kind k;

	if (c == NULL)
		return false;
	k = classify(m);
	if (k == CP_NONE || k == CP_ARP || k == CP_ND)
		return false;
	up(c, m);
	return true;
}

// An ARP reply to one of port's addresses, or a neighbour advertisement sent to one of them:
// the answer to a request the kernel may have made.
static bool neigh_answer(const struct rte_mbuf *m, uint16_t port, enum cp_kind k)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);

	if (k == CP_ARP)
		return len >= 14 + 28 && f[14 + 6] == 0 && f[14 + 7] == 2 &&
		       router_is_addr4_port(port, f + 14 + 24);
	// cp_classify saw the ICMPv6 type right after a 40-byte header.
	return k == CP_ND && f[14 + 40] == 136 && router_is_addr6_port(port, f + 14 + 24);
}

void cpif_neigh_copy(const struct rte_mbuf *m, uint16_t port)
{
	struct cpif *c = cp_of(port);
	struct rte_mbuf *copy;

	if (c == NULL || !neigh_answer(m, port, classify(m)))
		return;
	copy = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	if (copy == NULL) {
		c->ctr[CPIF_UP_NO_MBUF]++;
		return;
	}
	c->ctr[CPIF_UP_NEIGH]++;
	up(c, copy);
}

// A frame the kernel sent on c's tap: out of the port if it is the router's and for the
// control plane's protocols, else dropped and counted.
static void down(struct cpif *c, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	c->ctr[CPIF_DOWN]++;
	if (rte_pktmbuf_data_len(m) < sizeof(*eh) || classify(m) == CP_NONE) {
		c->ctr[CPIF_DOWN_NOT_PROTOCOL]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (!rte_is_same_ether_addr(&eh->src_addr, router_mac(c->port))) {
		c->ctr[CPIF_DOWN_BAD_SOURCE]++;
		rte_pktmbuf_free(m);
		return;
	}
	c->ctr[CPIF_DOWN_SENT]++;
	inject_tx(c->port, m);
}

unsigned cpif_poll(void)
{
	struct rte_mbuf *ms[TAP_BURST];
	unsigned total = 0;

	if (!conf.enabled)
		return 0;
	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++) {
		struct cpif *c = &cps[p];

		for (int b = 0; c->tap_started && b < TAP_BURSTS_PER_POLL; b++) {
			uint16_t n = rte_eth_rx_burst(c->tap, 0, ms, TAP_BURST);

			for (uint16_t i = 0; i < n; i++)
				down(c, ms[i]);
			total += n;
			if (n < TAP_BURST)
				break;
		}
	}
	return total;
}

int cpif_info(uint16_t port, struct cpif_info *out)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&info_lock);
	if (port >= MOLT_MAX_PORTS || !cps[port].used) {
		ret = -ENOENT;
		goto out;
	}
	snprintf(out->ifname, sizeof(out->ifname), "%s", cps[port].ifname);
	out->ifindex = cps[port].ifindex;
	out->tap_port = cps[port].tap;
	memcpy(out->ctr, cps[port].ctr, sizeof(out->ctr));
	if (cps[port].guard != NULL) {
		out->guard = true;
		ret = guard_counters(cps[port].guard, out->guard_ctr);
	}
out:
	pthread_mutex_unlock(&info_lock);
	return ret;
}

static int tel_control_plane(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (uint16_t p = 0; p < MOLT_MAX_PORTS; p++) {
		struct cpif_info ci;
		struct rte_tel_data *t;

		if (cpif_info(p, &ci) < 0)
			continue;
		if ((t = rte_tel_data_alloc()) == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(t);
		rte_tel_data_add_dict_int(t, "ifindex", ci.ifindex);
		for (unsigned i = 0; i < CPIF_CTR_MAX; i++)
			rte_tel_data_add_dict_u64(t, counter_names[i], ci.ctr[i]);
		for (unsigned i = 0; ci.guard && i < GUARD_CTR_MAX; i++) {
			char name[64];

			snprintf(name, sizeof(name), "guard_%s", guard_counter_name(i));
			rte_tel_data_add_dict_u64(t, name, ci.guard_ctr[i]);
		}
		// Interface names are port names, which telemetry keys may not hold all of.
		for (char *s = ci.ifname; *s != '\0'; s++)
			if (*s == '-' || *s == '.')
				*s = '_';
		rte_tel_data_add_dict_container(d, ci.ifname, t, 0);
	}
	return 0;
}
