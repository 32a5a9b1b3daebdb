#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# moltd's JSON-RPC methods end to end: molt-routeserver feeds a large random table, moltd runs
# on a net_pcap port (a few frames with bad IPv4 checksums, for port.stats) and a net_ring port;
# rpc_moltd.py calls every method over the control socket and checks the answers, and compares
# route.lookup for 100,000 random addresses with a reference longest-prefix match.
#
#   rpc_moltd.sh [BUILD_DIR]    (meson passes the build dir)
# Environment: MOLT_RPC_V4 / MOLT_RPC_V6 routes (80000 / 20000), MOLT_RPC_LOOKUPS (100000),
# MOLT_FIB_DRIVER (molt), MOLT_SEED.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

DRIVER=${MOLT_FIB_DRIVER:-molt}
SEED=${MOLT_SEED:-1}
BAD_FRAMES=5

need_bin "$MOLTD" "$ROUTESERVER" "$GEN_ROUTES"
e2e_init

SHM="/molt-rpc-$$"
PREFIX="molt-rpc-$$"
SOCK="$E2E_TMP/run/moltd.sock" # its directory does not exist yet: moltd creates it
ROUTES="$E2E_TMP/routes.txt"
CONFIG="$E2E_TMP/config.json"

log "generating ${MOLT_RPC_V4:-80000} IPv4 + ${MOLT_RPC_V6:-20000} IPv6 routes (seed $SEED)"
"$GEN_ROUTES" --v4 "${MOLT_RPC_V4:-80000}" --v6 "${MOLT_RPC_V6:-20000}" --seed "$SEED" \
	--gateways 10.0.1.2,10.0.2.2,10.0.1.3 --v6-gateways fd00:1::2,fd00:2::2 -o "$ROUTES" ||
	fail "gen-routes failed"
# Every kind of route slot_build treats specially, so the reference is tested on them too.
cat >>"$ROUTES" <<'ROUTES'
192.0.2.0/24 blackhole
2001:db8:dead::/48 blackhole
198.51.100.0/24 via 10.0.2.2 dev p0
198.51.101.0/24 dev p1
2001:db8:1::/48 via fe80::1 dev p1
2001:db8:3::/48 dev p1
172.31.0.0/16 via 10.9.9.9
172.30.0.0/16 via 10.0.1.2 dev p9
10.0.1.0/24 via 10.0.2.2
10.0.2.1/32 blackhole
ROUTES

"$PY" "$E2E_DIR/rpc_moltd.py" --write-bad-pcap "$E2E_TMP/bad.pcap" "$BAD_FRAMES" \
	02:00:00:00:00:01 || fail "cannot write the input pcap"
# No metabolism timer: the checks expect the first slot (slot 0) to be the only one, and a
# loaded machine can take longer than the default 10 s interval to get through them.
cat >"$CONFIG" <<JSON
{
  "ports": [
    {"name": "p0", "devargs": "net_pcap_rpc$$,rx_pcap=$E2E_TMP/bad.pcap,tx_pcap=$E2E_TMP/p0.pcap",
     "ipv4": ["10.0.1.1/24"], "ipv6": ["fd00:1::1/64"], "mac": "02:00:00:00:00:01"},
    {"name": "p1", "devargs": "net_ring_rpc$$",
     "ipv4": ["10.0.2.1/24"], "ipv6": ["fd00:2::1/64"], "mac": "02:00:00:00:00:02"}
  ],
  "feed": {"shm": "$SHM"},
  "fib": {"driver": "$DRIVER"},
  "metabolism": {"interval_ms": 0},
  "control": {"socket": "$SOCK", "group": "$(id -gn)"}
}
JSON

start_routeserver rs "$SHM" "$ROUTES"

defer_dpdk_prefix "$PREFIX"
defer "rm -f $SOCK"
# shellcheck disable=SC2046
start_bg moltd "$MOLTD" $(eal_args "$PREFIX") -- -c "$CONFIG"

# Ready when the socket answers molt.status with a slot in use.
status_ok() {
	"$PY" - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "molt.status"}\n')
buf = b''
while not buf.endswith(b'\n'):
    chunk = s.recv(65536)
    if not chunk:
        sys.exit(1)
    buf += chunk
sys.exit(0 if json.loads(buf)["result"]["slot"] is not None else 1)
PY
}
for ((i = 0; i < 150; i++)); do
	alive moltd || fail "moltd exited early"
	status_ok 2>/dev/null && break
	sleep 0.2
done
status_ok || fail "moltd did not answer molt.status within 30 s"

mode=$(stat -c %a "$SOCK")
[ "$mode" = 660 ] || fail "control socket mode $mode, want 660"
[ "$(stat -c %G "$SOCK")" = "$(id -gn)" ] || fail "control socket group $(stat -c %G "$SOCK")"

# A second moltd on the same socket must stop before it touches ports or the first one's socket.
defer_dpdk_prefix "$PREFIX-2"
# shellcheck disable=SC2046
timeout 30 "$MOLTD" $(eal_args "$PREFIX-2") -- -c "$CONFIG" >"$E2E_TMP/second.log" 2>&1 &&
	fail "a second moltd started on a live socket"
grep -q "control socket $SOCK" "$E2E_TMP/second.log" ||
	fail "second moltd: no control socket message: $(tail -n 3 "$E2E_TMP/second.log")"
status_ok || fail "the first moltd stopped answering after a second one tried its socket"

log "driving every method"
"$PY" "$E2E_DIR/rpc_moltd.py" --socket "$SOCK" --config "$CONFIG" --routes "$ROUTES" \
	--pid "$(pid_of moltd)" --bad-frames "$BAD_FRAMES" --seed "$SEED" \
	--lookups "${MOLT_RPC_LOOKUPS:-100000}" || fail "rpc_moltd.py found differences"

alive moltd || fail "moltd died during the test"
stop_proc moltd TERM
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with status $STOP_RC after SIGTERM (expected 0)"
[ -e "$SOCK" ] && fail "moltd left its socket $SOCK behind"
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$E2E_TMP/moltd.log"; then
	fail "sanitizer report in the moltd log"
fi
log "PASS"
