#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Route server isolation (docs/security.md), checked from /proc and ss on a running pair:
#  - moltd maps the feed read-only (its /proc/PID/maps line has no 'w') and holds it only on an
#    O_RDONLY descriptor; the route server's mapping is the writable one;
#  - the feed object is mode 0644, owned by the route server's user; both control sockets are
#    mode 0660;
#  - the route server's only sockets are its control socket (unix, listening) and the FPM port
#    (TCP, listening on the address given); it has no connection to moltd or anything else;
#  - moltd's only sockets are unix listeners (its control socket, DPDK telemetry): no TCP/UDP
#    socket, no connection to the route server's control socket or FPM port;
#  - `--fpm PORT` without an address listens on 127.0.0.1 only; 0.0.0.0 must be asked for.
# The socket checks are shown to see a connection when there is one (a TCP client on the FPM
# port, a client on moltd's control socket).
# A route added at the route server reaches moltd meanwhile: the feed works, one way. A third
# process writing into the feed is refused under a feed key: e2e-feed-integrity checks that.
#
#   isolation.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"
CTL=${MOLTCTL:-$MOLT_BUILD/tools/moltctl}

need_root
need_bin "$MOLTD" "$ROUTESERVER" "$CTL"
need_cmd ss stat
e2e_init

SHM="/molt-iso-$$"
PREFIX="molt-iso-$$"
SHM_FILE=$(shm_path "$SHM")
RS_SOCK="$E2E_TMP/rs.sock"
M_SOCK="$E2E_TMP/moltd.sock"
M="$CTL -s $M_SOCK"
R="$CTL -s $RS_SOCK"

printf '203.0.113.0/24 via 10.0.1.99\n' >"$E2E_TMP/routes.txt"
cat >"$E2E_TMP/config.json" <<JSON
{
  "ports": [{"name": "p0", "devargs": "net_null0", "ipv4": ["10.0.1.1/24"]}],
  "feed": {"shm": "$SHM"},
  "control": {"socket": "$M_SOCK"},
  "metabolism": {"interval_ms": 0}
}
JSON

start_routeserver rs "$SHM" "$E2E_TMP/routes.txt" --fpm 127.0.0.1:0
RS=$(pid_of rs)
wait_for "route server control socket" 50 0.1 test -S "$RS_SOCK"
wait_for "the FPM listener's log line" 50 0.1 grep -q "fpm: listening on" "$E2E_TMP/rs.log"
FPM_PORT=$(sed -n 's/.*fpm: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$E2E_TMP/rs.log")
[ -n "$FPM_PORT" ] || fail "no FPM port in the route server's log"

defer_dpdk_prefix "$PREFIX"
# shellcheck disable=SC2046
start_bg moltd "$MOLTD" $(eal_args "$PREFIX") -- -c "$E2E_TMP/config.json"
wait_moltd moltd "$PREFIX"
MD=$(pid_of moltd)
wait_for "moltd control socket" 50 0.1 test -S "$M_SOCK"

# The feed works, one way: a route added at the route server is looked up in moltd.
$R route add 198.51.100.0/24 via 10.0.1.98 >/dev/null || fail "route add at the route server"
wait_for "moltd to forward 198.51.100.1" 300 0.1 bash -c \
	"$M --json call route.lookup '{\"addresses\": [\"198.51.100.1\"]}' | grep -q forward"
log "ok - a route added at the route server reached moltd through the feed"

# --- the feed's shared memory ------------------------------------------------------------------

# map_perms PID: the permissions of PID's mappings of the feed file, one per line.
map_perms() { awk -v f="$SHM_FILE" '$6 == f { print $2 }' "/proc/$1/maps"; }

m_perms=$(map_perms "$MD")
[ -n "$m_perms" ] || fail "moltd has no mapping of $SHM_FILE"
for p in $m_perms; do
	case $p in
	r-*) ;;
	*) fail "moltd maps $SHM_FILE as $p: it must be read-only" ;;
	esac
done
rs_perms=$(map_perms "$RS")
echo "$rs_perms" | grep -q '^rw' || fail "the route server's mapping of the feed is '$rs_perms'"
log "ok - moltd maps the feed $(echo "$m_perms" | tr '\n' ' ')(the route server: $rs_perms)"

# fds_on PID FILE: PID's descriptors open on FILE, as "FD FLAGS(octal)".
fds_on() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd")" = "$2" ] || continue
		echo "${fd##*/} $(awk '$1 == "flags:" { print $2 }' "/proc/$1/fdinfo/${fd##*/}")"
	done
}
m_fds=$(fds_on "$MD" "$SHM_FILE")
[ -n "$m_fds" ] || log "moltd keeps no descriptor on the feed after mapping it"
while read -r fd flags; do
	[ -n "$fd" ] || continue
	# O_ACCMODE is the low two bits: 0 is O_RDONLY.
	[ $((8#$flags & 3)) -eq 0 ] || fail "moltd's fd $fd on the feed has flags $flags, not O_RDONLY"
	log "ok - moltd's fd $fd on the feed is O_RDONLY (flags $flags)"
done <<<"$m_fds"

mode=$(stat -c '%a %u' "$SHM_FILE")
[ "$mode" = "644 $(stat -c %u "/proc/$RS")" ] ||
	fail "the feed is '$mode' (mode, owner): expected 644, owned by the route server's user"
for s in "$RS_SOCK" "$M_SOCK"; do
	[ "$(stat -c %a "$s")" = 660 ] || fail "$s has mode $(stat -c %a "$s"), expected 660"
done
log "ok - feed mode 644 owned by the route server's user, control sockets 660"

# --- sockets -----------------------------------------------------------------------------------

# socks PID: PID's sockets as ss sees them ("NETID STATE LOCAL", LOCAL a path for unix ones).
socks() { ss -Hanp -A all 2>/dev/null | awk -v p="pid=$1," 'index($0, p) { print $1, $2, $5 }'; }
# nsock PID: how many socket descriptors PID has (each must be in socks' list).
nsock() { find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

# rs_only_listeners: the route server has exactly its control socket and the FPM port, both
# listening, and no other socket.
rs_only_listeners() {
	local s
	s=$(socks "$RS" | sort)
	[ "$s" = "$(printf 'tcp LISTEN 127.0.0.1:%s\nu_str LISTEN %s' "$FPM_PORT" "$RS_SOCK")" ] &&
		[ "$(nsock "$RS")" -eq 2 ]
}
# moltd_only_listeners: every socket of moltd is a unix listener at its control socket or in
# its DPDK runtime directory (telemetry): no TCP/UDP, no connection to the route server. A
# telemetry or moltctl client of this script may still be closing: hence the bounded wait.
moltd_only_listeners() {
	local n=0 netid state laddr
	while read -r netid state laddr; do
		[ -n "$netid" ] || continue
		n=$((n + 1))
		case $netid in u_str | u_seq | u_dgr) ;; *) return 1 ;; esac
		[ "$state" = LISTEN ] || return 1
		case $laddr in "$M_SOCK" | /var/run/dpdk/"$PREFIX"/*) ;; *) return 1 ;; esac
	done <<<"$(socks "$MD")"
	[ "$n" -ge 1 ] && [ "$n" -eq "$(nsock "$MD")" ]
}

# A moltctl client of this script may still be closing: a bounded wait again.
wait_for "the route server to have only its two listeners" 50 0.2 rs_only_listeners
log "ok - route server sockets: $(socks "$RS" | tr '\n' ';')"
wait_for "moltd to have only its listeners" 50 0.2 moltd_only_listeners
log "ok - moltd sockets: $(socks "$MD" | tr '\n' ';')"
# And, by port and path: no socket of moltd is on the FPM port or the route server's socket.
socks "$MD" | grep -qE ":$FPM_PORT( |\$)|$RS_SOCK" && fail "moltd has a socket to the route server"
log "ok - moltd has no socket on the FPM port $FPM_PORT or $RS_SOCK"

# The checks see a connection when there is one: a TCP client on the FPM port (as zebra would
# be) and a client on moltd's control socket each make them fail, and pass again once closed.
exec 7<>"/dev/tcp/127.0.0.1/$FPM_PORT" || fail "cannot connect to the FPM port"
not() { ! "$@"; }
wait_for "the route server's check to see an FPM client" 50 0.2 not rs_only_listeners
exec 7>&-
wait_for "the FPM client to be gone" 50 0.2 rs_only_listeners
start_bg holder "$PY" -c "import socket, time
s = socket.socket(socket.AF_UNIX)
s.connect('$M_SOCK')
time.sleep(60)"
wait_for "moltd's check to see a control client" 50 0.2 not moltd_only_listeners
stop_proc holder TERM
wait_for "the control client to be gone" 50 0.2 moltd_only_listeners
log "ok - a connection to either side is seen by these checks"

# --- the FPM listener's default address --------------------------------------------------------

# fpm_listen NAME ARG: starts a route server with --fpm ARG; sets addr to where it listens.
fpm_listen() {
	local name=$1 arg=$2 pid
	: >"$E2E_TMP/$name.routes"
	start_routeserver "$name" "/molt-iso-$name-$$" "$E2E_TMP/$name.routes" --fpm "$arg"
	pid=$(pid_of "$name")
	wait_for "$name's FPM listener" 50 0.1 bash -c "ss -Hltnp | grep -q 'pid=$pid,'"
	addr=$(ss -Hltnp | awk -v p="pid=$pid," 'index($0, p) { print $4 }')
	stop_proc "$name" TERM
	[ "$STOP_RC" -eq 0 ] || fail "$name exited with $STOP_RC after SIGTERM"
}
addr=""
fpm_listen rs-port 0
case $addr in 127.0.0.1:*) ;; *) fail "--fpm 0 listens on '$addr', expected 127.0.0.1" ;; esac
log "ok - --fpm PORT listens on $addr (loopback)"
fpm_listen rs-any 0.0.0.0:0
case $addr in 0.0.0.0:*) ;; *) fail "--fpm 0.0.0.0:0 listens on '$addr'" ;; esac
log "ok - --fpm 0.0.0.0:PORT, asked for explicitly, listens on $addr"

# Both still up, the feed still current.
alive moltd || fail "moltd died"
alive rs || fail "the route server died"
stop_proc moltd TERM
[ "$STOP_RC" -eq 0 ] || fail "moltd exited with $STOP_RC after SIGTERM"
stop_proc rs TERM
[ "$STOP_RC" -eq 0 ] || fail "the route server exited with $STOP_RC after SIGTERM"
log "PASS: feed read-only in moltd, no socket between the two, route server reachable only" \
	"through its control socket and FPM on 127.0.0.1"
