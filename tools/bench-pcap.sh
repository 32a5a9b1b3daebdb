#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Forwarding rate of one moltd worker next to dpdk-testpmd io forwarding, on the same input in
# the same run: net_pcap infinite_rx=1 replays a pcap of 64-byte frames to random destinations
# inside a generated table; net_null ports sink the output. Prints both rates and their ratio.
# Not a test: nothing is asserted. (molt-bench, a later issue, replaces this script.)
#
#   tools/bench-pcap.sh [BUILD_DIR] [--v4 N] [--v6 N] [--seconds S] [--v6-share F]
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
V4=1000000 V6=200000 SECS=10 V6SHARE=0 PKTS=8192 DRIVER=fib-lpm6 MEM=3072
while [ $# -gt 0 ]; do
	case $1 in
	--v4) V4=$2; shift ;;
	--v6) V6=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--v6-share) V6SHARE=$2; shift ;;
	--driver) DRIVER=$2; shift ;;
	--mem) MEM=$2; shift ;;
	-h|--help) sed -n 2,9p "$0"; exit 0 ;;
	*) BUILD=$(realpath "$1") ;;
	esac
	shift
done

T=$(mktemp -d /tmp/molt-bench.XXXXXX)
ID=mb$$
RS_PID="" MD_PID=""
cleanup() {
	[ -n "$MD_PID" ] && kill "$MD_PID" 2>/dev/null && wait "$MD_PID" 2>/dev/null
	[ -n "$RS_PID" ] && kill "$RS_PID" 2>/dev/null && wait "$RS_PID" 2>/dev/null
	rm -rf "$T" "/var/run/dpdk/$ID" "/var/run/dpdk/${ID}tp"
}
trap cleanup EXIT INT TERM

echo "table: $V4 IPv4 + $V6 IPv6 routes; traffic: $PKTS frames, IPv6 share $V6SHARE"
"$BUILD/tools/gen-routes" --v4 "$V4" --v6 "$V6" --seed 42 -o "$T/routes.txt"
python3 "$SRC/tools/bench_pcap.py" --routes "$T/routes.txt" --count "$PKTS" \
	--dst-mac 02:00:00:00:00:01 --v6-share "$V6SHARE" -o "$T/in.pcap"

"$BUILD/routeserver/molt-routeserver" --shm "/$ID" --routes "$T/routes.txt" 2>"$T/rs.log" &
RS_PID=$!
for _ in $(seq 100); do [ -e "/dev/shm/$ID" ] && grep -q published "$T/rs.log" && break; sleep 0.1; done

cat >"$T/cfg.json" <<JSON
{
  "ports": [
    {"name": "in", "devargs": "net_pcap0,rx_pcap=$T/in.pcap,infinite_rx=1",
     "ipv4": ["10.0.0.1/24"], "ipv6": ["fd00::1/64"], "mac": "02:00:00:00:00:01"},
    {"name": "out1", "devargs": "net_null1,no-rx=1", "ipv4": ["10.0.1.1/24"], "ipv6": ["fd00:1::1/64"],
     "mac": "02:00:00:00:01:01"},
    {"name": "out2", "devargs": "net_null2,no-rx=1", "ipv4": ["10.0.2.1/24"], "ipv6": ["fd00:2::1/64"],
     "mac": "02:00:00:00:02:01"}
  ],
  "neighbors": [
    {"ip": "10.0.1.2", "mac": "02:00:00:00:01:02", "port": "out1"},
    {"ip": "10.0.2.2", "mac": "02:00:00:00:02:02", "port": "out2"},
    {"ip": "fd00:1::2", "mac": "02:00:00:00:01:02", "port": "out1"},
    {"ip": "fd00:2::2", "mac": "02:00:00:00:02:02", "port": "out2"}
  ],
  "feed": {"shm": "/$ID"},
  "fib": {"driver": "$DRIVER", "max_routes_v4": $((V4 + 1000)), "max_routes_v6": $((V6 + 1000))}
}
JSON

# rate PREFIX: forwarded packets/s of moltd over SECS, from two telemetry reads.
telemetry_fwd() {
	echo /molt/ports | dpdk-telemetry.py -f "$ID" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["/molt/ports"]
print(sum(p.get("forwarded", 0) for p in d.values()))'
}

"$BUILD/control/moltd" --no-huge -m "$MEM" --no-pci --no-shconf --file-prefix "$ID" -l 0,1 \
	--log-level=lib.eal:error -- -c "$T/cfg.json" >"$T/moltd.out" 2>"$T/moltd.log" &
MD_PID=$!
for _ in $(seq 600); do
	grep -q "workers launched\|launched" "$T/moltd.log" && break
	kill -0 $MD_PID 2>/dev/null || { cat "$T/moltd.log"; exit 1; }
	sleep 0.1
done
grep -E "slot .*built|built" "$T/moltd.log" | tail -1
sleep 2 # warm-up, not a hope: nothing depends on it but the first rate sample
a=$(telemetry_fwd); ta=$(date +%s.%N)
sleep "$SECS"
b=$(telemetry_fwd); tb=$(date +%s.%N)
kill -INT $MD_PID; wait $MD_PID || true; MD_PID=""
molt=$(python3 -c "print(($b - $a) / ($tb - $ta))")

dpdk-testpmd --no-huge -m 512 --no-pci --no-shconf --file-prefix "${ID}tp" -l 0,1 \
	--log-level=lib.eal:error \
	--vdev "net_pcap0,rx_pcap=$T/in.pcap,infinite_rx=1" --vdev net_null1,no-rx=1 -- \
	--forward-mode=io --auto-start --total-num-mbufs=16384 --stats-period 1 \
	--portlist=0,1 </dev/null >"$T/testpmd.log" 2>&1 &
TP=$!
sleep $((SECS + 2))
kill -INT $TP; wait $TP || true
# Tx-pps of port 1 (the sink) from each 1 s stats block, the first (start-up) one left out.
tp=$(grep -A8 "NIC statistics for port 1" "$T/testpmd.log" | grep -o "Tx-pps: *[0-9]*" |
	awk '{print $2}' | tail -n +2 | tail -n "$SECS" |
	awk '{s+=$1; n++} END {if (n) print s/n; else print 0}')

python3 - "$molt" "$tp" <<'PY'
import sys
m, t = float(sys.argv[1]), float(sys.argv[2])
print(f"moltd (1 worker): {m/1e6:.2f} Mpps forwarded")
print(f"testpmd io:       {t/1e6:.2f} Mpps")
print(f"ratio molt/testpmd: {m/t:.2f}" if t else "testpmd gave no rate")
PY
