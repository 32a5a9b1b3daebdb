#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Announce-to-forwarding time of a BGP announcement, measured end to end on the topology of
# test/e2e/bgp_e2e.sh (BIRD 2 behind p1, FRR's bgpd and zebra and molt-routeserver --fpm in
# moltd's control-plane namespace): for each size, BIRD withdraws its N prefixes and announces
# them again, RUNS times; printed: the median (min-max) seconds after `birdc enable` at which
# BIRD had exported them, bgpd had received them, zebra had them in its FIB, the route server
# had the first and all of them from FPM, moltd's feed mirror and route.lookup had them, and a
# datagram from h1 to the last prefix (one every millisecond) arrived in h2. Root, FRR, BIRD.
#
#   tools/bgp-convergence.sh [-b BUILD_DIR] [-r RUNS] [N...]      defaults: build, 5, 10000 100000
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$ROOT/build
RUNS=5
while [ $# -gt 0 ]; do
	case $1 in
	-b) BUILD_DIR=$2; shift 2 ;;
	-r) RUNS=$2; shift 2 ;;
	-h | --help) sed -n '3,11p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000)
rc=0
for n in "${SIZES[@]}"; do
	out=$("$ROOT/test/e2e/bgp_e2e.sh" "$BUILD_DIR" --measure "$n" "$RUNS" 2>&1)
	r=$?
	if [ $r -ne 0 ]; then
		echo "$out" | tail -40
		echo "bgp-convergence: $n prefixes: bgp_e2e.sh exited with $r" >&2
		rc=1
		continue
	fi
	echo "$out" | sed -n '/^announce-to-forwarding/,$p'
done
exit $rc
