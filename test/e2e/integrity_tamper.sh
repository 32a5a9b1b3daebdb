#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Integrity end to end: tampering with the slot in use is detected and healed, in namespaces with
# real traffic. moltd runs with --enable-fault-injection on af_packet ports; h1 sends a numbered
# UDP stream to four destinations (two behind h2, two behind h3, each behind a next hop of its
# own); debug.tamper then corrupts the next hop or the lookup memory of one of them (10.98.0.1)
# in the slot in use. The auditor must detect it (integrity.status counts it, and a client
# subscribed with events.subscribe receives integrity.detection), a fresh slot must replace the
# tainted one, the stream to every other destination must lose nothing, and the tampered
# destination's datagrams that went to the wrong port or MAC are counted (packet sockets on h2
# and h3) and reported. Once per tamper kind and driver of the default rotation.
#
#   integrity_tamper.sh [BUILD_DIR]
#   env: MOLT_TAMPER_DRIVERS (molt,fib), MOLT_TAMPER_KINDS (nexthop_mac,nexthop_port,lookup),
#        MOLT_TAMPER_RATE (2000 datagrams/s in all), MOLT_TAMPER_ARGS (integrity_tamper.py's)
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

need_root
need_bin "$MOLTD" "$ROUTESERVER"
need_cmd ip ethtool
need_netns
e2e_init

SHM="/molt-tamper-$$"
PREFIX="molt-tamper-$$"
DRIVERS=${MOLT_TAMPER_DRIVERS:-molt,fib}
KINDS=${MOLT_TAMPER_KINDS:-nexthop_mac,nexthop_port,lookup}
RATE=${MOLT_TAMPER_RATE:-2000}

topo_create "$E2E_TMP" "$SHM"
# Four destinations, each behind a gateway of its own (one next hop each): 10.98.0.1 via
# 10.0.2.2 and 10.98.1.1 via 10.0.2.3 on h2, 10.99.0.1 via 10.0.3.2 (the topology's) and
# 10.99.1.1 via 10.0.3.3 on h3.
ip -n "$NS_H2" addr add 10.0.2.3/24 dev eth0
ip -n "$NS_H3" addr add 10.0.3.3/24 dev eth0
ip -n "$NS_H2" addr add 10.98.0.1/32 dev lo
ip -n "$NS_H2" addr add 10.98.1.1/32 dev lo
ip -n "$NS_H3" addr add 10.99.1.1/32 dev lo
# The packet sockets must see frames for another MAC too (a tampered next hop's).
ip -n "$NS_H2" link set eth0 promisc on
ip -n "$NS_H3" link set eth0 promisc on
cat >>"$E2E_TMP/routes.txt" <<ROUTES
10.98.0.0/24 via 10.0.2.2
10.98.1.0/24 via 10.0.2.3
10.99.1.0/24 via 10.0.3.3
ROUTES
# Static neighbours: no ARP refresh rewrites a next hop (and so repairs a tamper) behind the
# auditor's back. Metabolism on demand only: a periodic flip would replace the tainted slot
# before the auditor looks.
config_set "$E2E_TMP/config.json" neighbors '[
	{"ip": "10.0.2.2", "mac": "02:00:00:00:01:02", "port": "p1"},
	{"ip": "10.0.2.3", "mac": "02:00:00:00:01:02", "port": "p1"},
	{"ip": "10.0.3.2", "mac": "02:00:00:00:01:03", "port": "p2"},
	{"ip": "10.0.3.3", "mac": "02:00:00:00:01:03", "port": "p2"}]'
config_set "$E2E_TMP/config.json" metabolism '{"slots": 3, "interval_ms": 0}'
start_routeserver rs "$SHM" "$E2E_TMP/routes.txt"
defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX") -- -c "$E2E_TMP/config.json" \
	--enable-fault-injection
wait_moltd moltd "$PREFIX"
grep -q "FAULT INJECTION ENABLED" "$E2E_TMP/moltd.log" ||
	fail "moltd did not log that fault injection is enabled"
# Sender, sinks and this script off the worker's CPU (see keep_off_worker in lib.sh).
keep_off_worker
wait_for "h1 reaches h3" 10 0.3 in_ns "$NS_H1" ping -c 1 -W 1 10.0.3.2

log "tamper kinds $KINDS, drivers $DRIVERS; $RATE datagrams/s to 4 destinations"
# MOLT_TAMPER_ARGS: more options of integrity_tamper.py (split on purpose), e.g. --no-auditor.
# shellcheck disable=SC2086
"$PY" "$E2E_DIR/integrity_tamper.py" --sock "$E2E_TMP/moltd.sock" --h1 "$NS_H1" --h2 "$NS_H2" \
	--h3 "$NS_H3" --drivers "$DRIVERS" --kinds "$KINDS" --rate "$RATE" \
	--report "$E2E_TMP/report.json" --tmp "$E2E_TMP" ${MOLT_TAMPER_ARGS:-} || fail "tampering not answered as it must be (above)"
grep -E "integrity|debug.tamper" "$E2E_TMP/moltd.log" | head -n 40
stop_proc moltd TERM
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with status $STOP_RC"
log "PASS"
