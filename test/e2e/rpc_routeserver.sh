#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# molt-routeserver's JSON-RPC methods end to end, through moltctl (tables and --json): route.add
# and route.del (single, batch, atomicity, replace semantics, the multipath list form),
# route.show, route.list (order, paging, filters), route.count, routes.load (good file, bad file
# changes nothing), feed.status, and the shared-memory snapshot behind them (feedinfo.py).
# Prints the route.add batch rate.
#
#   rpc_routeserver.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"
MOLTCTL=${MOLTCTL:-$MOLT_BUILD/tools/moltctl}

need_bin "$ROUTESERVER" "$MOLTCTL"
e2e_init

SHM="/molt-rpcrs-$$"
SOCK="$E2E_TMP/rs.sock"

topo_routes "$E2E_TMP/routes.txt"

# lib.sh gives the route server its control socket at $E2E_TMP/NAME.sock.
start_routeserver rs "$SHM" "$E2E_TMP/routes.txt"
wait_for "control socket $SOCK" 50 0.1 test -S "$SOCK"

ctl() { "$MOLTCTL" -s "$SOCK" "$@"; }
# jpy EXPR: evaluates a python expression on the JSON read from stdin (bound to r).
jpy() { "$PY" -c "import json,sys; r=json.load(sys.stdin); print($1)"; }
# expect_fail PATTERN COMMAND...: COMMAND must exit 1 with PATTERN on stderr.
expect_fail() {
	local pat=$1 rc
	shift
	"$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
	rc=$?
	[ $rc -eq 1 ] || fail "'$*' exited $rc, expected 1: $(cat "$E2E_TMP/err")"
	grep -q -- "$pat" "$E2E_TMP/err" || fail "'$*': expected '$pat' in: $(cat "$E2E_TMP/err")"
	log "refused as expected: $(head -c 160 "$E2E_TMP/err")"
}
count_is() {
	local got
	got=$(ctl --json route count | jpy "r['ipv4'], r['ipv6'], r['total']")
	[ "$got" = "$1 $2 $3" ] || fail "route count is '$got', expected '$1 $2 $3'"
}
feed() { "$PY" "$E2E_DIR/feedinfo.py" "$(shm_path "$SHM")"; }
# The feed's current snapshot (what moltd would read) must match the server's answers. The
# journal carries each change at once; the snapshot is republished within about a second
# (rs_table_flush), so wait, bounded, until it covers the whole journal.
snapshot_current() {
	ctl --json feed status | jpy "r['snapshot']['covers_seq'] == r['sequence']"
}
feed_matches() {
	local st fi n tries=0
	until [ "$(snapshot_current)" = True ]; do
		tries=$((tries + 1))
		[ $tries -le 50 ] || fail "the snapshot was not republished within 5 s of a change"
		sleep 0.1
	done
	# The shm snapshot counts records (routes and next-hop group records); feed.status gives both.
	st=$(ctl --json feed status | jpy "r['snapshot']['records'], r['snapshot']['digest'], int(r['generation'], 16), r['sequence']")
	fi=$(feed | jpy "r['snap'][r['current'] & 1]['count'], '%016x' % r['snap'][r['current'] & 1]['digest'], r['generation'], r['journal_head']")
	[ "$st" = "$fi" ] || fail "feed.status ($st) and the shm feed ($fi) disagree"
	st=$(ctl --json feed status | jpy "r['snapshot']['count'], r['snapshot']['group_records']")
	n=$(ctl --json route count | jpy "r['total'], r['group_records']")
	[ "$st" = "$n" ] || fail "snapshot has '$st' routes and group records, the table '$n'"
}

log "--- route.count / feed.status on the loaded file"
ctl route count
count_is 2 2 4
gen0=$(ctl --json feed status | jpy "r['generation']")
seq0=$(ctl --json feed status | jpy "r['sequence']")
ctl feed status
feed_matches

log "--- route.add: one route, then the same prefix again replaces it"
ctl route add 198.51.100.0/24 via 10.0.1.2
[ "$(ctl --json route add 198.51.100.0/24 via 10.0.1.2 | jpy "r['added'], r['replaced']")" = "0 1" ] ||
	fail "re-adding a route did not count as replaced"
ctl route add 198.51.100.0/24 via 10.0.1.3 dev p1
ctl route list 198.51.100.0/24 | grep -q "via 10.0.1.3 *p1" || fail "replace did not take the new next hop"
count_is 3 2 5
feed_matches
expect_fail "no next hop" ctl route add 198.51.100.0/24
expect_fail "did you mean 203.0.113.0/24" ctl route add 203.0.113.1/24 blackhole
expect_fail "link-local gateway needs 'dev PORT'" ctl route add fd00:1::/64 via fe80::1

log "--- route.add batch: atomic, duplicates replace in order"
expect_fail "routes\[2\] '203.0.114.1/24 via 10.0.0.1': host bits set" ctl call route.add \
	'{"routes":["203.0.113.0/24 blackhole","2001:db8:1::/48 via 2001:db8::1","203.0.114.1/24 via 10.0.0.1"]}'
count_is 3 2 5
res=$(ctl call route.add '{"routes":["203.0.113.0/24 blackhole","2001:db8:1::/48 via 2001:db8::1","203.0.113.0/24 via 10.0.1.9"]}')
[ "$(echo "$res" | jpy "r['added'], r['replaced']")" = "2 1" ] || fail "batch with a duplicate: $res"
ctl route list 203.0.113.0/24 | grep -q "via 10.0.1.9" || fail "the later duplicate did not win"
count_is 4 3 7
expect_fail "one route per string" ctl call route.add '{"routes":["10.1.0.0/16 blackhole\n10.2.0.0/16 blackhole"]}'
expect_fail "params.rout: unknown parameter" ctl call route.add '{"rout":"10.1.0.0/16 blackhole"}'

log "--- route.del: full route must match, prefix alone, absent, batch atomicity"
expect_fail "the table has '198.51.100.0/24 via 10.0.1.3 dev p1'" ctl route del 198.51.100.0/24 via 10.0.1.2
ctl route del 198.51.100.0/24 via 10.0.1.3 dev p1
expect_fail "route '198.51.100.0/24': no such route" ctl route del 198.51.100.0/24
count_is 3 3 6
expect_fail "routes\[1\] '10.250.0.0/16': no such route; nothing deleted" ctl call route.del \
	'{"routes":["203.0.113.0/24","10.250.0.0/16"]}'
count_is 3 3 6
expect_fail "routes\[1\] '203.0.113.0/24': no such route" ctl call route.del \
	'{"routes":["203.0.113.0/24","203.0.113.0/24"]}'
count_is 3 3 6
[ "$(ctl call route.del '{"routes":["203.0.113.0/24","2001:db8:1::/48 via 2001:db8::1"]}' | jpy "r['deleted']")" = 2 ] ||
	fail "batch delete"
count_is 2 2 4
feed_matches

log "--- route.add: a multipath route in the list form, read back; moltctl's nexthop words"
res=$(ctl call route.add '{"route":{"prefix":"203.0.113.0/24","paths":[{"via":"10.0.1.2","dev":"p1","weight":2},{"via":"10.0.2.2"}]}}')
[ "$(echo "$res" | jpy "r['added']")" = 1 ] || fail "list form: $res"
show=$(ctl call route.show '{"prefix":"203.0.113.0/24"}')
[ "$(echo "$show" | jpy "r['published']")" = "203.0.113.0/24 nexthop via 10.0.1.2 dev p1 weight 2 nexthop via 10.0.2.2" ] ||
	fail "route.show: $show"
[ "$(echo "$show" | jpy "[(p['via'], p.get('dev'), p['weight']) for p in r['paths']]")" = "[('10.0.1.2', 'p1', 2), ('10.0.2.2', None, 1)]" ] ||
	fail "route.show paths: $show"
ctl route list 203.0.113.0/24
ctl route list 203.0.113.0/24 | grep -q "via 10.0.1.2 weight 2 *p1" || fail "route list: no path via 10.0.1.2"
ctl route list 203.0.113.0/24 | grep -q "via 10.0.2.2 *-" || fail "route list: no path via 10.0.2.2"
count_is 3 2 5
[ "$(ctl --json route count | jpy "r['groups'], r['group_records']")" = "1 2" ] || fail "group counts"
feed_matches
# The same paths as moltctl words and as a route line: the same route and group, nothing to
# publish.
seq=$(ctl --json feed status | jpy "r['sequence']")
[ "$(ctl --json route add 203.0.113.0/24 nexthop via 10.0.2.2 nexthop via 10.0.1.2 dev p1 weight 2 | jpy "r['replaced']")" = 1 ] ||
	fail "moltctl nexthop words"
ctl call route.add '{"route":"203.0.113.0/24 nexthop via 10.0.1.2 dev p1 weight 2 nexthop via 10.0.2.2"}' >/dev/null
[ "$(ctl --json feed status | jpy "r['sequence']")" = "$seq" ] || fail "the same paths changed the feed"
expect_fail 'route.paths\[1\]: the same nexthop is given twice' ctl call route.add \
	'{"route":{"prefix":"203.0.113.0/24","paths":[{"via":"10.0.1.2"},{"via":"10.0.1.2"}]}}'
expect_fail 'route.paths\[1\]: gateway is IPv6 but the prefix is IPv4' ctl call route.add \
	'{"route":{"prefix":"203.0.113.0/24","paths":[{"via":"10.0.1.2"},{"via":"2001:db8::1"}]}}'
expect_fail "weight must be 1-256" ctl route add 203.0.113.0/24 nexthop via 10.0.1.2 weight 300 nexthop via 10.0.2.2
[ "$(ctl --json feed status | jpy "r['sequence']")" = "$seq" ] || fail "a refused route changed the feed"
ctl route del 203.0.113.0/24
count_is 2 2 4
feed_matches

log "--- moltctl route add/del --file (chunks of one request), FILE:LINE on a bad line"
"$PY" -c '
for i in range(3000):
    print("10.%d.%d.0/24 via 10.0.1.2" % (100 + i // 256, i % 256))
for i in range(500):
    print("2001:db8:%x::/48 via fd00:1::2 dev p0" % (0x100 + i))
' >"$E2E_TMP/many.txt"
ctl route add --file "$E2E_TMP/many.txt"
count_is 3002 502 3504
printf '10.200.0.0/16 via 10.0.1.2\n# comment\n10.201.0.0/16 vai 10.0.1.2\n' >"$E2E_TMP/typo.txt"
"$MOLTCTL" -s "$SOCK" route add --file "$E2E_TMP/typo.txt" 2>"$E2E_TMP/err"
[ $? -eq 2 ] && grep -q "typo.txt:3: unknown keyword" "$E2E_TMP/err" || fail "typo: $(cat "$E2E_TMP/err")"
count_is 3002 502 3504

log "--- route.list: order, paging, filters"
ctl route list --limit 5
full=$(ctl --json route list --limit 100000 | jpy "'\n'.join(r['routes'])")
[ "$(echo "$full" | wc -l)" = 3504 ] || fail "full list has $(echo "$full" | wc -l) routes"
echo "$full" | "$PY" -c '
import ipaddress, sys
keys = []
for line in sys.stdin.read().strip().split("\n"):
    n = ipaddress.ip_network(line.split()[0])
    keys.append((n.version, n.network_address.packed, n.prefixlen))
sys.exit(0 if keys == sorted(keys) else "route.list is not sorted by family, prefix, length")' ||
	fail "order"
paged=""
for off in 0 1000 2000 3000; do
	paged+=$(ctl --json route list --offset $off --limit 1000 | jpy "'\n'.join(r['routes'])")
	[ $off -lt 3000 ] && paged+=$'\n'
done
[ "$paged" = "$full" ] || fail "pages of 1000 differ from the full list"
[ "$(ctl --json route list --family 6 --limit 0 | jpy "r['total']")" = 502 ] || fail "family 6 total"
[ "$(ctl --json route list 10.100.0.0/16 | jpy "r['total']")" = 256 ] || fail "prefix filter /16"
[ "$(ctl --json route list 10.100.7.0/24 | jpy "r['routes']")" = "['10.100.7.0/24 via 10.0.1.2']" ] ||
	fail "exact prefix filter"
[ "$(ctl --json route list 10.100.7.0/25 | jpy "r['total']")" = 0 ] || fail "a longer filter matched"
[ "$(ctl --json route list --offset 99999 | jpy "r['total'], len(r['routes'])")" = "3504 0" ] ||
	fail "offset past the end"
expect_fail "limit: 100001 is out of range (0..100000)" ctl route list --limit 100001
expect_fail "'prefix' is IPv6 but 'family' is 4" ctl route list 2001:db8::/32 --family 4

log "--- routes.load: good file replaces the table, a bad one changes nothing"
digest=$(ctl --json feed status | jpy "r['snapshot']['digest']")
printf '10.0.0.0/8 via 10.0.1.2\n10.1.0.0/16 blackhole\n10.2.0.0/16 vai 10.0.1.2\n' >"$E2E_TMP/bad.txt"
expect_fail "bad.txt:3: unknown keyword" ctl route load "$E2E_TMP/bad.txt"
expect_fail "no-such.txt: No such file" ctl call routes.load "{\"file\":\"$E2E_TMP/no-such.txt\"}"
count_is 3002 502 3504
[ "$(ctl --json feed status | jpy "r['snapshot']['digest']")" = "$digest" ] || fail "digest moved"
ctl route load "$E2E_TMP/routes.txt"
count_is 2 2 4
feed_matches

log "--- feed.status: same generation, journal sequence follows every change"
[ "$(ctl --json feed status | jpy "r['generation']")" = "$gen0" ] || fail "generation changed"
seq1=$(ctl --json feed status | jpy "r['sequence']")
[ "$seq1" -gt "$seq0" ] || fail "journal sequence did not advance ($seq0 -> $seq1)"
ctl route add 198.51.100.0/24 blackhole >/dev/null
[ "$(ctl --json feed status | jpy "r['sequence']")" = $((seq1 + 1)) ] || fail "one add, one entry"
ctl route del 198.51.100.0/24 >/dev/null
feed_matches

log "--- moltctl: help, usage and connection errors"
for a in "--help" "route --help" "route add --help" "feed status --help" "call --help"; do
	# shellcheck disable=SC2086
	"$MOLTCTL" $a >/dev/null || fail "moltctl $a exited $?"
done
"$MOLTCTL" -s "$SOCK" nosuch verb 2>/dev/null
[ $? -eq 2 ] || fail "unknown noun: exit status not 2"
"$MOLTCTL" -s "$SOCK" route nosuch 2>/dev/null
[ $? -eq 2 ] || fail "unknown verb: exit status not 2"
expect_fail "unknown method" ctl call no.such
"$MOLTCTL" -s "$E2E_TMP/none.sock" route count 2>"$E2E_TMP/err"
[ $? -eq 3 ] && grep -q "cannot connect to $E2E_TMP/none.sock" "$E2E_TMP/err" ||
	fail "no daemon: $(cat "$E2E_TMP/err")"

log "--- route.add batch rate over the socket (10 batches of 10,000 routes)"
"$PY" "$E2E_DIR/rpc_client.py" "$SOCK" rate --batches 10 --size 10000 | tee "$E2E_TMP/rate.txt" ||
	fail "rate run"
count_is 100002 2 100004
feed_matches

alive rs || fail "molt-routeserver died"
stop_proc rs TERM
[ "$STOP_RC" -eq 0 ] || fail "molt-routeserver exited with $STOP_RC after SIGTERM"
[ -e "$SOCK" ] && fail "the socket file was left behind"
log "PASS: $(cat "$E2E_TMP/rate.txt")"
