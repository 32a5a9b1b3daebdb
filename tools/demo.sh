#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The molt demo: three hosts in network namespaces on three subnets (IPv4 + IPv6), joined by
# veth pairs to moltd (af_packet ports) in a router namespace; molt-routeserver feeds it a
# route file (one prefix behind an IPv4 gateway, one behind a link-local IPv6 next hop).
# Shows ping, ping6, TTL expiry, an unrouted destination, iperf3 runs, then the metabolism live:
# slots rebuilt, verified and flipped every 250 ms under a UDP stream that loses nothing, and a
# route added at the route server reaching the forwarding slots without a restart; then the
# counters, and cleans everything up (also on Ctrl-C). Takes about a minute. Needs root.
#
#   tools/demo.sh [--setup] [--build DIR]
#
#   --setup       install the Debian packages and build first (tools/setup-deps.sh, meson, ninja)
#   --build DIR   build directory (default: build)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SETUP=0
BUILD_DIR=$ROOT/build
while [ $# -gt 0 ]; do
	case $1 in
	--setup) SETUP=1 ;;
	--build) BUILD_DIR=$(realpath -m "$2"); shift ;;
	-h | --help) sed -n '3,14p' "$0"; exit 0 ;;
	*) echo "demo: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

if [ "$SETUP" = 1 ]; then
	"$ROOT/tools/setup-deps.sh" || exit 1
	if [ ! -f "$BUILD_DIR/build.ninja" ]; then
		meson setup "$BUILD_DIR" "$ROOT" || exit 1
	fi
	ninja -C "$BUILD_DIR" || exit 1
fi

# shellcheck source=test/e2e/lib.sh
. "$ROOT/test/e2e/lib.sh"
set_build "$BUILD_DIR"

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces)" >&2; exit 1; }
need_bin "$MOLTD" "$ROUTESERVER" "$MOLT_BUILD/tools/moltctl"
need_cmd ip ping ethtool iperf3
e2e_init

SHM="/molt-demo-$$"
PREFIX="molt-demo-$$"

# Bold titles and dim commands on a terminal only.
if [ -t 1 ]; then B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'; else B='' D='' N=''; fi
banner() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() {
	printf '%s$ %s%s\n' "$D" "$*" "$N"
	"$@"
}

banner "building the network: h1 (10.0.1.2) h2 (10.0.2.2) h3 (10.0.3.2, 10.99.0.1, fd00:99::1)"
topo_create "$E2E_TMP" "$SHM"
# The metabolism: a fresh slot built from the feed, verified and flipped in every 250 ms.
config_set "$E2E_TMP/config.json" metabolism '{"interval_ms": 250, "slots": 2}'
# h3 also owns 10.98.0.1, which no route reaches until the live update below adds one.
ip -n "$NS_H3" addr add 10.98.0.1/32 dev lo
CTL="$MOLT_BUILD/tools/moltctl"
echo "route file:"
sed 's/^/    /' "$E2E_TMP/routes.txt"
echo "moltd config:"
sed 's/^/    /' "$E2E_TMP/config.json"

banner "starting molt-routeserver and moltd"
start_routeserver routeserver "$SHM" "$E2E_TMP/routes.txt"
defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX" | sed 's/-m 512/-m 1024/') \
	-- -c "$E2E_TMP/config.json"
wait_moltd moltd "$PREFIX"
# iperf3 and the rest of the demo off the worker's CPU (keep_off_worker in test/e2e/lib.sh).
keep_off_worker
grep -E 'slot 0|port .* up|worker' "$E2E_TMP/moltd.log" | sed 's/^/    /'
M="$CTL -s $E2E_TMP/moltd.sock"
RS="$CTL -s $E2E_TMP/routeserver.sock"
# The first packet to each host waits for ARP/ND; poll (bounded) until the router answers.
wait_for "h1 reaches the router" 20 0.3 in_ns "$NS_H1" ping -c 1 -W 1 10.0.1.1

banner "ping and ping6 across the router (ARP and ND resolved on the fly)"
show in_ns "$NS_H1" ping -c 3 -i 0.3 -W 2 10.0.2.2
show in_ns "$NS_H1" ping -c 3 -i 0.3 -W 2 fd00:3::2
banner "a prefix behind a gateway (10.99.0.0/24 via 10.0.3.2) and behind a link-local next hop (fd00:99::/64 via fe80::3:2 dev p2)"
show in_ns "$NS_H2" ping -c 3 -i 0.3 -W 2 10.99.0.1
show in_ns "$NS_H2" ping -c 3 -i 0.3 -W 2 fd00:99::1
banner "TTL 1: the router answers time exceeded; no route: destination unreachable"
show in_ns "$NS_H1" ping -c 1 -W 2 -t 1 10.0.3.2
show in_ns "$NS_H1" ping -c 1 -W 2 100.64.0.1
show in_ns "$NS_H1" ping -c 1 -W 2 2001:db8:ffff::1

banner "iperf3: TCP from h1 to h2 for 3 seconds, then UDP at 100 Mbit/s"
start_bg iperf3-server ip netns exec "$NS_H2" iperf3 -s -p 5201
wait_for "iperf3 server" 50 0.1 sh -c "ip netns exec $NS_H2 ss -Hltn | grep -q ':5201 '"
show timeout 30 ip netns exec "$NS_H1" iperf3 -c 10.0.2.2 -p 5201 -t 3 -f m
show timeout 30 ip netns exec "$NS_H1" iperf3 -c 10.0.2.2 -p 5201 -u -b 100M -l 1200 -t 3 -f m

banner "the metabolism, live: slots rebuilt from the route server, verified and flipped every 250 ms"
show $M slot list
banner "a UDP stream h1 -> h2 across the flips: iperf3 counts every datagram lost"
flips() { $M metabolism status | awk '$1 == "flips" { gsub(",", "", $2); print $2 }'; }
F0=$(flips)
show timeout 30 ip netns exec "$NS_H1" iperf3 -c 10.0.2.2 -p 5201 -u -b 50M -l 1200 -t 5 -f m
F1=$(flips)
echo "${B}slot flips while the stream ran: $((F1 - F0))${N}"
banner "a live route change: 10.98.0.1 (on h3) has no route, then the route server adds one"
show in_ns "$NS_H1" ping -c 1 -W 2 10.98.0.1
show $RS route add 10.98.0.0/24 via 10.0.3.2
# The journal entry reaches every live slot within milliseconds; poll (bounded) for it.
wait_for "10.98.0.0/24 in moltd's active slot" 50 0.1 \
	sh -c "$M route lookup 10.98.0.1 | grep -q forward"
show $M route lookup 10.98.0.1
show in_ns "$NS_H1" ping -c 3 -i 0.3 -W 2 10.98.0.1
printf '%s$ %s%s\n' "$D" "$M metabolism status | grep ..." "$N"
$M metabolism status |
	grep -E '^(interval_ms|builds\.(ok|failed|avg_ms)|flips|update_flips|erased|flip_latency\.p[0-9]+_ms|updates\.applied) '
show $M slot list

banner "counters (DPDK telemetry /molt/ports; also: echo /molt/ports | dpdk-telemetry.py -f $PREFIX)"
telemetry "$PREFIX" /molt/ports >"$E2E_TMP/ports.json" && "$PY" - "$E2E_TMP/ports.json" <<'PY'
import json, sys
ports = json.load(open(sys.argv[1]))
print('%-6s %10s %10s %10s %8s  %s' % ('port', 'rx', 'tx', 'forwarded', 'punted', 'drops'))
for name, c in sorted(ports.items()):
    drops = ', '.join('%s %d' % (k[5:], v) for k, v in sorted(c.items())
                      if k.startswith('drop_') and v)
    print('%-6s %10d %10d %10d %8d  %s' % (name, c['rx'], c['tx'], c['forwarded'],
                                           c['punted'], drops or '-'))
PY
telemetry "$PREFIX" /molt/slots | sed 's/^/slots: /'

banner "stopping moltd (SIGTERM): it prints its counters and exits 0"
stop_proc moltd TERM
grep -E '^(port|  drop|worker)' "$E2E_TMP/moltd.log"
echo "moltd exit status: $STOP_RC"
banner "done; removing namespaces, feed and processes"
