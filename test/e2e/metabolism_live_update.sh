#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Live updates through the feed journal, with metabolism on demand only (so only update flips
# carry them) and the default driver rotation (molt, fib): a route added at the route server is
# used by the dataplane within a bounded time, through a molt slot (an immutable image, sealed
# again for the update before the flip), a deleted one stops being used (through an rte_fib
# slot), both checked with real packets and with route.lookup. Then a burst of 30,000 route adds
# is applied to every live slot (rate and latency reported).
#
#   metabolism_live_update.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

need_root
need_bin "$MOLTD" "$ROUTESERVER"
need_cmd ip ethtool ping
need_netns
e2e_init

SHM="/molt-lu-$$"
PREFIX="molt-lu-$$"
CTL="$MOLT_BUILD/tools/moltctl"

topo_create "$E2E_TMP" "$SHM"
config_set "$E2E_TMP/config.json" metabolism '{"slots": 3, "interval_ms": 0}'
# h3 owns 10.98.0.1, which no route reaches yet.
ip -n "$NS_H3" addr add 10.98.0.1/32 dev lo
start_routeserver rs "$SHM" "$E2E_TMP/routes.txt"
defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX" | sed 's/-m 512/-m 1024/') \
	-- -c "$E2E_TMP/config.json"
wait_moltd moltd "$PREFIX"
M="$CTL -s $E2E_TMP/moltd.sock"
R="$CTL -s $E2E_TMP/rs.sock"
j() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
action() { $M --json call route.lookup "{\"addresses\": [\"$1\"]}" | j 'd[0]["action"]'; }

# active_driver: the driver of the slot workers read.
active_driver() { $M --json call slot.list | j '[s["driver"] for s in d if s["active"]][0]'; }

# The first slot is fib.driver's (default molt) and the rotation goes on from it: three builds
# make generations 2 (fib), 3 (molt) and 4 (fib, ACTIVE), older slots retired, so the molt slot
# is the standby the first update flips to.
for _ in 1 2 3; do
	$M --json call slot.metabolize >/dev/null || fail "slot.metabolize"
done
[ "$(active_driver)" = fib ] ||
	fail "after three builds the active slot is $(active_driver), expected fib"
wait_for "h1 reaches h3" 10 0.3 in_ns "$NS_H1" ping -c 1 -W 1 10.0.3.2
in_ns "$NS_H1" ping -c 1 -W 1 10.98.0.1 >/dev/null 2>&1 && fail "10.98.0.1 answered before its route"

t0=$(date +%s%N)
$R route add 10.98.0.0/24 via 10.0.3.2 >/dev/null || fail "route add"
wait_for "route.lookup to use the new route" 100 0.01 bash -c \
	"[ \"\$($M --json call route.lookup '{\"addresses\": [\"10.98.0.1\"]}' | grep -c forward)\" = 1 ]"
t1=$(date +%s%N)
log "route added at the route server is in moltd's active slot within $(((t1 - t0) / 1000000)) ms"
[ "$(active_driver)" = molt ] || fail "the route add flipped to a $(active_driver) slot, expected molt"
wait_for "ping 10.98.0.1 through the new route" 20 0.2 in_ns "$NS_H1" ping -c 1 -W 1 10.98.0.1
log "ok - added route forwarded through the molt slot"

$R route del 10.98.0.0/24 >/dev/null || fail "route del"
wait_for "route.lookup to stop using it" 100 0.01 bash -c \
	"[ \"\$($M --json call route.lookup '{\"addresses\": [\"10.98.0.1\"]}' | grep -c forward)\" = 0 ]"
[ "$(action 10.98.0.1)" = unreachable ] || fail "10.98.0.1 still routed after route del"
[ "$(active_driver)" = fib ] || fail "the route del flipped to a $(active_driver) slot, expected fib"
in_ns "$NS_H1" ping -c 2 -W 1 10.98.0.1 >/dev/null 2>&1 && fail "10.98.0.1 still answers"
log "ok - deleted route no longer used (route.lookup: unreachable, ping fails)"

"$PY" -c '
for i in range(30000): print("100.%d.%d.0/24 via 10.0.3.2" % (64 + i // 256, i % 256))' \
	>"$E2E_TMP/bulk.txt"
$R route add --file "$E2E_TMP/bulk.txt" >/dev/null || fail "bulk route add"
wait_for "30,000 updates in every live slot" 200 0.05 bash -c \
	"[ \"\$($M --json call route.count | \"$PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"ipv4\"])')\" -ge 30000 ]"
$M --json call metabolism.status | j '"update flips %d; update latency %s; updates %s" % (d["update_flips"], d["update_latency"], d["updates"])'
$M slot list
stop_proc moltd TERM
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with status $STOP_RC"
log "PASS"
