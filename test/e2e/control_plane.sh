#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The control-plane punt path and its guard, end to end: moltd (af_packet ports p0..p2 in a
# router namespace) gives each port a tap in a control-plane namespace. Checks the interfaces
# (name, MAC, addresses), connections from the configured peer (10.0.1.2 behind p0) to a TCP
# listener on 179 there over IPv4 and IPv6, echo still answered by moltd; then a BGP session
# (FRR's bgpd in the control-plane namespace and on the peer, when FRR is installed, else a TCP
# echo session on 179) and a flood -- UDP to random ports and SYNs to other ports from the
# peer's host, SYNs to 179 from a non-peer (10.0.2.2 behind p1) -- that never reaches the
# control-plane namespace's stack (its kernel counters) and is counted by moltd's punt filter
# and by the guard, while the session stays up. The guard is also tested alone: frames the control plane writes that are
# no routing protocol are dropped before moltd sees them.
#
#   control_plane.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"
MOLTCTL=${MOLT_MOLTCTL:-$MOLT_BUILD/tools/moltctl}

need_root
need_bin "$MOLTD" "$ROUTESERVER" "$MOLTCTL"
need_cmd ip ping ethtool
need_netns
e2e_init

SHM="/molt-cp-$$"
PREFIX="molt-cp-$$"
TOOL=("$PY" "$E2E_DIR/cp_tool.py")
PASSED=0

ok() {
	PASSED=$((PASSED + 1))
	log "ok $PASSED - $*"
}

topo_create "$E2E_TMP" "$SHM"
NS_CP="molt-cp-$$"
netns_add "$NS_CP"
config_set "$E2E_TMP/config.json" control_plane \
	"{\"netns\": \"$NS_CP\", \"peers\": [\"10.0.1.2\", \"fd00:1::2\"], \"protocols\": [\"udp/520\"], \"rate_per_sec\": 200, \"burst\": 50}"
start_routeserver rs "$SHM" "$E2E_TMP/routes.txt"
defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX") -- -c "$E2E_TMP/config.json"
wait_moltd moltd "$PREFIX"
keep_off_worker

moltctl() { "$MOLTCTL" -s "$E2E_TMP/moltd.sock" "$@"; }

# cp PORT KEY: a counter of /molt/control_plane (punt path, or guard_* for the guard).
cp() {
	telemetry "$PREFIX" /molt/control_plane | "$PY" -c "import json, sys; print(json.load(sys.stdin)['$1']['$2'])"
}
# port PORT KEY: a counter of /molt/ports.
port() {
	telemetry "$PREFIX" /molt/ports | "$PY" -c "import json, sys; print(json.load(sys.stdin)['$1']['$2'])"
}
# snmp KEY...: the control-plane namespace's kernel counters, space-separated.
snmp() {
	in_ns "$NS_CP" "${TOOL[@]}" snmp | "$PY" -c "import json, sys; d = json.load(sys.stdin); print(' '.join(str(d[k]) for k in sys.argv[1:]))" "$@"
}

# --- the interfaces ---------------------------------------------------------------------------
for x in 1 2 3; do
	out=$(ip -n "$NS_CP" addr show dev "p$((x - 1))" 2>&1) || fail "no interface p$((x - 1)) in $NS_CP: $out"
	for want in "link/ether 02:00:00:00:00:0$x" "inet 10.0.$x.1/24" "inet6 fd00:$x::1/64" "state UP\|,UP"; do
		echo "$out" | grep -q "$want" || fail "p$((x - 1)) in $NS_CP lacks \"$want\": $out"
	done
done
ok "p0..p2 in $NS_CP carry the ports' MACs and addresses"
for h in ingress egress; do
	ip netns exec "$NS_CP" tc filter show dev p0 "$h" | grep -q "guard_" ||
		fail "no guard on p0 $h: $(ip netns exec "$NS_CP" tc filter show dev p0 "$h")"
done
ok "the guard sits on p0's ingress and egress"

# --- a session from the peer -------------------------------------------------------------------
start_bg listener ip netns exec "$NS_CP" "${TOOL[@]}" listen 179 "$E2E_TMP/accepts.log"
wait_for "listener on 179" 50 0.1 grep -q listening "$E2E_TMP/accepts.log"
in_ns "$NS_H1" "${TOOL[@]}" connect 10.0.1.1 179 5 || fail "peer 10.0.1.2 cannot reach 10.0.1.1:179"
ok "peer 10.0.1.2 connects to 10.0.1.1:179 (through moltd and the tap; the kernel resolved it by ARP)"
wait_for "IPv6 session" 10 0.5 in_ns "$NS_H1" "${TOOL[@]}" connect fd00:1::1 179 3
ok "peer fd00:1::2 connects to [fd00:1::1]:179 (ND answered through the tap)"
grep -q "accept 10.0.1.2" "$E2E_TMP/accepts.log" || fail "listener did not log the peer: $(cat "$E2E_TMP/accepts.log")"

echos_before=$(snmp IcmpInEchos)
out=$(in_ns "$NS_H1" ping -c 3 -i 0.2 -W 2 10.0.1.1 2>&1)
echo "$out" | grep -q ' 3 received' || fail "ping 10.0.1.1: $out"
[ "$(snmp IcmpInEchos)" = "$echos_before" ] || fail "echo requests reached $NS_CP's kernel"
ok "echo to 10.0.1.1 answered by moltd, not by the control plane"

# BFD and an extra protocol (udp/520) from the peer reach the control plane's stack (no daemon
# listens: the kernel counts them as NoPorts); BFD from the non-peer stops at the guard.
noports=$(snmp UdpNoPorts)
in_ns "$NS_H1" "${TOOL[@]}" udpto 10.0.1.1 3784 5 || fail "BFD datagrams"
in_ns "$NS_H1" "${TOOL[@]}" udpto 10.0.1.1 520 5 || fail "udp/520 datagrams"
reached() { [ "$(snmp UdpNoPorts)" -ge "$((noports + 10))" ]; }
wait_for "BFD and udp/520 from the peer to reach $NS_CP" 50 0.1 reached
notpeer=$(cp p1 guard_in_drop_not_peer)
in_ns "$NS_H2" "${TOOL[@]}" udpto 10.0.2.1 3784 5 || fail "BFD datagrams from the non-peer"
guarded() { [ "$(cp p1 guard_in_drop_not_peer)" -ge "$((notpeer + 5))" ]; }
wait_for "the guard to drop BFD from the non-peer" 50 0.1 guarded
[ "$(snmp UdpNoPorts)" = "$((noports + 10))" ] || fail "BFD from the non-peer reached $NS_CP"
ok "BFD and udp/520 from the peer reach $NS_CP; BFD from the non-peer 10.0.2.2 is dropped by the guard"

# OSPFv2 multicast: hellos to AllSPFRouters and AllDRouters (TTL 1) reach p0 in $NS_CP (a socket
# there joined the groups); RIP to 224.0.0.9 does not -- udp/520 in control_plane.protocols is
# for datagrams to the router's addresses, not to groups -- and is counted as not forwardable.
# RIP goes first: had it been punted it would have gone up ahead of the hellos.
start_bg mcast ip netns exec "$NS_CP" "${TOOL[@]}" mcast-listen p0 "$E2E_TMP/mcast.log"
wait_for "multicast listener in $NS_CP" 50 0.1 grep -q listening "$E2E_TMP/mcast.log"
notfwd=$(port p0 drop_not_forwardable)
up0=$(cp p0 up)
in_ns "$NS_H1" "${TOOL[@]}" rip 10.0.1.2 3 || fail "RIP datagrams"
rip_dropped() { [ "$(port p0 drop_not_forwardable)" -ge "$((notfwd + 3))" ]; }
wait_for "moltd to drop RIP to 224.0.0.9" 50 0.1 rip_dropped
in_ns "$NS_H1" "${TOOL[@]}" ospf 10.0.1.2 224.0.0.5 3 || fail "OSPF hellos to 224.0.0.5"
in_ns "$NS_H1" "${TOOL[@]}" ospf 10.0.1.2 224.0.0.6 2 || fail "OSPF packets to 224.0.0.6"
hellos() { [ "$(grep -c "^ospf 10.0.1.2 224.0.0.5$" "$E2E_TMP/mcast.log")" -ge 3 ] &&
	[ "$(grep -c "^ospf 10.0.1.2 224.0.0.6$" "$E2E_TMP/mcast.log")" -ge 2 ]; }
wait_for "OSPF hellos on p0 in $NS_CP" 50 0.1 hellos
grep -q "^rip" "$E2E_TMP/mcast.log" && fail "RIP to 224.0.0.9 reached $NS_CP: $(cat "$E2E_TMP/mcast.log")"
# At least: copies of ARP replies and neighbour advertisements go up too.
[ "$(($(cp p0 up) - up0))" -ge 5 ] || fail "p0: $(($(cp p0 up) - up0)) packets went up for 5 OSPF packets"
stop_proc mcast
ok "OSPFv2 to 224.0.0.5 and 224.0.0.6 reaches p0 in $NS_CP; RIP to 224.0.0.9 is dropped and counted"
# The other way: a hello the control plane writes to 224.0.0.5 leaves p0 and reaches the peer's
# host; OSPF to any other group is stopped by the guard's egress.
start_bg mcast-h1 ip netns exec "$NS_H1" "${TOOL[@]}" mcast-listen eth0 "$E2E_TMP/mcast-h1.log"
wait_for "multicast listener in h1" 50 0.1 grep -q listening "$E2E_TMP/mcast-h1.log"
g_np=$(cp p0 guard_out_drop_not_peer)
in_ns "$NS_CP" "${TOOL[@]}" ospf 10.0.1.1 239.1.1.1 2 || fail "OSPF to 239.1.1.1 from $NS_CP"
in_ns "$NS_CP" "${TOOL[@]}" ospf 10.0.1.1 224.0.0.5 3 || fail "OSPF hellos from $NS_CP"
hellos_h1() { [ "$(grep -c "^ospf 10.0.1.1 224.0.0.5$" "$E2E_TMP/mcast-h1.log")" -ge 3 ]; }
wait_for "hellos from $NS_CP in h1" 50 0.1 hellos_h1
[ "$(($(cp p0 guard_out_drop_not_peer) - g_np))" -ge 2 ] ||
	fail "the guard dropped $(($(cp p0 guard_out_drop_not_peer) - g_np)) of 2 OSPF packets to 239.1.1.1"
grep -q "239.1.1.1" "$E2E_TMP/mcast-h1.log" && fail "OSPF to 239.1.1.1 left p0"
stop_proc mcast-h1
ok "OSPFv2 hellos from $NS_CP to 224.0.0.5 reach the peer; OSPF to 239.1.1.1 is dropped by the guard"

# --- the session the flood must not break: FRR's bgpd when installed, else a TCP echo session --
BGPD=${MOLT_BGPD:-/usr/lib/frr/bgpd}
STATUS="$E2E_TMP/session.status"
STOP="$E2E_TMP/session.stop"

# bgpd_start NAME NS ASN ROUTER_ID PEER PEER_ASN NETWORK: a bgpd without zebra (-Z), as root
# (-S), its vty socket and pid file in $E2E_TMP/bgp-NAME.
bgpd_start() {
	local d="$E2E_TMP/bgp-$1"
	mkdir -p "$d"
	cat >"$d/bgpd.conf" <<CONF
frr defaults traditional
hostname $1
router bgp $3
 bgp router-id $4
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor $5 remote-as $6
 neighbor $5 timers 1 9
 address-family ipv4 unicast
  network $7
 exit-address-family
CONF
	start_bg "bgpd-$1" ip netns exec "$2" "$BGPD" -Z -S -P 0 -i "$d/bgpd.pid" \
		--vty_socket "$d" -f "$d/bgpd.conf" --log stdout
}
# bgp_neighbor FIELD: a field of the control plane's neighbour 10.0.1.2 (show bgp neighbors),
# or of its messageStats (received).
bgp_neighbor() {
	vtysh --vty_socket "$E2E_TMP/bgp-r" -c "show bgp neighbors 10.0.1.2 json" 2>/dev/null |
		"$PY" -c "import json, sys
n = json.load(sys.stdin)['10.0.1.2']
print(n['messageStats']['totalRecv'] if '$1' == 'received' else n.get('$1'))"
}
bgp_established() { [ "$(bgp_neighbor bgpState)" = Established ]; }
peer_learned() {
	vtysh --vty_socket "$E2E_TMP/bgp-h" -c "show bgp ipv4 unicast 198.51.100.0/24 json" 2>/dev/null |
		grep -q '"10.0.1.1"'
}

if [ -x "$BGPD" ] && command -v vtysh >/dev/null; then
	SESSION=bgp
	stop_proc listener
	bgpd_start r "$NS_CP" 65000 10.0.1.1 10.0.1.2 65001 198.51.100.0/24
	bgpd_start h "$NS_H1" 65001 10.0.1.2 10.0.1.1 65000 203.0.113.0/24
	wait_for "BGP session Established" 60 0.5 bgp_established
	wait_for "the peer to learn 198.51.100.0/24" 40 0.5 peer_learned
	ok "bgpd in $NS_CP and its peer 10.0.1.2 are Established through moltd; the peer learned 198.51.100.0/24"
	msgs_before=$(bgp_neighbor received)
else
	SESSION=tcp
	log "no $BGPD (FRR): the session is a TCP echo session on port 179"
	start_bg session ip netns exec "$NS_H1" "${TOOL[@]}" session 10.0.1.1 179 "$STATUS" "$STOP"
	wait_for "session rounds" 50 0.2 test -s "$STATUS"
	rounds_before=$(cat "$STATUS")
fi

# --- the flood ---------------------------------------------------------------------------------
read -r udp_in udp_noports udp6_in udp6_noports rsts <<<"$(snmp UdpInDatagrams UdpNoPorts Udp6InDatagrams Udp6NoPorts TcpOutRsts)"
p0_local=$(port p0 drop_local_dropped)
p1_up=$(cp p1 up)
p1_pass=$(cp p1 guard_in_pass)
p1_notpeer=$(cp p1 guard_in_drop_not_peer)

in_ns "$NS_H1" "${TOOL[@]}" udp 10.0.1.1 1000 || fail "udp flood"
in_ns "$NS_H1" "${TOOL[@]}" udp fd00:1::1 300 || fail "udp6 flood"
in_ns "$NS_H1" "${TOOL[@]}" syn 10.0.1.2 10.0.1.1 1000 0 || fail "SYN flood to other ports"
in_ns "$NS_H2" "${TOOL[@]}" syn 10.0.2.2 10.0.1.1 500 179 || fail "SYN flood to 179 from a non-peer"
in_ns "$NS_H2" "${TOOL[@]}" syn 10.0.2.2 10.0.2.1 500 179 || fail "SYN flood to 179 from a non-peer"
# A real connection attempt from the non-peer must fail too.
in_ns "$NS_H2" "${TOOL[@]}" connect 10.0.1.1 179 2 2>/dev/null && fail "non-peer 10.0.2.2 connected to 179"

# Everything sent has been handled once moltd's counters stop moving (bounded).
settled() {
	local now
	now="$(port p0 drop_local_dropped) $(cp p1 up) $(cp p1 up_drop_rate_limited)"
	[ "$now" = "${LAST:-}" ] && return 0
	LAST=$now
	return 1
}
LAST=""
wait_for "moltd's counters to settle" 50 0.2 settled

read -r udp_in2 udp_noports2 udp6_in2 udp6_noports2 rsts2 <<<"$(snmp UdpInDatagrams UdpNoPorts Udp6InDatagrams Udp6NoPorts TcpOutRsts)"
[ "$udp_in2 $udp_noports2 $udp6_in2 $udp6_noports2" = "$udp_in $udp_noports $udp6_in $udp6_noports" ] ||
	fail "UDP reached $NS_CP: InDatagrams $udp_in -> $udp_in2, NoPorts $udp_noports -> $udp_noports2, Udp6 $udp6_in -> $udp6_in2, $udp6_noports -> $udp6_noports2"
[ "$rsts2" = "$rsts" ] || fail "SYNs to closed ports reached $NS_CP (TcpOutRsts $rsts -> $rsts2)"
grep -q "accept 10.0.2.2" "$E2E_TMP/accepts.log" && fail "the listener accepted the non-peer 10.0.2.2"
ok "the flood never reached $NS_CP's stack (UDP, TCP resets unchanged, no connection from the non-peer)"

d_p0_local=$(($(port p0 drop_local_dropped) - p0_local))
d_p1_up=$(($(cp p1 up) - p1_up))
d_p1_pass=$(($(cp p1 guard_in_pass) - p1_pass))
d_p1_notpeer=$(($(cp p1 guard_in_drop_not_peer) - p1_notpeer))
log "moltd's filter dropped $d_p0_local on p0 (UDP, SYNs to other ports); p1: $d_p1_up SYNs to 179 went up, $(cp p1 up_drop_rate_limited) over the rate; guard on p1: $d_p1_notpeer dropped (not a peer), $d_p1_pass passed"
[ "$d_p0_local" -gt 0 ] || fail "moltd's punt filter counted nothing on p0"
[ "$d_p1_pass" -eq 0 ] || fail "the guard let $d_p1_pass packets from the non-peer into $NS_CP"
[ "$d_p1_notpeer" -gt 0 ] || fail "the guard on p1 counted no non-peer drop"
[ "$d_p1_notpeer" -eq "$d_p1_up" ] || fail "p1: $d_p1_up packets went up, the guard dropped $d_p1_notpeer"
ok "counted: moltd's filter $d_p0_local on p0, the guard $d_p1_notpeer non-peer SYNs on p1 (all that went up)"

# --- the guard alone: what the control plane writes --------------------------------------------
down_np=$(cp p0 down_drop_not_protocol)
g_np=$(cp p0 guard_out_drop_not_protocol)
in_ns "$NS_CP" "${TOOL[@]}" inject p0 02:00:00:00:01:01 10.0.1.1 10.0.1.2 200 || fail "inject on p0"
wait_for "guard egress counters" 50 0.1 test "$(($(cp p0 guard_out_drop_not_protocol) - g_np))" -ge 200
[ "$(cp p0 down_drop_not_protocol)" = "$down_np" ] || fail "moltd saw frames the guard should have dropped"
ok "200 UDP frames written on p0 in $NS_CP: dropped by the guard's egress, never seen by moltd"

# --- the session survived ----------------------------------------------------------------------
if [ "$SESSION" = bgp ]; then
	more_msgs() { [ "$(bgp_neighbor received)" -gt "$((msgs_before + 3))" ]; }
	wait_for "keepalives after the flood" 40 0.5 more_msgs
	bgp_established || fail "BGP session not Established after the flood: $(bgp_neighbor bgpState)"
	[ "$(bgp_neighbor connectionsEstablished)" = 1 ] ||
		fail "the BGP session was re-established during the flood ($(bgp_neighbor connectionsEstablished) connections)"
	ok "the BGP session stayed Established through the flood (one connection, $(bgp_neighbor received) messages received)"
else
	wait_for "more session rounds" 50 0.2 test "$(cat "$STATUS")" -gt "$((rounds_before + 3))"
	touch "$STOP"
	session_done() { ! alive session; }
	wait_for "the session to end" 50 0.2 session_done
	wait "$(pid_of session)" || fail "session broke: $(cat "$E2E_TMP/session.log")"
	ok "the 179 session stayed up through the flood ($(cat "$STATUS") rounds)"
fi

out=$(moltctl control-plane status p1) || fail "moltctl control-plane status: $out"
log "after the flood, moltctl control-plane status p1:"
echo "$out"
echo "$out" | grep -q "guard_in_drop_not_peer" || fail "moltctl control-plane status lacks guard counters: $out"
out=$(moltctl --json control-plane status) || fail "moltctl --json control-plane status"
echo "$out" | "$PY" -c "import json, sys; d = json.load(sys.stdin); assert d['netns'] == '$NS_CP' and len(d['ports']) == 3, d" ||
	fail "control_plane.status: $out"
ok "moltctl control-plane status shows the punt path and guard counters"

stop_proc moltd
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with $STOP_RC"
left=$(ip -n "$NS_CP" -o link | grep -v ': lo:')
[ -z "$left" ] || fail "interfaces left in $NS_CP after moltd stopped: $left"
ok "moltd stopped cleanly; its interfaces are gone from $NS_CP"
log "PASS: $PASSED checks"
