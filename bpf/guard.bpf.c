// SPDX-License-Identifier: BSD-3-Clause
// The control-plane guard: a tc program on both directions of each control-plane interface
// (the taps moltd creates in control_plane.netns). It admits routing-protocol packets (BGP
// TCP/179 either port, BFD UDP 3784/3785/4784, OSPF IP protocol 89, control_plane.protocols)
// to and from the configured peers, and the ARP/ND packets the kernel needs to reach them;
// it drops and counts everything else. It does not trust moltd's own punt filter: the two are
// meant to fail independently.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpf/guard.h"

#define ETH_HLEN_ 14
#define PORT_BGP 179
#define IPPROTO_OSPF 89
#define ICMP6_NS 135
#define ICMP6_NA 136
#define IP6_NH_FRAGMENT 44
#define IP6_NH_ICMP 58

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GUARD_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAX_PEERS);
	__type(key, struct guard_addr);
	__type(value, __u8);
} peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAX_EXTRA);
	__type(key, struct guard_proto);
	__type(value, __u8);
} extra SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_conf);
} conf SEC(".maps");

enum kind {
	KIND_NONE,
	KIND_BGP, // admitted from any address when no peer is configured
	KIND_PROTO, // BFD, OSPF, control_plane.protocols: peers only
	KIND_NEIGH, // ARP, ND solicitation/advertisement: checked on the address resolved
};

// Counts c (an IN_ counter, moved to its OUT_ twin for egress) and says what tc does.
static __always_inline int verdict(__u32 c, int out)
{
	__u32 k = c + (out ? GUARD_OUT_OFFSET : 0);
	__u64 *v = bpf_map_lookup_elem(&counters, &k);

	if (v != NULL)
		*v += 1; // per-CPU slot: no other writer
	return c == GUARD_IN_PASS ? TC_ACT_OK : TC_ACT_SHOT;
}

static __always_inline int extra_has(__u8 proto, __u16 port)
{
	struct guard_proto k = { .proto = proto, .port = port };

	return bpf_map_lookup_elem(&extra, &k) != NULL;
}

static __always_inline enum kind l4_kind(struct __sk_buff *skb, __u32 l4, __u8 proto)
{
	__u16 ports[2];
	__u16 sp, dp;

	if (proto == IPPROTO_OSPF)
		return KIND_PROTO;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return extra_has(proto, 0) ? KIND_PROTO : KIND_NONE;
	if (bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)) < 0)
		return KIND_NONE;
	sp = bpf_ntohs(ports[0]);
	dp = bpf_ntohs(ports[1]);
	if (proto == IPPROTO_TCP) {
		if (sp == PORT_BGP || dp == PORT_BGP)
			return KIND_BGP;
		return extra_has(proto, sp) || extra_has(proto, dp) ? KIND_PROTO : KIND_NONE;
	}
	if (dp == 3784 || dp == 3785 || dp == 4784 || extra_has(proto, dp))
		return KIND_PROTO;
	return KIND_NONE;
}

static __always_inline int admit(enum kind k, const struct guard_addr *remote, int ospf_group,
				 int ospf, int out)
{
	__u32 zero = 0;
	struct guard_conf *cf = bpf_map_lookup_elem(&conf, &zero);
	__u32 n_peers = cf != NULL ? cf->n_peers : 0;

	if (k == KIND_NONE)
		return verdict(GUARD_IN_NOT_PROTOCOL, out);
	if (n_peers == 0)
		return verdict(k == KIND_PROTO ? GUARD_IN_NOT_PEER : GUARD_IN_PASS, out);
	// OSPF hellos go to a group (224.0.0.5/6, ff02::5/6); what comes in still has a peer's
	// source address.
	if (ospf && ospf_group && out)
		return verdict(GUARD_IN_PASS, out);
	if (bpf_map_lookup_elem(&peers, remote) != NULL)
		return verdict(GUARD_IN_PASS, out);
	return verdict(GUARD_IN_NOT_PEER, out);
}

// AllSPFRouters or AllDRouters: 224.0.0.5/6 (IPv4-mapped in a), ff02::5/6.
static __always_inline int ospf_group4(const struct guard_addr *a)
{
	return a->a[12] == 224 && a->a[13] == 0 && a->a[14] == 0 &&
	       (a->a[15] == 5 || a->a[15] == 6);
}

static __always_inline int ospf_group6(const struct guard_addr *a)
{
	__u8 z = 0;

	for (int i = 2; i < 15; i++)
		z |= a->a[i];
	return a->a[0] == 0xff && a->a[1] == 0x02 && z == 0 && (a->a[15] == 5 || a->a[15] == 6);
}

static __always_inline int guard_arp(struct __sk_buff *skb, int out)
{
	// Ethernet/IPv4 ARP: sender IP at 14 + 14, target IP at 14 + 24.
	struct guard_addr a = { .a = { [10] = 0xff, [11] = 0xff } };
	__u8 hdr[8];

	if (bpf_skb_load_bytes(skb, ETH_HLEN_, hdr, sizeof(hdr)) < 0)
		return verdict(GUARD_IN_MALFORMED, out);
	if (hdr[0] != 0 || hdr[1] != 1 || hdr[2] != 0x08 || hdr[3] != 0 || hdr[4] != 6 ||
	    hdr[5] != 4)
		return verdict(GUARD_IN_MALFORMED, out);
	if (bpf_skb_load_bytes(skb, ETH_HLEN_ + (out ? 24 : 14), &a.a[12], 4) < 0)
		return verdict(GUARD_IN_MALFORMED, out);
	return admit(KIND_NEIGH, &a, 0, 0, out);
}

static __always_inline int guard_ip4(struct __sk_buff *skb, int out)
{
	struct guard_addr a = { .a = { [10] = 0xff, [11] = 0xff } };
	__u8 h[20];
	__u32 ihl;

	if (bpf_skb_load_bytes(skb, ETH_HLEN_, h, sizeof(h)) < 0)
		return verdict(GUARD_IN_MALFORMED, out);
	ihl = (__u32)(h[0] & 0xf) * 4;
	if ((h[0] >> 4) != 4 || ihl < 20)
		return verdict(GUARD_IN_MALFORMED, out);
	// Fragment offset non-zero: no ports to look at.
	if (((h[6] & 0x1f) | h[7]) != 0)
		return verdict(GUARD_IN_FRAGMENT, out);
	// Source on the way in, destination on the way out: the remote end.
	__builtin_memcpy(&a.a[12], &h[out ? 16 : 12], 4);
	return admit(l4_kind(skb, ETH_HLEN_ + ihl, h[9]), &a, ospf_group4(&a), h[9] == IPPROTO_OSPF,
		     out);
}

static __always_inline int guard_ip6(struct __sk_buff *skb, int out)
{
	struct guard_addr a;
	__u32 l4 = ETH_HLEN_ + 40;
	enum kind k;
	__u8 h[8];
	__u8 nh;

	if (bpf_skb_load_bytes(skb, ETH_HLEN_, h, sizeof(h)) < 0 ||
	    bpf_skb_load_bytes(skb, ETH_HLEN_ + (out ? 24 : 8), a.a, 16) < 0)
		return verdict(GUARD_IN_MALFORMED, out);
	if ((h[0] >> 4) != 6)
		return verdict(GUARD_IN_MALFORMED, out);
	nh = h[6];
	if (nh == IP6_NH_FRAGMENT)
		return verdict(GUARD_IN_FRAGMENT, out);
	if (nh == IP6_NH_ICMP) {
		__u8 type;

		if (bpf_skb_load_bytes(skb, l4, &type, 1) < 0)
			return verdict(GUARD_IN_MALFORMED, out);
		if (type != ICMP6_NS && type != ICMP6_NA)
			return verdict(GUARD_IN_NOT_PROTOCOL, out);
		// Solicitations go out, advertisements come in, for the address being resolved:
		// its target.
		if ((type == ICMP6_NS) != !!out)
			return verdict(GUARD_IN_NOT_PROTOCOL, out);
		if (bpf_skb_load_bytes(skb, l4 + 8, a.a, 16) < 0)
			return verdict(GUARD_IN_MALFORMED, out);
		return admit(KIND_NEIGH, &a, 0, 0, out);
	}
	k = l4_kind(skb, l4, nh);
	return admit(k, &a, ospf_group6(&a), nh == IPPROTO_OSPF, out);
}

static __always_inline int guard(struct __sk_buff *skb, int out)
{
	__u16 proto;

	if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)) < 0)
		return verdict(GUARD_IN_MALFORMED, out);
	if (proto == bpf_htons(ETH_P_IP))
		return guard_ip4(skb, out);
	if (proto == bpf_htons(ETH_P_IPV6))
		return guard_ip6(skb, out);
	if (proto == bpf_htons(ETH_P_ARP))
		return guard_arp(skb, out);
	return verdict(GUARD_IN_NOT_IP, out);
}

SEC("tc")
int guard_in(struct __sk_buff *skb)
{
	return guard(skb, 0);
}

SEC("tc")
int guard_out(struct __sk_buff *skb)
{
	return guard(skb, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
