#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The control socket under abuse: random garbage, half-written requests, a request over 1 MiB,
# invalid JSON followed by a valid request on one connection, a client that sends and never
# reads, and 50 concurrent clients (every reply checked). Against molt-routeserver, then (as
# root) against moltd forwarding net_pcap traffic in a loop: its rx and tx counters must keep
# growing while the socket is abused.
#
#   rpc_robustness.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"
MOLTCTL=${MOLTCTL:-$MOLT_BUILD/tools/moltctl}
CLIENTS=${MOLT_RPC_CLIENTS:-50}
REQUESTS=${MOLT_RPC_REQUESTS:-100}

need_bin "$ROUTESERVER" "$MOLTCTL"
e2e_init

abuse() {
	local sock=$1 method=$2 who=$3
	log "--- $who: adversarial clients ($method as the probe)"
	"$PY" "$E2E_DIR/rpc_client.py" "$sock" abuse --method "$method" || fail "$who: abuse"
	log "--- $who: $CLIENTS concurrent clients x $REQUESTS requests"
	"$PY" "$E2E_DIR/rpc_client.py" "$sock" concurrent --clients "$CLIENTS" \
		--requests "$REQUESTS" --method "$method" || fail "$who: concurrent clients"
}

# --- molt-routeserver ---
SHM="/molt-rpcrob-$$"
printf '10.99.0.0/24 via 10.0.3.2\nfd00:99::/64 via fe80::3:2 dev p2\n' >"$E2E_TMP/routes.txt"
start_routeserver rs "$SHM" "$E2E_TMP/routes.txt"
RS_SOCK="$E2E_TMP/rs.sock"
wait_for "route server socket" 50 0.1 test -S "$RS_SOCK"
abuse "$RS_SOCK" route.count molt-routeserver
alive rs || fail "molt-routeserver died"
[ "$("$MOLTCTL" -s "$RS_SOCK" --json route count | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["total"])')" = 2 ] ||
	fail "molt-routeserver's table changed"
log "molt-routeserver: alive, table intact"

# --- moltd (root, pcap ports looping over their input) ---
if [ "$(id -u)" -ne 0 ] || [ ! -x "$MOLTD" ]; then
	log "PASS (molt-routeserver only: moltd part needs root and $MOLTD)"
	exit 0
fi
stop_proc rs TERM
CASE="$E2E_TMP/case"
PREFIX="molt-rpcrob-$$"
SHM2="/molt-rpcrob2-$$"
"$PY" "$E2E_DIR/pcapgen.py" --out "$CASE" --shm "$SHM2" --per-port 200 --seed 3 >/dev/null ||
	fail "pcapgen.py failed"
# Loop over the input forever, and throw the output away: traffic flows for as long as the
# test runs, on disk it costs nothing.
"$PY" - "$CASE/config.json" <<'PY' || fail "config rewrite"
import json, re, sys
cfg = json.load(open(sys.argv[1]))
for p in cfg['ports']:
    p['devargs'] = re.sub(r'tx_pcap=[^,]*', 'tx_pcap=/dev/null', p['devargs']) + ',infinite_rx=1'
json.dump(cfg, open(sys.argv[1], 'w'), indent=1)
PY
start_routeserver rs2 "$SHM2" "$CASE/routes.txt"
defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd "$MOLTD" $(eal_args "$PREFIX") -- -c "$CASE/config.json"
wait_moltd moltd "$PREFIX"
MD_SOCK="$CASE/moltd.sock"
wait_for "moltd socket" 50 0.1 test -S "$MD_SOCK"

# counters: "rx tx" summed over the ports (telemetry, not the socket under test).
counters() {
	telemetry "$PREFIX" /molt/ports | "$PY" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from pcapcheck import normalize_counters
c = normalize_counters(json.load(sys.stdin), ["p0", "p1", "p2"])
print(sum((v.get("rx") or 0) for v in c.values()), sum((v.get("tx") or 0) for v in c.values()))' \
		"$E2E_DIR"
}
read -r rx0 tx0 < <(counters) || fail "telemetry"
abuse "$MD_SOCK" molt.version moltd
alive moltd || fail "moltd died"
read -r rx1 tx1 < <(counters) || fail "telemetry"
log "moltd counters: rx $rx0 -> $rx1, tx $tx0 -> $tx1"
[ "$rx1" -gt "$rx0" ] && [ "$tx1" -gt "$tx0" ] || fail "moltd stopped forwarding during the abuse"
sleep 1
read -r rx2 tx2 < <(counters) || fail "telemetry"
[ "$rx2" -gt "$rx1" ] && [ "$tx2" -gt "$tx1" ] || fail "moltd stopped forwarding after the abuse"
"$MOLTCTL" -s "$MD_SOCK" molt status >/dev/null || fail "moltd no longer answers moltctl"
stop_proc moltd TERM
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with $STOP_RC after SIGTERM"
log "PASS: both daemons answered every checked reply and kept running; moltd kept forwarding"
