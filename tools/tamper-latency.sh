#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Detection latency of the integrity auditor, measured: moltd with --enable-fault-injection on
# the three-host topology of the end-to-end tests (namespaces, af_packet ports, no traffic), a
# table from gen-routes, and COUNT tampers of the slot in use, one after the other (each kind in
# turn, at random routed addresses), each waited for until it is detected and a fresh slot is in
# use. Prints p50/p90/p99/max of the latency moltd measures (tamper store -> detection), by
# driver and kind, and of what a client sees (notification, fresh slot). Root; a few minutes.
#
#   tools/tamper-latency.sh [-b BUILD_DIR] [-n COUNT] [--v4 N] [--v6 M] [-m MB]
#        [--drivers molt,fib] [--period-ms MS] [--budget-percent P] [--json OUT]
#   defaults: build, 100 tampers, 100000 IPv4 + 20000 IPv6 routes, -m 1024, moltd's own
#   rotation and integrity defaults
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$ROOT/build
COUNT=100
V4=100000
V6=20000
MEM=1024
PERIOD=""
BUDGET=""
DRIVERS=""
JSON=""
while [ $# -gt 0 ]; do
	case $1 in
	-b) BUILD_DIR=$2; shift 2 ;;
	-n) COUNT=$2; shift 2 ;;
	--v4) V4=$2; shift 2 ;;
	--v6) V6=$2; shift 2 ;;
	-m) MEM=$2; shift 2 ;;
	--drivers) DRIVERS=$2; shift 2 ;;
	--period-ms) PERIOD=$2; shift 2 ;;
	--budget-percent) BUDGET=$2; shift 2 ;;
	--json) JSON=$(realpath -m "$2"); shift 2 ;;
	-h | --help) sed -n '3,14p' "$0"; exit 0 ;;
	*) echo "tamper-latency: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
# shellcheck source=test/e2e/lib.sh
. "$ROOT/test/e2e/lib.sh"
set_build "$BUILD_DIR"
need_root
need_bin "$MOLTD" "$ROUTESERVER" "$GEN_ROUTES"
need_netns
e2e_init

SHM="/molt-tlat-$$"
PREFIX="molt-tlat-$$"
topo_create "$E2E_TMP" "$SHM"
# Routes via h2 and h3 (two next hops per family on two ports: a lookup tamper has somewhere
# else to point), none inside 10.0.0.0/8; static neighbours, so nothing but the tamper and the
# fresh slot changes a next hop.
"$GEN_ROUTES" --v4 "$V4" --v6 "$V6" --gateways 10.0.2.2,10.0.3.2 \
	--v6-gateways fd00:2::2,fd00:3::2 --seed 5 | grep -v '^10\.' >>"$E2E_TMP/routes.txt" ||
	fail "gen-routes"
config_set "$E2E_TMP/config.json" neighbors '[
	{"ip": "10.0.2.2", "mac": "02:00:00:00:01:02", "port": "p1"},
	{"ip": "10.0.3.2", "mac": "02:00:00:00:01:03", "port": "p2"},
	{"ip": "fd00:2::2", "mac": "02:00:00:00:01:02", "port": "p1"},
	{"ip": "fd00:3::2", "mac": "02:00:00:00:01:03", "port": "p2"}]'
# json_obj KEY=VALUE...: a JSON object of the pairs whose value is not empty (numbers as
# numbers, a comma list as a list of strings).
json_obj() {
	"$PY" - "$@" <<'PY'
import json, sys
d = {}
for kv in sys.argv[1:]:
    k, v = kv.split("=", 1)
    if v:
        d[k] = int(v) if v.isdigit() else v.split(",")
print(json.dumps(d))
PY
}
config_set "$E2E_TMP/config.json" metabolism \
	"$(json_obj slots=3 interval_ms=0 drivers="$DRIVERS")"
config_set "$E2E_TMP/config.json" integrity \
	"$(json_obj period_ms="$PERIOD" budget_percent="$BUDGET")"
start_routeserver rs "$SHM" "$E2E_TMP/routes.txt"
defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX" | sed "s/-m 512/-m $MEM/") \
	-- -c "$E2E_TMP/config.json" --enable-fault-injection
wait_moltd moltd "$PREFIX"
keep_off_worker
log "$COUNT tampers on a table of $V4 IPv4 + $V6 IPv6 routes"
"$PY" "$E2E_DIR/tamper_latency.py" --sock "$E2E_TMP/moltd.sock" --routes "$E2E_TMP/routes.txt" \
	--count "$COUNT" ${JSON:+--json "$JSON"} || fail "the measurement did not complete (above)"
grep -E "integrity: page MACs|slot [0-9]+ built" "$E2E_TMP/moltd.log" | head -n 6
stop_proc moltd TERM
