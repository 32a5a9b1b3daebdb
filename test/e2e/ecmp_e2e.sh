#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ECMP end to end: moltd (af_packet ports p0..p4 in a router namespace), a host h0 behind p0 and
# four next hops n1..n4 behind p1..p4; 198.18.0.0/16 has four paths, one through each of them
# (route-file `nexthop via` form). h0 sends 10,000 flows (one UDP datagram each, distinct source
# ports and destinations); tcpdump in n1..n4 records which flows arrive where. Checks that every
# flow arrives at exactly one next hop, each within 20 % of 2,500; that after 100 slot flips
# (metabolism every 50 ms, rotating drivers) every flow arrives where it did before; that
# route.lookup with a flow names the path the flow took; and that when n4 stops answering ARP
# (its address removed) its path is skipped: its flows spread over n1..n3 while every other flow
# keeps its path.
#
#   ecmp_e2e.sh [BUILD_DIR]
#   env: MOLT_ECMP_FLOWS (10000), MOLT_ECMP_RATE (2500 datagrams per s), MOLT_ECMP_FLIPS (100)
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"
MOLTCTL=${MOLT_MOLTCTL:-$MOLT_BUILD/tools/moltctl}

need_root
need_bin "$MOLTD" "$ROUTESERVER" "$MOLTCTL"
need_cmd ip ping ethtool tcpdump
need_netns
e2e_init

FLOWS=${MOLT_ECMP_FLOWS:-10000}
RATE=${MOLT_ECMP_RATE:-2500}
FLIPS=${MOLT_ECMP_FLIPS:-100}
SHM="/molt-ecmp-$$"
PREFIX="molt-ecmp-$$"
FLOW=("$PY" "$E2E_DIR/ecmp_flows.py")
PASSED=0

ok() {
	PASSED=$((PASSED + 1))
	log "ok $PASSED - $*"
}

# --- topology: h0 behind p0 (10.0.1.0/24), nX behind pX (10.0.X+1.0/24) -----------------------
NS_R="molt-er-$$"
netns_add "$NS_R"
NS=()
ports_json=""
for x in 0 1 2 3 4; do
	name=$([ $x = 0 ] && echo h0 || echo "n$x")
	ns="molt-e$name-$$"
	NS+=("$ns")
	netns_add "$ns"
	mac="02:00:00:00:00:0$x"
	veth_add "$NS_R" "r$x" "$ns" eth0
	router_port_prepare "$NS_R" "r$x" "$mac"
	in_ns "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	ip -n "$ns" link set eth0 address "02:00:00:00:01:0$x"
	offload_off "$ns" eth0
	ip -n "$ns" addr add "10.0.$((x + 1)).2/24" dev eth0
	ip -n "$ns" route add default via "10.0.$((x + 1)).1"
	[ -n "$ports_json" ] && ports_json+=","
	ports_json+="{\"name\":\"p$x\",\"devargs\":\"net_af_packet$x,iface=r$x,framecnt=$AF_PACKET_FRAMES\","
	ports_json+="\"ipv4\":[\"10.0.$((x + 1)).1/24\"],\"mac\":\"$mac\"}"
done
NS_H0=${NS[0]}
# Neighbours are re-probed every second: n4's path must be found unusable soon after n4 stops
# answering.
cat >"$E2E_TMP/config.json" <<JSON
{
  "ports": [$ports_json],
  "feed": {"shm": "$SHM"},
  "control": {"socket": "$E2E_TMP/moltd.sock"},
  "neighbor_timeout_ms": 1000,
  "metabolism": {"slots": 3, "interval_ms": 50}
}
JSON
cat >"$E2E_TMP/routes.txt" <<ROUTES
198.18.0.0/16 nexthop via 10.0.2.2 nexthop via 10.0.3.2 nexthop via 10.0.4.2 nexthop via 10.0.5.2
ROUTES

start_routeserver rs "$SHM" "$E2E_TMP/routes.txt"
defer_dpdk_prefix "$PREFIX"
# Three slots of the fib driver (129.5 MiB each, whatever the table) need more than the usual
# 512 MB.
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX" | sed 's/-m 512/-m 1024/') \
	-- -c "$E2E_TMP/config.json"
wait_moltd moltd "$PREFIX"
# Sender, captures and checks off the worker's CPU (see keep_off_worker in lib.sh).
keep_off_worker
M=("$MOLTCTL" -s "$E2E_TMP/moltd.sock")
jfield() { "${M[@]}" --json call "$1" "${3:-{\}}" | "$PY" -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
flips() { jfield metabolism.status 'd["flips"]'; }

# Every next hop resolved before the flows start: a flow to an unresolved neighbour waits for
# ARP (3 held, the rest dropped), which is resolution, not path choice.
for x in 1 2 3 4; do
	wait_for "h0 reaches n$x" 20 0.3 in_ns "$NS_H0" ping -c 1 -W 1 "10.0.$((x + 1)).2"
done
ok "h0 reaches n1..n4 through moltd"

# --- captures: one tcpdump per next hop, flows' datagrams only ----------------------------------
CAPS=()
for x in 1 2 3 4; do
	pcap="$E2E_TMP/n$x.pcap"
	# -U: every packet is written when captured, so the captures can be read while running;
	# -B: a 16 MiB kernel buffer, so a capture descheduled on a busy machine drops nothing.
	start_bg "tcpdump-n$x" ip netns exec "${NS[$x]}" tcpdump -i eth0 -n -U -B 16384 -s 128 \
		-w "$pcap" "udp and dst port 9999"
	wait_for "tcpdump in n$x listening" 100 0.1 grep -q "listening on" "$E2E_TMP/tcpdump-n$x.log"
	CAPS+=("n$x=$pcap")
done

# round N OUT: sends every flow from h0 (round N) and records where each one arrived.
round() {
	in_ns "$NS_H0" "${FLOW[@]}" round "$1" "$FLOWS" "$RATE" "$2" "${CAPS[@]}" ||
		fail "round $1: flows did not arrive (moltd's ports: $(telemetry "$PREFIX" /molt/ports | tr -d '\n' | cut -c1-2000))"
}

# --- spread ------------------------------------------------------------------------------------
round 1 "$E2E_TMP/round1.json"
"${FLOW[@]}" spread "$E2E_TMP/round1.json" 20 n1,n2,n3,n4 || fail "flows not spread over the four paths"
ok "$FLOWS flows: each at exactly one next hop, each next hop within 20 % of an even share"

# --- route.lookup: which path a flow takes, and the paths' counters -------------------------------
"$PY" - "$E2E_TMP/round1.json" "$E2E_TMP/moltd.sock" "$MOLTCTL" <<'PY' || fail "route.lookup disagrees with where the flows went"
import json, subprocess, sys
paths = {int(k): v[0] for k, v in json.load(open(sys.argv[1]))["paths"].items()}
gw = {"n%d" % x: "10.0.%d.2" % (x + 1) for x in range(1, 5)}


def lookup(params):
    out = subprocess.run([sys.argv[3], "-s", sys.argv[2], "--json", "call", "route.lookup",
                          json.dumps(params)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("route.lookup %s: %s" % (json.dumps(params), out.stderr.strip()))
    return json.loads(out.stdout)[0]


wrong = 0
sample = list(range(0, len(paths), max(1, len(paths) // 50)))
for i in sample:
    a = lookup({"addresses": ["198.18.%d.%d" % (i % 4, i % 250 + 1)],
                "flow": {"src": "10.0.1.2", "proto": 17, "sport": 10000 + i, "dport": 9999}})
    got = a.get("flow_path", {}).get("gateway")
    if got != gw[paths[i]]:
        print("flow %d: route.lookup says %s, it arrived at %s (%s)" % (i, got, paths[i],
                                                                     gw[paths[i]]))
        wrong += 1
print("route.lookup with a flow: %d of %d sampled flows named the path they took"
      % (len(sample) - wrong, len(sample)))
# Every datagram that arrived at a next hop was counted on its path (resent ones included).
per = {}
for n in paths.values():
    per[gw[n]] = per.get(gw[n], 0) + 1
a = lookup({"addresses": ["198.18.0.1"]})
for p in a.get("paths", []):
    print("path %s via %s: %d packets, usable %s" % (p.get("index"), p.get("gateway"),
                                                   p.get("packets", -1), p.get("usable")))
    if p.get("packets", -1) < per.get(p.get("gateway"), 0):
        print("path via %s counted %s packets, %d flows arrived through it"
              % (p.get("gateway"), p.get("packets"), per.get(p.get("gateway"), 0)))
        wrong += 1
if sorted(p.get("gateway") for p in a.get("paths", [])) != sorted(gw.values()):
    print("route.lookup's paths: %s" % a.get("paths"))
    wrong += 1
sys.exit(1 if wrong else 0)
PY
ok "route.lookup names each sampled flow's path and counts the packets of each path"

# --- the same paths across slot flips ----------------------------------------------------------
f0=$(flips) || fail "metabolism.status"
more_flips() { [ "$(flips)" -ge "$((f0 + FLIPS))" ]; }
# 100 flips at 50 ms take 5 s; a slot build on a loaded machine under ASan may take far longer.
wait_for "$FLIPS slot flips" 600 0.2 more_flips
log "$(($(flips) - f0)) slot flips since round 1"
round 2 "$E2E_TMP/round2.json"
"${FLOW[@]}" same "$E2E_TMP/round1.json" "$E2E_TMP/round2.json" || fail "flows changed path across $FLIPS flips"
ok "after $FLIPS slot flips every flow arrives at the next hop it did before"

# --- a next hop that stops answering -----------------------------------------------------------
# n4 removes its address: moltd's re-probe of 10.0.5.2 (every second) goes unanswered and the
# neighbour becomes unresolved; its path is then skipped.
ip -n "${NS[4]}" addr del 10.0.5.2/24 dev eth0 || fail "removing n4's address"
# Unresolved: no entry, or one waiting for (incomplete) or past (failed) an answer.
n4_unresolved() {
	"${M[@]}" --json call neigh.list | "$PY" -c 'import json, sys
s = [n["state"] for n in json.load(sys.stdin) if n["ip"] == "10.0.5.2"]
sys.exit(0 if all(x in ("incomplete", "failed") for x in s) else 1)'
}
wait_for "moltd to find 10.0.5.2 unresolved" 150 0.2 n4_unresolved
round 3 "$E2E_TMP/round3.json"
"${FLOW[@]}" moved "$E2E_TMP/round1.json" "$E2E_TMP/round3.json" n4 || fail "n4's path not skipped as it should be"
ok "n4 gone: its flows spread over n1..n3, every other flow kept its path"

log "moltd's counters (telemetry /molt/ports):"
telemetry "$PREFIX" /molt/ports || true
stop_proc moltd TERM
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with status $STOP_RC"
log "PASS: $PASSED checks"
