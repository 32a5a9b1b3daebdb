#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# pcap end-to-end: thousands of generated frames of every category (routed IPv4/IPv6 to
# gateways, link-local gateways, on-link and connected hosts; unrouted; TTL/hop limit 1; echo
# to the router; blackhole; every kind of malformed header; bad sources) go through moltd on
# net_pcap ports; pcapcheck.py verifies every output frame and the drop counters.
#
#   pcap_forward.sh [BUILD_DIR [FIB_DRIVER]]    (meson passes the build dir; default driver fib-lpm6)
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

DRIVER=${2:-${MOLT_FIB_DRIVER:-fib-lpm6}}

need_root
need_bin "$MOLTD" "$ROUTESERVER"
e2e_init

SHM="/molt-pcap-$$"
PREFIX="molt-pcap-$$"
CASE="$E2E_TMP/case"
PER_PORT=${MOLT_PCAP_PER_PORT:-1600}

log "generating the test case ($PER_PORT frames per port, FIB driver $DRIVER)"
"$PY" "$E2E_DIR/pcapgen.py" --out "$CASE" --shm "$SHM" --per-port "$PER_PORT" --seed "${MOLT_SEED:-1}" \
	--driver "$DRIVER" ||
	fail "pcapgen.py failed"
expected=$("$PY" -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' \
	"$CASE/expected_rx.json")

start_routeserver rs "$SHM" "$CASE/routes.txt"

defer_dpdk_prefix "$PREFIX"
t0=$(date +%s.%N)
# shellcheck disable=SC2046
start_bg moltd "$MOLTD" $(eal_args "$PREFIX") -- -c "$CASE/config.json"
wait_moltd moltd "$PREFIX"

# rx_total FILE: sum of rx over ports in a /molt/ports answer; "tx" for the tx sum.
sum_counter() {
	"$PY" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from pcapcheck import normalize_counters
c = normalize_counters(json.load(open(sys.argv[2])), ["p0", "p1", "p2"])
print(sum((v.get(sys.argv[3]) or 0) for v in c.values()))' "$E2E_DIR" "$1" "$2"
}

# Poll until every input frame was received, then until tx stops moving (the control thread
# answers punted packets after the workers are done). Bounded: 60 s.
log "waiting for moltd to read all $expected frames"
rx=0
last_tx=-1
stable=0
for ((i = 0; i < 300; i++)); do
	alive moltd || fail "moltd exited while reading the pcaps"
	if telemetry "$PREFIX" /molt/ports >"$E2E_TMP/ports.json" 2>/dev/null; then
		rx=$(sum_counter "$E2E_TMP/ports.json" rx)
		tx=$(sum_counter "$E2E_TMP/ports.json" tx)
		if [ "$rx" -ge "$expected" ]; then
			if [ "$tx" = "$last_tx" ]; then
				stable=$((stable + 1))
				[ $stable -ge 3 ] && break
			else
				stable=0
			fi
			last_tx=$tx
		fi
	fi
	sleep 0.2
done
[ "$rx" -ge "$expected" ] || fail "moltd received $rx of $expected frames within 60 s"
log "moltd received $rx frames, sent $tx; stopping it"
cp "$E2E_TMP/ports.json" "$E2E_TMP/counters.json"
telemetry "$PREFIX" /molt/workers >"$E2E_TMP/workers.json" 2>/dev/null || true

stop_proc moltd TERM
t1=$(date +%s.%N)
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with status $STOP_RC after SIGTERM (expected 0)"
duration=$("$PY" -c "print(round($t1 - $t0, 2))")

log "moltd stopped after ${duration}s; checking the output"
"$PY" "$E2E_DIR/pcapcheck.py" --dir "$CASE" --counters "$E2E_TMP/counters.json" \
	--log "$E2E_TMP/moltd.log" --duration "$duration" || fail "pcap output check failed"

stop_proc rs TERM
[ "$STOP_RC" -eq 0 ] || fail "molt-routeserver exited with status $STOP_RC after SIGTERM"
log "PASS"
