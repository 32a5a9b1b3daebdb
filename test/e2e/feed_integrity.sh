#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Feed integrity: molt-routeserver and moltd share a root-only key (--feed-key, feed.key_file) and
# every snapshot and journal entry carries its MAC. A third process that maps the feed read-write
# flips one byte in the journal entry of a fresh route add and one in the current snapshot:
# moltd refuses both (log lines naming the entry and the buffer, feed.status "refused"), keeps
# forwarding the table it has (ping through an existing route, route.lookup), and the next
# legitimate change is applied. Also: a key file others can read is refused at start; a key on
# one side only, or another key, makes moltd refuse the feed at start; a route server restarted
# under another key is refused while moltd keeps forwarding, and taken again with the right key.
#
#   feed_integrity.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

need_root
need_bin "$MOLTD" "$ROUTESERVER"
need_cmd ip ethtool ping
need_netns
e2e_init

SHM="/molt-fi-$$"
PREFIX="molt-fi-$$"
CTL="$MOLT_BUILD/tools/moltctl"
FEEDINFO="$E2E_DIR/feedinfo.py"
KEY="$E2E_TMP/feed.key"
KEY2="$E2E_TMP/other.key"

# The documented way to make a key: 32 random bytes, readable by root only from the start.
(umask 077 && head -c 32 /dev/urandom >"$KEY" && head -c 32 /dev/urandom >"$KEY2")

topo_create "$E2E_TMP" "$SHM"
config_set "$E2E_TMP/config.json" metabolism '{"slots": 3, "interval_ms": 0}'
cp "$E2E_TMP/config.json" "$E2E_TMP/nokey.json"
config_set "$E2E_TMP/config.json" feed "{\"shm\": \"$SHM\", \"key_file\": \"$KEY\"}"
cp "$E2E_TMP/config.json" "$E2E_TMP/other.json"
config_set "$E2E_TMP/other.json" feed "{\"shm\": \"$SHM\", \"key_file\": \"$KEY2\"}"
ip -n "$NS_H3" addr add 10.98.0.1/32 dev lo
ip -n "$NS_H3" addr add 10.97.0.1/32 dev lo
defer_dpdk_prefix "$PREFIX"
M="$CTL -s $E2E_TMP/moltd.sock"
R="$CTL -s $E2E_TMP/rs.sock"
j() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
feed_status() { $M --json call feed.status | j "d[\"$1\"]"; }
lookup() { $M --json call route.lookup "{\"addresses\": [\"$1\"]}" | j 'json.dumps(d[0])'; }
shm_file=$(shm_path "$SHM")

# --- refused at start ----------------------------------------------------------------------------

chmod 644 "$KEY2"
out=$("$ROUTESERVER" --shm "$SHM-x" --routes "$E2E_TMP/routes.txt" --socket none --once \
	--feed-key "$KEY2" 2>&1) && fail "the route server accepted a key file of mode 644"
echo "$out" | grep -q "has mode 644: group and other must have no access (chmod 600)" ||
	fail "no clear error for a key file of mode 644: $out"
[ -e "$(shm_path "$SHM-x")" ] && fail "a refused key left a feed behind"
chmod 600 "$KEY2"
log "ok - a key file readable by others is refused: $(echo "$out" | tail -n 1)"

# moltd_refuses NAME CONFIG PATTERN: moltd must exit by itself (bounded, 30 s) with PATTERN in
# its log: it never forwards from a feed it cannot authenticate.
moltd_refuses() {
	local name=$1 cfg=$2 pattern=$3 i rc
	# shellcheck disable=SC2046
	start_bg "$name" ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX") -- -c "$cfg"
	for ((i = 0; i < 300; i++)); do
		alive "$name" || break
		sleep 0.1
	done
	alive "$name" && fail "$name did not exit on a feed it must refuse"
	wait "$(pid_of "$name")"
	rc=$?
	# 1: refused; anything else (a crash, a sanitizer report) is a failure of its own
	[ "$rc" -eq 1 ] || fail "$name exited with status $rc, expected 1"
	grep -q -- "$pattern" "$E2E_TMP/$name.log" || fail "$name: no '$pattern' in its log"
	log "ok - $name: $(grep -m 1 -o -- "$pattern.*" "$E2E_TMP/$name.log")"
}

start_routeserver rs0 "$SHM" "$E2E_TMP/routes.txt"
grep -q "the feed is unauthenticated" "$E2E_TMP/rs0.log" ||
	fail "the route server without --feed-key did not say the feed is unauthenticated"
moltd_refuses moltd-keyed "$E2E_TMP/config.json" "is unauthenticated (molt-routeserver runs without --feed-key) but a feed key is configured here: refused"
stop_proc rs0
[ "$STOP_RC" -eq 0 ] || fail "rs0 exited with status $STOP_RC"
start_routeserver rs1 "$SHM" "$E2E_TMP/routes.txt" --feed-key "$KEY"
[ "$("$PY" "$FEEDINFO" "$shm_file" | j 'd["auth"]')" = hmac-sha256 ] || fail "feed not authenticated"
moltd_refuses moltd-nokey "$E2E_TMP/nokey.json" "no feed key is configured here (feed.key_file): refused"
grep -q "the feed is unauthenticated" "$E2E_TMP/moltd-nokey.log" ||
	fail "moltd without feed.key_file did not say the feed is unauthenticated"
moltd_refuses moltd-otherkey "$E2E_TMP/other.json" "was made under another key than this one"
stop_proc rs1
[ "$STOP_RC" -eq 0 ] || fail "rs1 exited with status $STOP_RC"

# --- a third process changes the feed under a running moltd --------------------------------------

start_routeserver rs "$SHM" "$E2E_TMP/routes.txt" --feed-key "$KEY"
$R feed status | grep -E "^ *authenticated +yes" >/dev/null ||
	fail "moltctl feed status (route server) does not say authenticated: $($R feed status)"
# shellcheck disable=SC2046
start_bg moltd ip netns exec "$NS_R" "$MOLTD" $(eal_args "$PREFIX" | sed 's/-m 512/-m 1024/') \
	-- -c "$E2E_TMP/config.json"
wait_moltd moltd "$PREFIX"
keep_off_worker
# Polled: what else moltd sets up at start (the integrity engine measures its MACs) may still
# be running when its telemetry first answers.
wait_for "moltd to log that the feed is authenticated" 150 0.2 \
	grep -q "authenticated with the key in $KEY" "$E2E_TMP/moltd.log"
wait_for "feed.status to say authenticated" 150 0.2 bash -c \
	"$M --json call feed.status | \"$PY\" -c 'import json,sys; sys.exit(not json.load(sys.stdin)[\"authenticated\"])'"
wait_for "h1 reaches 10.99.0.1 through the route server's table" 20 0.3 \
	in_ns "$NS_H1" ping -c 1 -W 1 10.99.0.1

# Stop moltd so the changes are in place before it reads them (it follows the journal within
# milliseconds otherwise). The route server keeps running and publishing meanwhile.
kill -STOP "$(pid_of moltd)"
defer "kill -CONT $(pid_of moltd)"
seq=$("$PY" "$FEEDINFO" "$shm_file" | j 'd["journal_head"]')
$R route add 10.98.0.0/24 via 10.0.3.2 >/dev/null || fail "route add"
[ "$("$PY" "$FEEDINFO" "$shm_file" | j 'd["journal_head"]')" = $((seq + 1)) ] ||
	fail "route add did not journal exactly one entry"
# The gateway's last byte (route offset 23): 10.0.3.2 would become 10.0.3.3.
"$PY" "$FEEDINFO" --flip-entry "$seq" 23 "$shm_file" || fail "cannot change the journal entry"
# The route server publishes a snapshot that includes the add within about a second; change that
# one (the first route's prefix), so the resync moltd attempts after the refused entry meets it.
wait_for "a snapshot that includes entry $seq" 50 0.1 bash -c \
	"[ \$(\"$PY\" \"$FEEDINFO\" \"$shm_file\" | \"$PY\" -c 'import json,sys; d=json.load(sys.stdin); print(d[\"snap\"][d[\"current\"]][\"covers_seq\"])') -gt $seq ]"
"$PY" "$FEEDINFO" --flip-snapshot 0 6 "$shm_file" || fail "cannot change the snapshot"
kill -CONT "$(pid_of moltd)"

wait_for "moltd to refuse the entry and the snapshot" 150 0.1 bash -c \
	"[ \"\$($M --json call feed.status | \"$PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"refused\"])')\" -ge 2 ]"
grep -q "journal entry $seq: MAC mismatch, changed by a process without the feed key: refused" \
	"$E2E_TMP/moltd.log" || fail "no log line naming the refused journal entry $seq"
grep -q "snapshot buffer [01] (.*): MAC mismatch, changed by a process without the feed key: refused" \
	"$E2E_TMP/moltd.log" || fail "no log line naming the refused snapshot buffer"
log "ok - moltd refused both: $(grep -c 'MAC mismatch' "$E2E_TMP/moltd.log") log lines, feed.status refused $(feed_status refused)"
grep "MAC mismatch" "$E2E_TMP/moltd.log" | sed 's/^/    /'
$M feed status | grep -E "^ *refused +[2-9]" >/dev/null ||
	fail "moltctl feed status does not show the refusals: $($M feed status)"

# It keeps forwarding what it had: the existing route answers and carries traffic.
alive moltd || fail "moltd exited"
[ "$(lookup 10.99.0.1 | j 'd["action"]')" = forward ] || fail "route.lookup 10.99.0.1 does not forward"
in_ns "$NS_H1" ping -c 3 -W 1 10.99.0.1 >/dev/null || fail "traffic through an existing route stopped"
[ "$(lookup 10.98.0.1 | j 'd["action"]')" = unreachable ] ||
	fail "the route of the refused entry is in moltd's table: $(lookup 10.98.0.1)"
log "ok - forwarding goes on from the last good table (ping 10.99.0.1; 10.98.0.0/24 not taken)"

# The next legitimate change is applied, and so is the route of the refused entry, from the route
# server's next snapshot (which nobody changed): as the route server holds it, via 10.0.3.2.
$R route add 10.97.0.0/24 via 10.0.3.2 >/dev/null || fail "route add 10.97.0.0/24"
wait_for "moltd to take 10.97.0.0/24" 100 0.1 bash -c \
	"$M --json call route.lookup '{\"addresses\": [\"10.97.0.1\"]}' | grep -q forward"
wait_for "moltd to take 10.98.0.0/24" 100 0.1 bash -c \
	"$M --json call route.lookup '{\"addresses\": [\"10.98.0.1\"]}' | grep -q forward"
lookup 10.98.0.1 | grep -q "10.0.3.2" || fail "10.98.0.1 is not via 10.0.3.2: $(lookup 10.98.0.1)"
wait_for "ping 10.97.0.1" 20 0.3 in_ns "$NS_H1" ping -c 1 -W 1 10.97.0.1
wait_for "ping 10.98.0.1" 20 0.3 in_ns "$NS_H1" ping -c 1 -W 1 10.98.0.1
$R route del 10.97.0.0/24 >/dev/null || fail "route del"
wait_for "moltd to follow the journal again" 100 0.1 bash -c \
	"$M --json call route.lookup '{\"addresses\": [\"10.97.0.1\"]}' | grep -q unreachable"
[ "$(feed_status refused)" -ge 2 ] || fail "refused counter went back"
log "ok - the following legitimate changes are applied (add, then a delete through the journal)"

# --- the route server comes back under another key ----------------------------------------------

stop_proc rs
[ "$STOP_RC" -eq 0 ] || fail "rs exited with status $STOP_RC"
start_routeserver rs2 "$SHM" "$E2E_TMP/routes.txt" --feed-key "$KEY2"
wait_for "moltd to refuse the route server's new key" 50 0.2 \
	grep -q "was made under another key than this one (key check mismatch): refused; keeping" \
	"$E2E_TMP/moltd.log"
alive moltd || fail "moltd exited"
in_ns "$NS_H1" ping -c 2 -W 1 10.98.0.1 >/dev/null || fail "forwarding stopped under a refused feed"
log "ok - a route server under another key is refused; forwarding goes on"
stop_proc rs2
[ "$STOP_RC" -eq 0 ] || fail "rs2 exited with status $STOP_RC"
start_routeserver rs3 "$SHM" "$E2E_TMP/routes.txt" --feed-key "$KEY"
wait_for "moltd to take the feed with the right key" 50 0.2 bash -c \
	"$M --json call route.lookup '{\"addresses\": [\"10.98.0.1\"]}' | grep -q unreachable"
[ "$(feed_status alive)" = True ] || fail "feed not alive after the restart"
log "ok - back under the right key: moltd follows the new table (10.98.0.0/24 gone with the restart)"

$M --json call feed.status | j 'json.dumps({k: d[k] for k in ("authenticated", "refused", "resyncs", "reopens", "last_error")})'
stop_proc moltd TERM
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with status $STOP_RC"
log "PASS"
