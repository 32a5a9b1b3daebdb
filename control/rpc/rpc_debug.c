// SPDX-License-Identifier: BSD-3-Clause
// debug.tamper: corrupts the slot in use in place, the way a memory-write bug or an implant in
// the router would, so that tests can show the integrity auditor catching it. It writes slot
// memory directly and on purpose bypasses every update path (those re-MAC what they change; a
// tamper must not). Registered only by mrpc_debug_enable (moltd --enable-fault-injection).
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/integrity/integrity.h"
#include "control/rpc/rpc_debug.h"
#include "control/rpc/rpc_moltd.h"
#include "dataplane/dataplane.h"

// What one tamper changed, for the reply and the log.
struct tamper {
	struct slot *s;
	uint8_t family;
	uint8_t ip[16];
	uint32_t a4;
	const void *key; // ip as the drivers take it: &a4 (host order) or ip
	uint32_t nh; // next hop the address resolved to before
	const char *region;
	size_t offset; // in region (-1: the driver says where, in what)
	json_t *old, *new;
	char what[256];
};

static json_t *l2_json(uint64_t l2)
{
	struct rte_ether_addr mac;
	const char *port = mrpc_port_name(nh_l2_port(l2));

	nh_l2_mac(l2, &mac);
	return json_pack("{s:o, s:i, s:s?}", "mac", mrpc_mac_json(&mac), "port_id",
			 (int)nh_l2_port(l2), "port", port);
}

// The address as the drivers take it (IPv4 in host order), and the next hop it resolves to.
static void resolve(struct tamper *t)
{
	t->nh = FIB_NH_MISS;
	if (t->family == 4) {
		uint32_t be;

		memcpy(&be, t->ip, 4);
		t->a4 = rte_be_to_cpu_32(be);
		t->key = &t->a4;
		t->s->ops4->lookup_bulk(t->s->fib4, &t->a4, &t->nh, 1);
	} else {
		t->key = t->ip;
		t->s->ops6->lookup_bulk(t->s->fib6, t->ip, &t->nh, 1);
	}
}

// A port moltd owns other than the next hop's: the one named in params, else the next in the
// config's order.
static int other_port(const json_t *params, uint16_t cur, uint16_t *port, struct rpc_error *err)
{
	const struct molt_config *cfg = moltd_rpc.cfg;
	const json_t *v = json_object_get(params, "port");
	const struct molt_port_conf *pc;
	unsigned i;

	if (v != NULL) {
		if (mrpc_param_port(v, "params.port", &pc, err) < 0)
			return -EINVAL;
		if (pc->port_id == cur) {
			rpc_fail(err, RPC_INVALID_PARAMS,
				 "params.port: %s is the port it uses already", pc->name);
			return -EINVAL;
		}
		*port = pc->port_id;
		return 0;
	}
	for (i = 0; i < cfg->n_ports && cfg->ports[i].port_id != cur; i++)
		;
	for (unsigned k = 1; k <= cfg->n_ports; k++) {
		pc = &cfg->ports[(i + k) % cfg->n_ports];
		if (pc->port_id != cur) {
			*port = pc->port_id;
			return 0;
		}
	}
	rpc_fail(err, RPC_ERR_FAILED, "moltd has no other port to send it to");
	return -ENOENT;
}

// Rewrites the next hop's l2 word with one plain store, as a stray write would.
static int tamper_l2(struct tamper *t, bool mac, const json_t *params, struct rpc_error *err)
{
	_Atomic uint64_t *word = &t->s->nh[t->nh].l2;
	uint64_t l2 = atomic_load_explicit(word, memory_order_relaxed), l2new;

	if (nh_l2_kind(l2) != NH_FORWARD) {
		rpc_fail(err, RPC_ERR_FAILED,
			 "next hop %" PRIu32 " is not a resolved gateway (kind %d): it has no MAC "
			 "or port of its own to change",
			 t->nh, (int)nh_l2_kind(l2));
		return -EINVAL;
	}
	if (mac) {
		// Another unicast, locally administered MAC: the last byte changes.
		l2new = l2 ^ (UINT64_C(0x5a) << 40);
	} else {
		uint16_t port;

		if (other_port(params, nh_l2_port(l2), &port, err) < 0)
			return -EINVAL;
		l2new = (l2 & ~(UINT64_C(0xfff) << NH_L2_PORT_SHIFT)) |
			((uint64_t)port << NH_L2_PORT_SHIFT);
	}
	atomic_store_explicit(word, l2new, memory_order_relaxed);
	t->region = "nexthops";
	t->offset = t->nh * sizeof(struct molt_nh) + offsetof(struct molt_nh, l2);
	t->old = l2_json(l2);
	t->new = l2_json(l2new);
	snprintf(t->what, sizeof(t->what), "next hop %" PRIu32 " l2 %016" PRIx64 " -> %016" PRIx64,
		 t->nh, l2, l2new);
	return 0;
}

// The next hop to redirect to: params.nexthop, else the first resolved one that leaves by
// another port (the packets then visibly go elsewhere), else any other resolved one.
static int other_nexthop(const struct tamper *t, const json_t *params, uint32_t *to,
			 struct rpc_error *err)
{
	const json_t *v = json_object_get(params, "nexthop");
	uint64_t cur = atomic_load_explicit(&t->s->nh[t->nh].l2, memory_order_relaxed);
	uint32_t any = FIB_NH_MISS;

	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) >= t->s->nh_count ||
		    (uint32_t)json_integer_value(v) == t->nh) {
			rpc_fail(err, RPC_INVALID_PARAMS,
				 "params.nexthop: expected a next-hop index below %" PRIu32
				 ", other than %" PRIu32,
				 t->s->nh_count, t->nh);
			return -EINVAL;
		}
		*to = (uint32_t)json_integer_value(v);
		return 0;
	}
	for (uint32_t i = 0; i < t->s->nh_count; i++) {
		uint64_t l2 = atomic_load_explicit(&t->s->nh[i].l2, memory_order_relaxed);

		if (i == t->nh || nh_l2_kind(l2) != NH_FORWARD)
			continue;
		if (nh_l2_port(l2) != nh_l2_port(cur)) {
			*to = i;
			return 0;
		}
		if (any == FIB_NH_MISS)
			any = i;
	}
	if (any == FIB_NH_MISS) {
		rpc_fail(err, RPC_ERR_FAILED,
			 "slot %" PRIu32 " has no other resolved next hop to redirect to",
			 t->s->id);
		return -ENOENT;
	}
	*to = any;
	return 0;
}

static int tamper_lookup(struct tamper *t, const json_t *params, struct rpc_error *err)
{
	const struct fib_ops *ops = t->family == 4 ? t->s->ops4 : t->s->ops6;
	struct fib *f = t->family == 4 ? t->s->fib4 : t->s->fib6;
	uint32_t to;
	int ret;

	if (other_nexthop(t, params, &to, err) < 0)
		return -EINVAL;
	ret = ops->debug_redirect != NULL
		      ? ops->debug_redirect(f, t->key, to, t->what, sizeof(t->what))
		      : -ENOTSUP;
	if (ret < 0) {
		rpc_fail(err, RPC_ERR_FAILED, "driver %s cannot redirect an IPv%u lookup: %s",
			 t->s->driver->name, t->family, strerror(-ret));
		return ret;
	}
	t->region = "lookup";
	t->offset = (size_t)-1;
	t->old = json_integer(t->nh);
	t->new = json_integer(to);
	return 0;
}

static json_t *debug_tamper(struct rpc_call *call, const json_t *params, struct rpc_error *err)
{
	static const char *const allowed[] = { "kind", "address", "port", "nexthop", NULL };
	struct slot *s = atomic_load_explicit(&molt_dp.active, memory_order_relaxed);
	struct tamper t = { .s = s };
	const json_t *kind, *addr;
	const char *k;
	char ip[64];
	uint64_t now;
	int ret;

	if (rpc_params_object(params, true, allowed, err) < 0 ||
	    rpc_param_get(params, "kind", &kind, err) < 0 ||
	    rpc_param_get(params, "address", &addr, err) < 0 ||
	    mrpc_param_addr(addr, "params.address", &t.family, t.ip, err) < 0)
		return NULL;
	k = json_string_value(kind);
	if (k == NULL || (strcmp(k, "nexthop_mac") != 0 && strcmp(k, "nexthop_port") != 0 &&
			  strcmp(k, "lookup") != 0))
		return rpc_fail(err, RPC_INVALID_PARAMS,
				"params.kind: expected \"nexthop_mac\", \"nexthop_port\" or "
				"\"lookup\"");
	if (s == NULL)
		return rpc_fail(err, RPC_ERR_FAILED, "no slot in use");
	resolve(&t);
	snprintf(ip, sizeof(ip), "%s", json_string_value(addr));
	if (t.nh == FIB_NH_MISS || t.nh >= s->nh_count)
		return rpc_fail(err, RPC_ERR_FAILED, "no route to %s in slot %" PRIu32, ip, s->id);
	// The time of the write, from which the auditor's detection latency counts.
	now = molt_now_ns();
	if (strcmp(k, "lookup") == 0)
		ret = tamper_lookup(&t, params, err);
	else
		ret = tamper_l2(&t, strcmp(k, "nexthop_mac") == 0, params, err);
	if (ret < 0)
		return NULL;
	integrity_tamper_noted(now);
	LOG_WARN("debug",
		 "debug.tamper %s %s: slot %" PRIu32 " generation %" PRIu64 " driver %s: %s", k, ip,
		 s->id, s->generation, s->driver->name, t.what);
	return mrpc_result(
		json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:o*, s:I, s:o, s:o, s:s}", "kind", k,
			  "address", ip, "slot", (json_int_t)s->id, "generation",
			  (json_int_t)s->generation, "driver", s->driver->name, "region", t.region,
			  "offset",
			  t.offset == (size_t)-1 ? NULL : json_integer((json_int_t)t.offset),
			  "nexthop", (json_int_t)t.nh, "old", t.old, "new", t.new, "what", t.what),
		err);
}

static struct rpc_method debug_tamper_method = {
	.name = "debug.tamper",
	.fn = debug_tamper,
	.params = "{\"kind\": \"nexthop_mac\"|\"nexthop_port\"|\"lookup\", \"address\": ADDR, "
		  "\"port\": NAME, \"nexthop\": INDEX}",
	.help = "fault injection: corrupts the slot in use in place (moltd "
		"--enable-fault-injection only)",
};

void mrpc_debug_enable(void)
{
	if (rpc_method_find("debug.tamper") == NULL)
		rpc_method_register(&debug_tamper_method);
}
