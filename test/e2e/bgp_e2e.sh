#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# BGP end to end: FRR (zebra with dplane_fpm_nl, bgpd) and molt-routeserver --fpm in moltd's
# control-plane namespace; BIRD 2 in h2 (10.0.2.2, behind p1) peers with bgpd (10.0.2.1)
# through moltd's punt path and announces 10,000 prefixes (100.64.0.0/24, 100.64.1.0/24, ...)
# and 198.18.0.0/24. h2 takes every address of them as local, so traffic from h1 (behind p0)
# that moltd forwards to them arrives at h2's sockets. Checked: the prefixes are forwarded;
# withdrawing 198.18.0.0/24 (BIRD) turns its traffic into ICMP net unreachable from the
# router; a metabolism every 100 ms leaves the session Established; kill -9 and restart of
# zebra (with bgpd, as watchfrr does; FPM reconnect and resend) loses no datagram of a stream
# to an unchanged prefix; kill -9 and restart of the route server converges again (routes
# back, traffic passes).
# Skipped when FRR or BIRD is missing (tools/setup-deps.sh installs both).
#
#   bgp_e2e.sh [BUILD_DIR]
#   bgp_e2e.sh BUILD_DIR --measure N RUNS     announce-to-forwarding time of N prefixes, RUNS
#                                             times (tools/bgp-convergence.sh)
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"
MEASURE_N=""
if [ "${2:-}" = --measure ]; then
	MEASURE_N=${3:?--measure N RUNS}
	MEASURE_RUNS=${4:?--measure N RUNS}
fi
MOLTCTL=${MOLT_MOLTCTL:-$MOLT_BUILD/tools/moltctl}

need_root
need_netns
need_bin "$MOLTD" "$ROUTESERVER" "$MOLTCTL"
need_cmd ip ping ethtool
FRR=/usr/lib/frr
[ -x $FRR/zebra ] && [ -x $FRR/bgpd ] && command -v vtysh >/dev/null ||
	skip "FRR not installed (tools/setup-deps.sh installs frr)"
ls /usr/lib/*/frr/modules/dplane_fpm_nl.so >/dev/null 2>&1 || skip "FRR has no dplane_fpm_nl module"
id frr >/dev/null 2>&1 || skip "no frr user (the frr package creates it)"
command -v bird >/dev/null && command -v birdc >/dev/null ||
	skip "BIRD 2 not installed (tools/setup-deps.sh installs bird2)"
e2e_init

N=${MEASURE_N:-10000}
SHM="/molt-bgp-$$"
PREFIX="molt-bgp-$$"
TOOL=("$PY" "$E2E_DIR/bgp_tool.py")
PASSED=0
ok() {
	PASSED=$((PASSED + 1))
	log "ok $PASSED - $*"
}

topo_create "$E2E_TMP" "$SHM"
NS_CP="molt-bgpcp-$$"
netns_add "$NS_CP"
config_set "$E2E_TMP/config.json" control_plane "{\"netns\": \"$NS_CP\", \"peers\": [\"10.0.2.2\"]}"
# Room for N routes in every slot.
MEM=1024
[ "$N" -gt 20000 ] && MEM=2048

# --- the route server in the control-plane namespace, where zebra connects to it ---------------
SOCK="$E2E_TMP/rs.sock"
# A zebra restart brings its routes back only as bgpd re-sends them: the hold covers that.
RS_ARGS=(--shm "$SHM" --routes "$E2E_TMP/routes.txt" --socket "$SOCK" --fpm 127.0.0.1:2620
	--fpm-stale-hold 30)
defer "rm -f $(shm_path "$SHM")"
start_bg rs ip netns exec "$NS_CP" "$ROUTESERVER" "${RS_ARGS[@]}"
wait_for "the route server's feed" 100 0.1 feed_published "$SHM"

defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX" | sed "s/-m 512/-m $MEM/") \
	-- -c "$E2E_TMP/config.json"
wait_moltd moltd "$PREFIX"
keep_off_worker
M() { "$MOLTCTL" -s "$E2E_TMP/moltd.sock" --json "$@"; }
R() { "$MOLTCTL" -s "$SOCK" --json "$@"; }
jpy() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
lookup() { M call route.lookup "{\"addresses\": [\"$1\"]}" | jpy 'd[0]["action"]'; }
wait_for "p1 in $NS_CP" 100 0.1 ip -n "$NS_CP" addr show dev p1

# --- FRR in the control-plane namespace (as the frr user, in a directory of its own) -----------
D=/tmp/molt-bgp-frr-$$
mkdir -p "$D" && defer "rm -rf $D"
cat >"$D/zebra.conf" <<'CONF'
hostname molt-bgp-zebra
fpm address 127.0.0.1 port 2620
CONF
cat >"$D/bgpd.conf" <<'CONF'
frr defaults traditional
hostname molt-bgp
router bgp 65000
 bgp router-id 10.0.2.1
 no bgp ebgp-requires-policy
 neighbor 10.0.2.2 remote-as 65001
 neighbor 10.0.2.2 timers 3 9
CONF
chown -R frr:frr "$D"
frr_daemon() { # frr_daemon NAME BINARY [ARGS]
	local name=$1 bin=$2
	shift 2
	start_bg "$name" ip netns exec "$NS_CP" "$FRR/$bin" -f "$D/$bin.conf" -i "$D/$bin.pid" \
		-z "$D/zserv.api" --vty_socket "$D" "$@"
}
ZEBRA=zebra
frr_daemon "$ZEBRA" zebra -M dplane_fpm_nl
wait_for "zebra's API socket" 100 0.1 test -S "$D/zserv.api"
frr_daemon bgpd bgpd

# --- BIRD in h2 ----------------------------------------------------------------------------------
B="$E2E_TMP/bird"
mkdir -p "$B"
"${TOOL[@]}" bird-routes "$N" "$B/bulk.conf" || fail "bird routes"
cat >"$B/bird.conf" <<CONF
router id 10.0.2.2;
protocol device {}
protocol static bulk {
	ipv4;
	include "$B/bulk.conf";
}
protocol static wd { ipv4; route 198.18.0.0/24 blackhole; }
protocol bgp molt {
	local 10.0.2.2 as 65001;
	neighbor 10.0.2.1 as 65000;
	hold time 9;
	keepalive time 3;
	ipv4 { import none; export all; };
}
CONF
start_bg bird ip netns exec "$NS_H2" bird -f -c "$B/bird.conf" -s "$B/bird.ctl" -P "$B/bird.pid"
birdc() { ip netns exec "$NS_H2" birdc -s "$B/bird.ctl" "$@"; }
# h2 takes the announced addresses as its own: what moltd forwards there reaches its sockets.
ip -n "$NS_H2" route add local 100.64.0.0/10 dev lo || fail "local route in h2"
ip -n "$NS_H2" route add local 101.0.0.0/8 dev lo || fail "local route in h2" # past 16,384 prefixes
ip -n "$NS_H2" route add local 198.18.0.0/24 dev lo || fail "local route in h2"

bgp() { # bgp FIELD: a field of bgpd's neighbour 10.0.2.2
	vtysh --vty_socket "$D" -c "show bgp neighbors 10.0.2.2 json" 2>/dev/null |
		"$PY" -c "import json, sys; print(json.load(sys.stdin)['10.0.2.2'].get('$1'))"
}
established() { [ "$(bgp bgpState)" = Established ]; }
fpm() { R call fpm.status | jpy "$1"; }
fpm_routes_at_least() { [ "$(fpm 'd["routes"]')" -ge "$1" ]; }
forwards() { [ "$(lookup "$1")" = forward ]; }
wait_for "BGP session Established" 120 0.5 established
LAST=$("${TOOL[@]}" addr $((N - 1)) 9)
wait_for "$((N + 1)) FPM routes at the route server" 240 0.5 fpm_routes_at_least $((N + 1))
wait_for "moltd to forward $LAST" 120 0.5 forwards "$LAST"
ok "BIRD (h2) and bgpd ($NS_CP) Established through moltd; $((N + 1)) prefixes reached the route server over FPM ($(fpm 'd["routes"]') routes) and moltd forwards $LAST"

fpm_gone() { [ "$(fpm 'd["routes"]')" -le 1 ]; }
not_forward() { [ "$(lookup "$LAST")" != forward ]; }
measured() { ! alive "measure$1"; }
mirror_settled() { [ "$(M call feed.status | jpy 'd["lag"] == 0 and d["alive"]')" = True ]; }
# measure_run I: withdraw everything, then time one announcement (bgp_tool.py measure).
measure_run() {
	local out="$E2E_TMP/measure.$1.json" base
	birdc disable bulk >/dev/null || fail "birdc disable"
	wait_for "the withdrawal" 600 0.2 fpm_gone
	wait_for "moltd to stop forwarding $LAST" 600 0.2 not_forward
	# moltd may have been lapped by the withdrawal (resync): its mirror is the base once it has
	# caught up with the feed.
	wait_for "moltd's mirror to catch up" 600 0.2 mirror_settled
	base=$(M call feed.status | jpy 'd["mirror_routes"]')
	rm -f "$E2E_TMP/start" "$E2E_TMP/first.$1" "$E2E_TMP/probe.until"
	# The traffic stage: a datagram to the last prefix every millisecond from h1, and when the
	# first one arrived in h2.
	start_bg "first$1" ip netns exec "$NS_H2" "${TOOL[@]}" first 7001 300 "$E2E_TMP/first.$1"
	wait_for "the probe receiver" 50 0.1 test -e "$E2E_TMP/first.$1.ready"
	start_bg "probe$1" ip netns exec "$NS_H1" "$PY" "$E2E_DIR/sequdp.py" send "$LAST" 7001 1 1000 \
		"$E2E_TMP/probe.until" "$E2E_TMP/probe.sent"
	start_bg "measure$1" "${TOOL[@]}" measure "$N" "$out" --bgp-vty "$D" --rs "$SOCK" \
		--moltd "$E2E_TMP/moltd.sock" --base-mirror "$base" --base-fpm "$(fpm 'd["routes"]')" --start-after "$E2E_TMP/start" --timeout 300 \
		--bird-sock "$B/bird.ctl" --bird-ns "$NS_H2"
	date +%s.%N >"$E2E_TMP/start.tmp"
	birdc enable bulk >/dev/null || fail "birdc enable"
	mv "$E2E_TMP/start.tmp" "$E2E_TMP/start"
	wait_for "the measurement" 3100 0.1 measured "$1"
	wait "$(pid_of "measure$1")" || fail "measurement $1: $(cat "$E2E_TMP/measure$1.log")"
	wait_for "the first probe datagram" 300 0.1 test -e "$E2E_TMP/first.$1"
	touch "$E2E_TMP/probe.until"
	"$PY" - "$out" "$E2E_TMP/start" "$E2E_TMP/first.$1" <<'PY' || fail "traffic stage"
import json, sys
r = json.load(open(sys.argv[1]))
t = float(open(sys.argv[3]).read()) - float(open(sys.argv[2]).read())
r["stages"]["traffic"] = round(t, 3)
r["brackets"]["traffic"] = [round(t - 0.001, 3), round(t, 3)]
json.dump(r, open(sys.argv[1], "w"))
PY
	log "run $1: $(cat "$out")"
}
if [ -n "$MEASURE_N" ]; then
	for ((run = 1; run <= MEASURE_RUNS; run++)); do
		measure_run "$run"
	done
	"$PY" - "$E2E_TMP" "$MEASURE_RUNS" <<'PY'
import json, statistics, sys
runs = [json.load(open("%s/measure.%d.json" % (sys.argv[1], i))) for i in range(1, int(sys.argv[2]) + 1)]
n = runs[0]["n"]
print("announce-to-forwarding of %d prefixes, %d runs: seconds after birdc enable, median (min-max)" % (n, len(runs)))
for st in ["bird", "bgpd", "zebra", "fpm_first", "fpm", "feed", "slot", "traffic"]:
    v = [r["stages"][st] for r in runs]
    w = [r["brackets"][st][1] - r["brackets"][st][0] for r in runs]
    print("  %-9s %7.3f  (%.3f-%.3f)  poll bracket median %.3f" % (st, statistics.median(v), min(v), max(v), statistics.median(w)))
PY
	exit 0
fi

# --- traffic from h1 to the announced prefixes reaches h2 -----------------------------------------
recv_start() { # recv_start NAME PORT EXPECT
	rm -f "$E2E_TMP/$1.json" "$E2E_TMP/$1.json.ready"
	start_bg "$1" ip netns exec "$NS_H2" "${TOOL[@]}" recv "$2" "$3" 10 "$E2E_TMP/$1.json"
	wait_for "receiver $1" 50 0.1 test -e "$E2E_TMP/$1.json.ready"
}
recv_result() { # recv_result NAME: waits for the receiver, prints its JSON
	wait_for "receiver $1 to finish" 150 0.1 test -e "$E2E_TMP/$1.json"
	cat "$E2E_TMP/$1.json"
}
# moltd resolves the peer's address for forwarding on its own (the control plane's ARP is the
# tap's): a ping through moltd to 10.0.2.2 settles it before the counted traffic.
wait_for "h1 to reach 10.0.2.2 through moltd" 20 0.5 in_ns "$NS_H1" ping -c 1 -W 1 10.0.2.2
recv_start rx1 5001 200
in_ns "$NS_H1" "${TOOL[@]}" send 5001 200 "$N" || fail "send"
res=$(recv_result rx1)
[ "$(echo "$res" | jpy 'd["received"], d["destinations"]')" = "200 200" ] ||
	fail "h2 received $res of 200 datagrams to 200 prefixes"
ok "200 datagrams from h1 to 200 of the $N prefixes all arrived in h2 ($res)"

# --- withdrawal: ICMP net unreachable back to the sender ------------------------------------------
out=$(in_ns "$NS_H1" ping -c 1 -W 2 198.18.0.5 2>&1) && echo "$out" | grep -q "1 received" ||
	fail "198.18.0.5 not reached before the withdrawal: $out"
birdc disable wd >/dev/null || fail "birdc disable wd"
unreach() { [ "$(lookup 198.18.0.5)" != forward ]; }
wait_for "moltd to drop 198.18.0.0/24" 100 0.2 unreach
out=$(in_ns "$NS_H1" ping -c 1 -W 2 198.18.0.5 2>&1)
echo "$out" | grep -q "From 10.0.1.1 .*Destination Net Unreachable" ||
	fail "no ICMP net unreachable from 10.0.1.1 after the withdrawal: $out"
ok "198.18.0.0/24 withdrawn by BIRD: h1's ping answered by 10.0.1.1 Destination Net Unreachable"

# --- a metabolism every 100 ms: the session stays up ---------------------------------------------
conns=$(bgp connectionsEstablished)
interval=$(M call metabolism.status | jpy 'd["interval_ms"]')
flips0=$(M call metabolism.status | jpy 'd["flips"]')
M call metabolism.set '{"interval_ms": 100}' >/dev/null || fail "metabolism.set"
recv0=$(vtysh --vty_socket "$D" -c "show bgp neighbors 10.0.2.2 json" | jpy 'd["10.0.2.2"]["messageStats"]["keepalivesRecv"]')
more_keepalives() {
	local k
	k=$(vtysh --vty_socket "$D" -c "show bgp neighbors 10.0.2.2 json" | jpy 'd["10.0.2.2"]["messageStats"]["keepalivesRecv"]')
	[ "$k" -ge $((recv0 + 4)) ]
}
flipped() { [ "$(M call metabolism.status | jpy 'd["flips"]')" -ge $((flips0 + 20)) ]; }
# 4 keepalives (3 s apart): past the hold time (9 s) with slots flipping under the session, and
# 20 flips (a slow machine builds a slot in seconds: the flips are waited for, bounded).
wait_for "4 keepalives from BIRD" 60 0.5 more_keepalives
wait_for "20 flips" 240 0.5 flipped
established || fail "session not Established during the metabolism phase: $(bgp bgpState)"
flips1=$(M call metabolism.status | jpy 'd["flips"]')
M call metabolism.set "{\"interval_ms\": $interval}" >/dev/null || fail "metabolism.set back"
established || fail "session not Established after the metabolism phase: $(bgp bgpState)"
[ "$(bgp connectionsEstablished)" = "$conns" ] || fail "the session was re-established during metabolism"
[ "$((flips1 - flips0))" -ge 20 ] || fail "only $((flips1 - flips0)) flips in the 100 ms phase"
forwards "$LAST" || fail "$LAST not forwarded after the metabolism phase"
ok "metabolism every 100 ms: $((flips1 - flips0)) flips, the session stayed Established (one connection, keepalives flowing)"

# --- zebra killed and restarted: a stream to an unchanged prefix loses nothing --------------------
# FRR's daemons do not re-send their routes to a new zebra (watchfrr restarts them all when
# zebra dies; FRR 8.4's bgpd re-sent about 2/3 of them here when left running): bgpd is
# restarted with it, as watchfrr does. The BGP session goes down and comes back; meanwhile the
# route server forwards zebra's routes as stale, and the resend refreshes them.
DST=$("${TOOL[@]}" addr 1 7)
UNTIL="$E2E_TMP/stream.until"
start_bg srecv ip netns exec "$NS_H2" "$PY" "$E2E_DIR/sequdp.py" recv 6001 "$E2E_TMP/stream.sent" "$E2E_TMP/stream.json"
wait_for "the stream receiver to bind" 50 0.1 sh -c "ip netns exec $NS_H2 ss -lun | grep -q ':6001 '"
start_bg ssend ip netns exec "$NS_H1" "$PY" "$E2E_DIR/sequdp.py" send "$DST" 6001 500 500 "$UNTIL" "$E2E_TMP/stream.sent"
conn0=$(fpm 'd["counters"]["connections"]')
kill -9 "$(pid_of "$ZEBRA")"
stale() { [ "$(fpm 'd["stale"]')" -ge "$N" ]; }
wait_for "the FPM routes to turn stale" 100 0.1 stale
stop_proc bgpd TERM
rm -f "$D/zserv.api"
ZEBRA=zebra2
frr_daemon "$ZEBRA" zebra -M dplane_fpm_nl
wait_for "zebra's API socket" 100 0.1 test -S "$D/zserv.api"
frr_daemon bgpd2 bgpd
wait_for "BGP session Established again" 120 0.5 established
reconnected() {
	[ "$(fpm 'd["counters"]["connections"]')" -gt "$conn0" ] && [ "$(fpm 'd["routes"]')" -ge "$N" ]
}
for ((i = 0; i < 300; i++)); do
	reconnected && break
	sleep 0.2
done
reconnected || fail "zebra did not resend the routes: fpm.status $(R call fpm.status | tr -d ' \n'); zebra: $(vtysh --vty_socket "$D" -c 'show ip route summary' | tr '\n' ';')"
touch "$UNTIL"
wait_for "the stream receiver" 300 0.1 test -e "$E2E_TMP/stream.json"
res=$(cat "$E2E_TMP/stream.json")
[ "$(echo "$res" | jpy 'd["missing"]')" = 0 ] || fail "datagrams lost across the zebra restart: $res"
forwards "$LAST" || fail "$LAST not forwarded after zebra's restart"
[ "$(fpm 'd["stale"]')" = 0 ] || [ "$(fpm 'd["sweep_pending"]')" = True ] ||
	fail "stale routes left after the resend: $(R call fpm.status)"
ok "zebra killed, restarted with bgpd: FPM reconnected, $(fpm 'd["routes"]') routes current again (stale $(fpm 'd["stale"]')), the new bgpd Established with BIRD, stream $(echo "$res" | jpy '"%d sent, %d lost" % (d["sent"], d["missing"])')"

# --- the route server killed and restarted: converges again --------------------------------------
kill -9 "$(pid_of rs)"
gone() { [ "$(M call feed.status | jpy 'd["alive"]')" = False ]; }
wait_for "moltd to notice the route server is gone" 100 0.1 gone
forwards "$LAST" || fail "moltd stopped forwarding $LAST without the route server"
rm -f "$(shm_path "$SHM")" "$SOCK"
start_bg rs2 ip netns exec "$NS_CP" "$ROUTESERVER" "${RS_ARGS[@]}"
wait_for "the new route server's feed" 100 0.1 feed_published "$SHM"
wait_for "zebra to resend to the new route server" 600 0.2 fpm_routes_at_least "$N"
wait_for "moltd to forward $LAST again" 300 0.2 forwards "$LAST"
recv_start rx2 5002 200
in_ns "$NS_H1" "${TOOL[@]}" send 5002 200 "$N" || fail "send"
res=$(recv_result rx2)
[ "$(echo "$res" | jpy 'd["received"], d["destinations"]')" = "200 200" ] ||
	fail "after the route server's restart h2 received $res of 200"
ok "route server killed (-9) and restarted: zebra resent $(fpm 'd["routes"]') routes, moltd reopened the feed, 200 of 200 datagrams arrive ($(M call feed.status | jpy '"reopens %d, resyncs %d" % (d["reopens"], d["resyncs"])'))"

established || fail "session down at the end"
stop_proc moltd
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with $STOP_RC"
log "PASS: $PASSED checks"
