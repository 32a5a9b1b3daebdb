#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Faults under metabolism (every 50 ms, rotating drivers), on pcap ports: the route server
# killed with SIGKILL (moltd notices, keeps forwarding and keeps metabolizing from its mirror),
# restarted with another table (moltd reopens the feed by name and converges to it), and a
# burst of updates larger than the journal ring (moltd is lapped, resyncs from the snapshot and
# ends with the route server's digest). The pcap output must still be exactly right.
#
#   metabolism_faults.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

need_root
need_bin "$MOLTD" "$ROUTESERVER"
e2e_init
SHM="/molt-metx-$$"
PREFIX="molt-metx-$$"
CASE="$E2E_TMP/case"
"$PY" "$E2E_DIR/pcapgen.py" --out "$CASE" --shm "$SHM" --per-port 1600 --seed 1 --driver fib-lpm6 >/dev/null || fail pcapgen
config_set "$CASE/config.json" metabolism \
	'{"slots": 3, "interval_ms": 50, "drivers": ["fib", "lpm", "fib-lpm6"]}'
start_routeserver rs "$SHM" "$CASE/routes.txt" --journal 1024
defer_dpdk_prefix "$PREFIX"
t0=$(date +%s.%N)
# shellcheck disable=SC2046
start_bg moltd "$MOLTD" $(eal_args "$PREFIX" | sed 's/-m 512/-m 1024/') -- -c "$CASE/config.json"
wait_moltd moltd "$PREFIX"
M="$MOLT_BUILD/tools/moltctl -s $CASE/moltd.sock"
R="$MOLT_BUILD/tools/moltctl -s $E2E_TMP/rs.sock"
st() { $M --json call metabolism.status | "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
fs() { $M --json call feed.status | "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
sleep 1
log "kill -9 the route server"
kill -9 "${_PIDS[rs]}"; unset "_PIDS[rs]"
b0=$(st 'd["builds"]["ok"]')
sleep 2
log "route server gone: alive=$(fs 'd["alive"]'), builds $b0 -> $(st 'd["builds"]["ok"]'), mirror $(fs 'd["mirror_routes"]') routes"
[ "$(fs 'd["alive"]')" = False ] || fail "moltd did not notice the route server is gone"
[ "$(st 'd["builds"]["ok"]')" -gt "$b0" ] || fail "metabolism stopped with the route server"
$M --json call route.lookup '{"addresses": ["10.0.2.77"]}' | grep -q forward ||
	fail "moltd stopped forwarding without the route server"
log "restart the route server with another table"
cp "$CASE/routes.txt" "$E2E_TMP/routes2.txt"; echo "198.19.0.0/16 via 10.0.1.2" >> "$E2E_TMP/routes2.txt"
rm -f "$(shm_path "$SHM")"
start_routeserver rs "$SHM" "$E2E_TMP/routes2.txt" --journal 1024
for ((i = 0; i < 100; i++)); do [ "$(fs 'd["resyncs"]')" -ge 1 ] && [ "$($M --json call route.lookup '{"addresses": ["198.19.1.1"]}' | grep -c forward)" -ge 1 ] && break; sleep 0.1; done
log "after restart: $(fs 'd["alive"], d["resyncs"], d["reopens"], d["mirror_routes"]')"
[ "$(fs 'd["reopens"]')" -ge 1 ] || fail "moltd did not reopen the restarted route server's feed"
$M --json call route.lookup '{"addresses": ["198.19.1.1"]}' | grep -q forward ||
	fail "the restarted route server's new route is not used"
log "overrun: 5000 routes through a journal of 1024"
"$PY" -c '
for i in range(5000): print("100.%d.%d.0/24 via 10.0.1.2" % (64 + i // 256, i % 256))' > "$E2E_TMP/bulk.txt"
$R route add --file "$E2E_TMP/bulk.txt" >/dev/null || fail "bulk add"
for ((i = 0; i < 100; i++)); do [ "$(fs 'd["mirror_routes"]')" -ge 5013 ] && [ "$(fs 'd["lag"]')" = 0 ] && break; sleep 0.1; done
log "after overrun: $(fs 'd["overruns"], d["resyncs"], d["mirror_routes"], d["mirror_digest"]')"
[ "$(fs 'd["overruns"]')" -ge 1 ] || fail "no overrun detected"
rs_digest=$($R --json feed status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["snapshot"]["digest"])')
[ "$(fs 'd["mirror_digest"]')" = "$rs_digest" ] ||
	fail "moltd's mirror digest $(fs 'd["mirror_digest"]') differs from the route server's $rs_digest"
$M --json call route.count | tr -d ' \n'; echo
st 'd["builds"], d["flips"], d["flip_latency"]'
telemetry "$PREFIX" /molt/ports >"$E2E_TMP/counters.json"
stop_proc moltd TERM
t1=$(date +%s.%N)
duration=$("$PY" -c "print(round($t1 - $t0, 2))")
"$PY" "$E2E_DIR/pcapcheck.py" --dir "$CASE" --counters "$E2E_TMP/counters.json" --log "$E2E_TMP/moltd.log" --duration "$duration" || fail "pcap output check failed"
grep -E "feed:" "$E2E_TMP/moltd.log" | cut -c1-250
log PASS
