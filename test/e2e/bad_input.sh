#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad input: moltd with a missing, corrupt, truncated or wrong-version feed and with malformed
# configs; molt-routeserver with malformed route files. Each case must exit 1 with a message
# that names the problem (checked with grep), and a refused route file must leave no feed.
#
#   bad_input.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

need_root
need_bin "$MOLTD" "$ROUTESERVER" "$GEN_ROUTES"
e2e_init

PASSED=0
ok() {
	PASSED=$((PASSED + 1))
	log "ok $PASSED - $*"
}

# expect_fail NAME WANT_RC PATTERN COMMAND...: COMMAND must exit WANT_RC within 60 s and print
# something matching the extended regex PATTERN (stdout or stderr).
expect_fail() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	local out="$E2E_TMP/$name.out"
	timeout 60 "$@" >"$out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		tail -n 20 "$out" >&2
		fail "$name: exit status $rc, expected $want"
	fi
	if ! grep -Eq -- "$pat" "$out"; then
		tail -n 20 "$out" >&2
		fail "$name: no message matching /$pat/"
	fi
	ok "$name: exit $rc, $(grep -Em1 -- "$pat" "$out" | cut -c1-150)"
}

N=0
# moltd_fail NAME PATTERN CONFIG_JSON: moltd on CONFIG (net_null ports, its own file prefix)
# must exit 1 with a message matching PATTERN.
moltd_fail() {
	N=$((N + 1))
	local prefix="molt-bad-$$-$N"
	defer_dpdk_prefix "$prefix"
	# shellcheck disable=SC2046
	expect_fail "$1" 1 "$2" "$MOLTD" $(eal_args "$prefix") -- -c "$3"
}

# config FILE SHM [EXTRA_TOP_LEVEL_JSON] [PORT_EXTRA_JSON]: writes a small valid-looking config.
config() {
	local f=$1 shm=$2 extra=${3:-} pextra=${4:-}
	cat >"$f" <<JSON
{
  "ports": [{"name": "p0", "devargs": "net_null0", "ipv4": ["10.0.1.1/24"],
             "ipv6": ["fd00:1::1/64"]$pextra}],
  "feed": {"shm": "$shm"},
  "control": {"socket": "$E2E_TMP/moltd.sock"}$extra
}
JSON
}

# --- the feed ---

SHM_MISSING="/molt-missing-$$"
config "$E2E_TMP/missing.json" "$SHM_MISSING"
moltd_fail feed-missing "molt-missing-$$" "$E2E_TMP/missing.json"

SHM_GARBAGE="/molt-garbage-$$"
defer "rm -f $(shm_path "$SHM_GARBAGE")"
head -c 65536 /dev/urandom >"$(shm_path "$SHM_GARBAGE")"
config "$E2E_TMP/garbage.json" "$SHM_GARBAGE"
moltd_fail feed-bad-magic "[Bb]ad magic" "$E2E_TMP/garbage.json"

SHM_VERSION="/molt-version-$$"
defer "rm -f $(shm_path "$SHM_VERSION")"
"$PY" - "$(shm_path "$SHM_VERSION")" <<'PY'
import struct, sys
# A header with the right magic and sizes but format version 99.
hdr = struct.pack('<QIIQQII', 0x44454546544C4F4D, 99, 4096, 65536, 1, 52, 72)
open(sys.argv[1], 'wb').write(hdr + b'\0' * (65536 - len(hdr)))
PY
config "$E2E_TMP/version.json" "$SHM_VERSION"
moltd_fail feed-wrong-version "[Vv]ersion.*99|99.*[Vv]ersion" "$E2E_TMP/version.json"

SHM_SHORT="/molt-short-$$"
defer "rm -f $(shm_path "$SHM_SHORT")"
head -c 100 /dev/zero >"$(shm_path "$SHM_SHORT")"
config "$E2E_TMP/short.json" "$SHM_SHORT"
moltd_fail feed-truncated "molt-short-$$.*(truncated|short|small)" "$E2E_TMP/short.json"

# --- the config (the feed is never reached; any shm name will do) ---

S="/molt-unused-$$"
config "$E2E_TMP/c1.json" "$S" ', "bogus": 1'
moltd_fail config-unknown-key "bogus.*unknown key|unknown key.*bogus" "$E2E_TMP/c1.json"

config "$E2E_TMP/c2.json" "$S" '' ', "speed": 10'
moltd_fail config-unknown-port-key 'ports\[0\]\.speed' "$E2E_TMP/c2.json"

config "$E2E_TMP/c3.json" "$S"
sed -i 's#10.0.1.1/24#10.0.1.1/33#' "$E2E_TMP/c3.json"
moltd_fail config-bad-prefix4 'ports\[0\]\.ipv4\[0\]' "$E2E_TMP/c3.json"

config "$E2E_TMP/c4.json" "$S"
sed -i 's#fd00:1::1/64#fd00:1::zz/64#' "$E2E_TMP/c4.json"
moltd_fail config-bad-prefix6 'ports\[0\]\.ipv6\[0\]' "$E2E_TMP/c4.json"

config "$E2E_TMP/c5.json" "$S"
sed -i '/"feed"/d' "$E2E_TMP/c5.json"
moltd_fail config-missing-feed 'missing.*"?feed' "$E2E_TMP/c5.json"

config "$E2E_TMP/c6.json" "$S" '' ', "mac": "02:00:00:00:00"'
moltd_fail config-bad-mac 'ports\[0\]\.mac' "$E2E_TMP/c6.json"

config "$E2E_TMP/c7.json" "$S" ', "neighbors": [{"ip": "10.0.1.9", "mac": "02:00:00:00:00:09", "port": "nope"}]'
moltd_fail config-neighbor-port 'neighbors\[0\]\.port' "$E2E_TMP/c7.json"

config "$E2E_TMP/c8.json" "$S" ', "fib": {"max_routes_v4": "lots"}'
moltd_fail config-bad-number 'fib\.max_routes_v4' "$E2E_TMP/c8.json"

config "$E2E_TMP/c10.json" "$S" ', "fib": {"headroom_percent": 2000}'
moltd_fail config-bad-headroom 'fib\.headroom_percent: 2000 is out of range' "$E2E_TMP/c10.json"

printf '{"ports": [\n' >"$E2E_TMP/c9.json"
moltd_fail config-not-json 'c9\.json' "$E2E_TMP/c9.json"

moltd_fail config-missing-file 'no-such-config\.json' "$E2E_TMP/no-such-config.json"

# --- slots that do not fit (a real feed: moltd sizes its slots from the table) ---

# 20k IPv4 + 4k IPv6 routes (about half of them reach p0's subnet, the rest are rejected): a
# "fib" slot holds two 64 MiB tables (rte_fib's and rte_fib6's tbl24) and more, so 16 of them
# cannot fit in the 512 MiB moltd_fail gives DPDK.
SHM_FIT="/molt-fit-$$"
"$GEN_ROUTES" --v4 20000 --v6 4000 --seed 5 -o "$E2E_TMP/routes-fit.txt" || fail "gen-routes failed"
start_routeserver rs-fit "$SHM_FIT" "$E2E_TMP/routes-fit.txt"
config "$E2E_TMP/fit.json" "$SHM_FIT" ', "metabolism": {"slots": 16, "drivers": ["fib"]}'
moltd_fail slots-do-not-fit \
	'metabolism\.slots = 16 slots of the current table \([0-9]+ IPv4 \+ [0-9]+ IPv6 routes\) need 16 x [0-9.]+ MiB = [0-9.]+ MiB of DPDK memory \([^)]*fib [0-9.]+ MiB[^)]*\), and [0-9.]+ MiB is free' \
	"$E2E_TMP/fit.json"
config "$E2E_TMP/cap.json" "$SHM_FIT" ', "fib": {"max_routes_v4": 5000}'
moltd_fail table-over-cap \
	'the IPv4 table has [0-9]+ routes \([0-9]+ of them connected and local\), more than fib\.max_routes_v4 \(5000\)' \
	"$E2E_TMP/cap.json"
stop_proc rs-fit TERM

# --- route files (molt-routeserver --once: load, publish, exit) ---

# bad_routes NAME LINE_TEXT [PATTERN]: the bad line is line 4 of the file, between good ones.
bad_routes() {
	local name=$1 line=$2 pat=${3:-}
	local f="$E2E_TMP/routes-$name.txt" shm="/molt-rt-$$-$name"
	printf '# routes with one bad line\n10.1.0.0/16 via 10.0.1.2\nfd00:10::/48 via fd00:1::2\n%s\n192.0.2.0/24 blackhole\n' \
		"$line" >"$f"
	expect_fail "routes-$name" 1 "$(printf '%s' "$f" | sed 's/[.[\*^$]/\\&/g'):4:${pat:+.*$pat}" \
		"$ROUTESERVER" --shm "$shm" --routes "$f" --once
	[ -e "$(shm_path "$shm")" ] && fail "routes-$name: a refused file left $(shm_path "$shm") behind"
	return 0
}

bad_routes plen4 '10.0.0.0/33 via 10.0.0.1' '33'
bad_routes plen6 'fd00::/129 blackhole' '129'
bad_routes bad-addr '300.0.0.0/8 blackhole'
bad_routes no-gateway '10.0.0.0/8 via'
bad_routes no-dev '10.0.0.0/8 via 10.0.1.2 dev'
bad_routes keyword '10.0.0.0/8 frobnicate 10.0.1.2' 'frobnicate'
bad_routes garbage 'hello world'
bad_routes family '10.0.0.0/8 via fd00::1'
bad_routes host-bits '10.0.0.1/8 via 10.0.1.2'
bad_routes trailing '10.0.0.0/8 blackhole extra' 'extra'
bad_routes no-action '10.0.0.0/8'

expect_fail routes-missing-file 1 'no-such-routes\.txt' \
	"$ROUTESERVER" --shm "/molt-rt-$$-nofile" --routes "$E2E_TMP/no-such-routes.txt" --once

# A good file: comments, blank lines, both families, every form, a duplicate prefix (the later
# line wins, not an error).
cat >"$E2E_TMP/routes-good.txt" <<'ROUTES'
# every form of route line
10.1.0.0/16 via 10.0.1.2

10.2.0.0/16 dev p1
10.3.0.0/16 via 10.0.2.2 dev p1
192.0.2.0/24 blackhole
10.1.0.0/16 via 10.0.2.2
fd00:10::/48 via fd00:1::2
fd00:20::/48 via fe80::1 dev p2
fd00:30::/48 dev p0
2001:db8:dead::/48 blackhole
0.0.0.0/0 via 10.0.1.254
::/0 via fd00:1::fe
ROUTES
out=$("$ROUTESERVER" --shm "/molt-rt-$$-good" --routes "$E2E_TMP/routes-good.txt" --once 2>&1)
rc=$?
[ $rc -eq 0 ] || fail "good route file refused (exit $rc): $out"
echo "$out" | grep -Eq '10 routes .*1 replaced' || fail "good route file: expected 10 routes, 1 replaced, in: $out"
ok "good route file (duplicate prefix replaced): exit 0, $(echo "$out" | grep -m1 loaded | cut -c1-120)"

# gen-routes: same seed, same file; the route server accepts what it writes.
"$GEN_ROUTES" --v4 20000 --v6 4000 --seed 7 -o "$E2E_TMP/gen-a.txt" || fail "gen-routes failed"
"$GEN_ROUTES" --v4 20000 --v6 4000 --seed 7 -o "$E2E_TMP/gen-b.txt" || fail "gen-routes failed"
cmp -s "$E2E_TMP/gen-a.txt" "$E2E_TMP/gen-b.txt" || fail "gen-routes: same seed gave different files"
out=$("$ROUTESERVER" --shm "/molt-rt-$$-gen" --routes "$E2E_TMP/gen-a.txt" --once 2>&1)
rc=$?
[ $rc -eq 0 ] || fail "route server refused gen-routes output (exit $rc): $out"
ok "gen-routes 20k+4k is deterministic and loads: $(echo "$out" | grep -m1 loaded | cut -c1-120)"

# SIGHUP reloads the route file; a bad file keeps the published table.
feed_count() {
	"$PY" "$E2E_DIR/feedinfo.py" "$(shm_path "$1")" |
		"$PY" -c 'import json,sys; h=json.load(sys.stdin); print(h["snap"][h["current"] & 1]["count"])'
}
feed_count_is() { [ "$(feed_count "$1")" = "$2" ]; }
SHM_HUP="/molt-hup-$$"
cp "$E2E_TMP/routes-good.txt" "$E2E_TMP/routes-hup.txt"
start_routeserver rs-hup "$SHM_HUP" "$E2E_TMP/routes-hup.txt"
[ "$(feed_count "$SHM_HUP")" = 10 ] || fail "SIGHUP: feed holds $(feed_count "$SHM_HUP") routes, expected 10"
echo "10.9.0.0/33 via 10.0.1.2" >>"$E2E_TMP/routes-hup.txt"
kill -HUP "$(pid_of rs-hup)"
wait_for "route server refuses the bad reload" 50 0.1 grep -q 'routes-hup.txt:14:' "$E2E_TMP/rs-hup.log"
[ "$(feed_count "$SHM_HUP")" = 10 ] || fail "SIGHUP with a bad file changed the feed"
ok "SIGHUP with a bad file: refused at routes-hup.txt:14, feed keeps its 10 routes"
printf '10.7.0.0/16 via 10.0.1.2\nfd00:7::/48 blackhole\n' >"$E2E_TMP/routes-hup.txt"
kill -HUP "$(pid_of rs-hup)"
wait_for "route server publishes the reloaded file" 50 0.1 feed_count_is "$SHM_HUP" 2
ok "SIGHUP with a good file: feed now holds its 2 routes"
stop_proc rs-hup TERM
[ "$STOP_RC" -eq 0 ] || fail "molt-routeserver exited with status $STOP_RC after SIGTERM"
[ -e "$(shm_path "$SHM_HUP")" ] && fail "molt-routeserver left $(shm_path "$SHM_HUP") behind"
ok "molt-routeserver exits 0 on SIGTERM and removes its feed"

log "PASS: $PASSED checks"
