#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# molt-routeserver fed by a real FRR zebra (dplane_fpm_nl) with staticd, in a network namespace
# of the test's own: zebra's static routes (IPv4, IPv6, next-hop groups, a multipath, blackhole
# and reject routes) arrive with source fpm; zebra killed (-9): the routes stay, stale; a route
# removed while zebra is down; zebra started again: it reconnects and resends, the routes it
# sent are current again and the removed one is swept after the hold. Skipped without FRR.
#
#   fpm_frr.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"
MOLTCTL=${MOLTCTL:-$MOLT_BUILD/tools/moltctl}

need_root
need_netns
need_bin "$ROUTESERVER" "$MOLTCTL"
FRR=/usr/lib/frr
[ -x $FRR/zebra ] && [ -x $FRR/staticd ] || skip "FRR not installed (tools/setup-deps.sh installs frr)"
ls /usr/lib/*/frr/modules/dplane_fpm_nl.so >/dev/null 2>&1 || skip "FRR has no dplane_fpm_nl module"
id frr >/dev/null 2>&1 || skip "no frr user (the frr package creates it)"
e2e_init

NS="molt-fpm-$$"
netns_add "$NS"
ip -n "$NS" link add d0 type veth peer name d1 || fail "veth"
ip -n "$NS" link set d0 up && ip -n "$NS" link set d1 up || fail "veth up"
# FRR's daemons run as the frr user: their directory is theirs (the test's own is root's, 0700).
D=/tmp/molt-frr-$$
mkdir -p "$D" && defer "rm -rf $D"
cat >"$D/zebra.conf" <<'CONF'
hostname molt-fpm-test
fpm address 127.0.0.1 port 2620
interface d0
 ip address 10.0.1.1/24
 ipv6 address 2001:db8:1::1/64
CONF
cat >"$D/staticd.conf" <<'CONF'
hostname molt-fpm-test-static
ip route 198.51.100.0/24 10.0.1.2
ip route 203.0.113.0/24 10.0.1.2
ip route 203.0.113.0/24 10.0.1.3
ip route 192.0.2.0/24 blackhole
ip route 192.0.2.128/25 reject
ipv6 route 2001:db8:100::/48 2001:db8:1::2
ipv6 route 2001:db8:300::/48 blackhole
CONF
chown -R frr:frr "$D"

SOCK="$E2E_TMP/rs.sock"
SHM="/molt-fpm-frr-$$"
defer "rm -f $(shm_path "$SHM")"
start_bg rs ip netns exec "$NS" "$ROUTESERVER" --shm "$SHM" --socket "$SOCK" \
	--fpm 127.0.0.1:2620 --fpm-stale-hold 10
wait_for "control socket" 50 0.1 test -S "$SOCK"
ctl() { "$MOLTCTL" -s "$SOCK" --json "$@"; }
jpy() { "$PY" -c "import json,sys; r=json.load(sys.stdin); print($1)"; }
# The FPM routes and their sources, one per line, sorted.
table() { ctl call route.list | jpy "'\n'.join(sorted('%s [%s]' % x for x in zip(r['routes'], r['sources'])))"; }
fpm_is() { [ "$(ctl call fpm.status | jpy "$1")" = True ]; }
# wait_table WHAT WANT TRIES: polls (every 0.1 s) until table prints WANT.
wait_table() {
	local i
	for ((i = 0; i < $3; i++)); do
		[ "$(table)" = "$2" ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for $1; table: $(table | tr '\n' ';'); fpm: $(ctl call fpm.status)"
}

daemon() { # daemon NAME BINARY CONFIG [ARGS]: an FRR daemon in the namespace, in the foreground
	local name=$1 bin=$2 conf=$3
	shift 3
	start_bg "$name" ip netns exec "$NS" "$FRR/$bin" -f "$D/$conf" -i "$D/$bin.pid" \
		-z "$D/zserv.api" --vty_socket "$D" "$@"
}
daemon zebra zebra zebra.conf -M dplane_fpm_nl
wait_for "zebra's API socket" 100 0.1 test -S "$D/zserv.api"
daemon staticd staticd staticd.conf

WANT1="192.0.2.0/24 blackhole [fpm]
192.0.2.128/25 blackhole [fpm]
198.51.100.0/24 via 10.0.1.2 [fpm]
2001:db8:100::/48 via 2001:db8:1::2 [fpm]
2001:db8:300::/48 blackhole [fpm]
203.0.113.0/24 nexthop via 10.0.1.2 nexthop via 10.0.1.3 [fpm]"
wait_table "zebra's routes" "$WANT1" 300
log "ok - zebra's static routes arrived over FPM: $(table | tr '\n' ';')"
fpm_is "r['counters']['multipath'] >= 1 and r['counters']['malformed'] == 0" ||
	fail "fpm.status: $(ctl call fpm.status)"

kill -9 "$(pid_of zebra)"
wait_for "the session to end" 100 0.1 fpm_is "not r['connected'] and r['stale'] == 6"
# What a zebra killed -9 leaves in the namespace's kernel (its routes and next-hop objects) the
# next zebra reads back at start and may send over FPM before it sweeps them, the route removed
# below among them: that is zebra's restart, not the route server's. Clear it, so the new zebra's
# table is what staticd gives it.
log "left in the kernel by zebra: $(ip -n "$NS" route show | grep -v 'proto kernel' | tr '\n' ';')" \
	"$(ip -n "$NS" -6 route show | grep -v 'proto kernel' | tr '\n' ';')" \
	"$(ip -n "$NS" nexthop show | tr '\n' ';')"
# Deleting a next-hop object deletes the routes through it; the rest go by type.
ip -n "$NS" nexthop flush >/dev/null 2>&1
for fam in -4 -6; do
	for type in unicast blackhole unreachable prohibit; do
		ip -n "$NS" "$fam" route flush proto 196 type "$type" >/dev/null 2>&1
	done
	left=$(ip -n "$NS" "$fam" route show | grep -v 'proto kernel')
	[ -z "$left" ] || fail "zebra's leftover routes are still in the kernel: $left"
done
[ "$(table)" = "${WANT1//\[fpm\]/[fpm-stale]}" ] || fail "after zebra's death: $(table)"
log "ok - zebra killed: its routes stay, stale"
ip netns exec "$NS" vtysh --vty_socket "$D" -c 'conf t' -c 'no ip route 198.51.100.0/24 10.0.1.2' ||
	fail "vtysh"
rm -f "$D/zserv.api"
daemon zebra2 zebra zebra.conf -M dplane_fpm_nl
WANT2=$(echo "$WANT1" | grep -v 198.51.100)
wait_table "the resend and the sweep" "$WANT2" 400
fpm_is "r['counters']['swept'] == 1 and r['connected']" || fail "fpm.status: $(ctl call fpm.status)"
log "ok - zebra restarted: resent routes current again, the removed one swept"

stop_proc staticd TERM
stop_proc zebra2 TERM
stop_proc rs TERM
[ "$STOP_RC" -eq 0 ] || fail "molt-routeserver exited with $STOP_RC after SIGTERM"
log "PASS"
