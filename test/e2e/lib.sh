#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by the end-to-end scripts and tools/demo.sh. Source it; do not run it.
#
# Conventions:
#  - every name a script creates (namespaces, shm objects, DPDK file prefixes) carries $$, so
#    two runs never collide;
#  - every helper that creates something pushes its undo command with `defer`; `cleanup` runs
#    them last-in first-out from the EXIT trap (also on Ctrl-C and SIGTERM);
#  - waiting is done by polling a condition a bounded number of times (`wait_for`), never by a
#    bare sleep that hopes;
#  - exit 77 means "skipped" to meson (e.g. not root).

set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(cd "$E2E_DIR/../.." && pwd)
# scapy is a Debian package: use Debian's interpreter, not whatever python3 is first in PATH.
PY=${MOLT_PYTHON:-/usr/bin/python3}
RUN_ID="molt$$"

# Where the binaries are: MOLT_BUILD (set by meson test), else the first build dir found.
if [ -z "${MOLT_BUILD:-}" ]; then
	for d in "$SRC_ROOT"/build "$SRC_ROOT"/build-*; do
		if [ -x "$d/control/moltd" ]; then MOLT_BUILD=$d; break; fi
	done
fi
MOLT_BUILD=${MOLT_BUILD:-$SRC_ROOT/build}
MOLTD=${MOLTD:-$MOLT_BUILD/control/moltd}
ROUTESERVER=${ROUTESERVER:-$MOLT_BUILD/routeserver/molt-routeserver}
GEN_ROUTES=${GEN_ROUTES:-$MOLT_BUILD/tools/gen-routes}

# set_build DIR: take the binaries from build directory DIR (scripts get it from meson).
# MOLT_MOLTD, MOLT_ROUTESERVER, MOLT_GEN_ROUTES override single binaries.
set_build() {
	MOLT_BUILD=$(realpath -m "$1")
	MOLTD=${MOLT_MOLTD:-$MOLT_BUILD/control/moltd}
	ROUTESERVER=${MOLT_ROUTESERVER:-$MOLT_BUILD/routeserver/molt-routeserver}
	GEN_ROUTES=${MOLT_GEN_ROUTES:-$MOLT_BUILD/tools/gen-routes}
}

_DEFERRED=()
_LOGS=()
declare -A _PIDS=()
_FAILED=0
_CLEANED=0
E2E_TMP=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# fail MESSAGE: report and exit 1 (the EXIT trap dumps logs and cleans up).
fail() {
	printf '[%s] FAIL: %s\n' "$(date +%H:%M:%S)" "$*" >&2
	_FAILED=1
	exit 1
}

skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# defer COMMAND...: run COMMAND (one string, eval'd) at cleanup, last in first out.
defer() { _DEFERRED+=("$*"); }

dump_logs() {
	local f
	for f in "${_LOGS[@]}"; do
		[ -f "$f" ] || continue
		echo "----- last 60 lines of $f -----" >&2
		tail -n 60 "$f" >&2
	done
}

cleanup() {
	local rc=$?
	[ "$_CLEANED" = 1 ] && return
	_CLEANED=1
	trap - EXIT INT TERM
	case $rc in
	0 | 77 | 130 | 143) ;; # passed, skipped, interrupted (Ctrl-C, SIGTERM)
	*) _FAILED=1 ;;
	esac
	[ "$_FAILED" = 1 ] && dump_logs
	local i
	for ((i = ${#_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${_DEFERRED[$i]}" >/dev/null 2>&1 || true
	done
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "${MOLT_E2E_KEEP:-0}" = 1 ]; then
			echo "kept $E2E_TMP" >&2
		else
			rm -rf "$E2E_TMP"
		fi
	fi
	exit "$rc"
}

# e2e_init: temp dir and traps. Call once at the top of each script.
e2e_init() {
	E2E_TMP=$(mktemp -d "/tmp/${RUN_ID}.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, raw sockets)"
}

# need_netns: skip (77) where network namespaces cannot be made (a container without
# CAP_SYS_ADMIN), instead of failing on the environment.
need_netns() {
	local probe="molt-probe-$$"
	ip netns add "$probe" >/dev/null 2>&1 || skip "cannot create network namespaces here"
	ip netns del "$probe" >/dev/null 2>&1
}

need_bin() {
	local b
	for b in "$@"; do
		[ -x "$b" ] || fail "missing binary $b (build first: meson setup build && ninja -C build)"
	done
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fail "missing command $c (run tools/setup-deps.sh)"
	done
}

# wait_for DESCRIPTION TRIES INTERVAL_S COMMAND...: polls COMMAND until it succeeds; fails the
# test after TRIES attempts.
wait_for() {
	local desc=$1 tries=$2 interval=$3
	shift 3
	local i
	for ((i = 0; i < tries; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep "$interval"
	done
	fail "timed out waiting for: $desc"
}

# --- processes -------------------------------------------------------------------------------

# start_bg NAME COMMAND...: starts COMMAND in the background, output in $E2E_TMP/NAME.log.
# The pid is in ${_PIDS[NAME]}; cleanup kills it if it is still running.
start_bg() {
	local name=$1
	shift
	local logf="$E2E_TMP/$name.log"
	_LOGS+=("$logf")
	"$@" >"$logf" 2>&1 </dev/null &
	local pid=$!
	_PIDS[$name]=$pid
	defer "kill_bounded $pid"
	log "started $name (pid $pid): $*"
}

pid_of() { echo "${_PIDS[$1]}"; }

alive() { kill -0 "${_PIDS[$1]}" 2>/dev/null; }

# kill_bounded PID: SIGTERM, wait up to 10 s, then SIGKILL.
kill_bounded() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

# stop_proc NAME [SIGNAL]: signals the process and waits (bounded, 20 s) for it to exit.
# Sets STOP_RC to its exit status. Fails the test if it does not exit.
STOP_RC=0
stop_proc() {
	local name=$1 sig=${2:-TERM}
	local pid=${_PIDS[$name]} i
	kill -"$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "$name (pid $pid) did not exit within 20 s of SIG$sig"
	fi
	wait "$pid"
	STOP_RC=$?
	return 0
}

# --- DPDK / molt -----------------------------------------------------------------------------

# eal_args PREFIX: the EAL options every test uses (no hugepages, no shared config, own prefix;
# lcore 0 control, lcore 1 worker).
eal_args() {
	local prefix=$1
	local lcores=${MOLT_LCORES:-0,1}
	echo "--no-huge -m 512 --no-pci --no-shconf --file-prefix $prefix -l $lcores --log-level=lib.eal:warning"
}

# keep_off_worker: from now on this script and everything it starts run on the CPU of moltd's
# main lcore (the first of MOLT_LCORES), leaving the worker's CPU to the worker; processes
# already started, moltd included, keep their affinity. Call it after starting moltd. A DPDK
# worker polls and never yields, so on a 2-CPU machine a traffic sender or receiver that the
# scheduler puts on the worker's CPU preempts it for up to ~20 ms (perf sched: 1,595 delays
# in 4 s, max 19.4 ms, while metabolism built on the other CPU), and af_packet's 512-frame
# ring overflows in the kernel before moltd sees a frame. What a test measures then is the
# host's scheduler, not moltd; on a router the worker's CPU is isolated.
keep_off_worker() {
	local lcores=${MOLT_LCORES:-0,1}
	taskset -cp "${lcores%%[,-]*}" $$ >/dev/null || fail "taskset: cannot pin the test to a CPU"
}

# The DPDK runtime dir of a prefix (telemetry socket lives there) is removed at cleanup.
defer_dpdk_prefix() {
	defer "rm -rf /var/run/dpdk/$1"
}

# telemetry PREFIX COMMAND: prints the JSON value of a /molt/... telemetry command.
telemetry() {
	"$PY" "$E2E_DIR/telemetry.py" -f "$1" "$2"
}

# shm_path NAME: the file behind a POSIX shm object.
shm_path() { echo "/dev/shm/${1#/}"; }

# feed_published SHM: true once the feed header has its magic and a published snapshot.
feed_published() {
	"$PY" "$E2E_DIR/feedinfo.py" --check "$(shm_path "$1")"
}

# start_routeserver NAME SHM ROUTES [extra args]: starts molt-routeserver (control socket
# $E2E_TMP/NAME.sock) and waits until the feed is published.
start_routeserver() {
	local name=$1 shm=$2 routes=$3
	shift 3
	defer "rm -f $(shm_path "$shm")"
	# Its own control socket, so that runs side by side do not fight over the default path.
	start_bg "$name" "$ROUTESERVER" --shm "$shm" --routes "$routes" \
		--socket "$E2E_TMP/$name.sock" "$@"
	local i
	for ((i = 0; i < 100; i++)); do
		alive "$name" || fail "$name exited early"
		feed_published "$shm" && return 0
		sleep 0.1
	done
	fail "$name did not publish $shm within 10 s"
}

# moltd_ready NAME PREFIX: true when moltd's telemetry answers /molt/ports (ports started).
moltd_ready() {
	alive "$1" || return 2
	telemetry "$2" /molt/ports >/dev/null 2>&1
}

# wait_moltd NAME PREFIX: waits (bounded, 30 s) until moltd answers telemetry; fails at once if
# it exits.
wait_moltd() {
	local name=$1 prefix=$2 i rc
	for ((i = 0; i < 150; i++)); do
		moltd_ready "$name" "$prefix"
		rc=$?
		[ $rc -eq 0 ] && return 0
		if [ $rc -eq 2 ]; then
			wait "${_PIDS[$name]}"
			fail "$name exited early (status $?)"
		fi
		sleep 0.2
	done
	fail "$name did not answer telemetry within 30 s"
}

# --- namespaces ------------------------------------------------------------------------------

# netns_add NAME: creates a network namespace (lo up), deleted at cleanup.
netns_add() {
	ip netns add "$1" || fail "ip netns add $1"
	defer "ip netns del $1"
	ip -n "$1" link set lo up
}

# veth_add NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both ends up.
veth_add() {
	local na=$1 ia=$2 nb=$3 ib=$4
	local tmp_a="v${$}a${RANDOM}" tmp_b="v${$}b${RANDOM}"
	ip link add "${tmp_a:0:15}" type veth peer name "${tmp_b:0:15}" || fail "veth add"
	defer "ip link del ${tmp_a:0:15}"
	ip link set "${tmp_a:0:15}" netns "$na" name "$ia" || fail "veth move $ia"
	ip link set "${tmp_b:0:15}" netns "$nb" name "$ib" || fail "veth move $ib"
	ip -n "$na" link set "$ia" up
	ip -n "$nb" link set "$ib" up
}

# offload_off NS IF: software checksums and no segmentation offload, so what af_packet sees on
# the other end is a complete, correctly checksummed frame of at most MTU size.
offload_off() {
	local ns=$1 ifn=$2 f
	ip netns exec "$ns" ethtool -K "$ifn" tx off >/dev/null 2>&1 ||
		fail "ethtool -K $ifn tx off in $ns"
	for f in sg tso gso gro rxvlan txvlan; do
		ip netns exec "$ns" ethtool -K "$ifn" "$f" off >/dev/null 2>&1 || true
	done
}

# router_port_prepare NS IF MAC: a veth end that only moltd (af_packet) uses: the kernel must
# not answer on it, so no IPv6 (no link-local, no ND) and no IPv4 address.
router_port_prepare() {
	local ns=$1 ifn=$2 mac=$3
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=1"
	ip -n "$ns" link set "$ifn" address "$mac"
	ip -n "$ns" link set "$ifn" promisc on
	offload_off "$ns" "$ifn"
}

# --- the three-host topology (netns test and demo) -------------------------------------------
#
#     h1 (10.0.1.2, fd00:1::2)  --eth0 == r0--+
#     h2 (10.0.2.2, fd00:2::2)  --eth0 == r1--+-- moltd in netns R (af_packet on r0, r1, r2)
#     h3 (10.0.3.2, fd00:3::2)  --eth0 == r2--+
#        lo: 10.99.0.1, fd00:99::1; eth0 also fe80::3:2
#
# Router ports p0..p2 own 10.0.X.1/24 and fd00:X::1/64. Routes from the route server:
# 10.99.0.0/24 via 10.0.3.2 and fd00:99::/64 via the link-local fe80::3:2 dev p2; 192.0.2.0/24
# is a blackhole. No static neighbours: ARP and ND resolve everything.

# af_packet rx ring of the router's ports, in frames. DPDK's default of 512 lasts 25 ms at the
# loss tests' 20,000 packets/s, and this VM's kernel (a kdamond thread) has been seen to take the
# worker's CPU for 31 ms even with the test's own processes kept off it (keep_off_worker): the
# frames then die in the kernel, before moltd sees them. 4096 frames last 200 ms.
AF_PACKET_FRAMES=${MOLT_AF_PACKET_FRAMES:-4096}

# topo_create DIR SHM: builds the namespaces and writes DIR/config.json and DIR/routes.txt.
# Sets NS_R, NS_H1, NS_H2, NS_H3.
topo_create() {
	local dir=$1 shm=$2 x
	NS_R="molt-r-$$"
	NS_H1="molt-h1-$$"
	NS_H2="molt-h2-$$"
	NS_H3="molt-h3-$$"
	for x in "$NS_R" "$NS_H1" "$NS_H2" "$NS_H3"; do
		netns_add "$x"
	done
	local ports_json=""
	for x in 1 2 3; do
		local hns="NS_H$x"
		hns=${!hns}
		local mac="02:00:00:00:00:0$x"
		veth_add "$NS_R" "r$((x - 1))" "$hns" eth0
		router_port_prepare "$NS_R" "r$((x - 1))" "$mac"
		ip netns exec "$hns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
		ip netns exec "$hns" sysctl -qw net.ipv6.conf.eth0.accept_ra=0
		ip -n "$hns" link set eth0 address "02:00:00:00:01:0$x"
		offload_off "$hns" eth0
		ip -n "$hns" addr add "10.0.$x.2/24" dev eth0
		ip -n "$hns" addr add "fd00:$x::2/64" dev eth0 nodad
		ip -n "$hns" route add default via "10.0.$x.1"
		ip -n "$hns" -6 route add default via "fd00:$x::1"
		[ -n "$ports_json" ] && ports_json+=","
		ports_json+="{\"name\":\"p$((x - 1))\",\"devargs\":\"net_af_packet$((x - 1)),iface=r$((x - 1)),framecnt=$AF_PACKET_FRAMES\","
		ports_json+="\"ipv4\":[\"10.0.$x.1/24\"],\"ipv6\":[\"fd00:$x::1/64\"],\"mac\":\"$mac\"}"
	done
	ip -n "$NS_H3" addr add fe80::3:2/64 dev eth0 nodad
	ip -n "$NS_H3" addr add 10.99.0.1/32 dev lo
	ip -n "$NS_H3" addr add fd00:99::1/128 dev lo
	cat >"$dir/config.json" <<JSON
{
  "ports": [$ports_json],
  "feed": {"shm": "$shm"},
  "control": {"socket": "$dir/moltd.sock"}
}
JSON
	topo_routes "$dir/routes.txt"
	# Wait (bounded) until no host address is still tentative (link-locals do DAD).
	for x in "$NS_H1" "$NS_H2" "$NS_H3"; do
		wait_for "IPv6 addresses settled in $x" 50 0.1 no_tentative "$x"
	done
}

# topo_routes FILE: writes the topology's route file (also the route server tests' table).
topo_routes() {
	cat >"$1" <<ROUTES
# Routes for the three-host topology (test/e2e/lib.sh topo_create).
10.99.0.0/24 via 10.0.3.2
fd00:99::/64 via fe80::3:2 dev p2
192.0.2.0/24 blackhole
2001:db8:dead::/48 blackhole
ROUTES
}

# config_set FILE KEY JSON: sets the top-level KEY of moltd config FILE to the JSON value, e.g.
# config_set "$E2E_TMP/config.json" metabolism '{"slots": 2}'.
config_set() {
	"$PY" - "$@" <<'PY' || fail "config_set $*"
import json, sys
c = json.load(open(sys.argv[1]))
c[sys.argv[2]] = json.loads(sys.argv[3])
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
}

no_tentative() {
	[ -z "$(ip -n "$1" -6 addr show tentative)" ]
}

# in_ns NS COMMAND...: runs COMMAND in a namespace.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
