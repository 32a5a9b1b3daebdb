#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the libFuzzer targets with clang (their own build directory) and runs each for a while
# on its seed corpus: fuzz_rpc (the JSON-RPC parser), fuzz_molt (the molt engine's builders
# and lookups against a linear scan) and fuzz_fpm (the route server's FPM frame parser). Exits
# non-zero if a fuzzer finds a crash, a leak, undefined behaviour or a wrong answer; the input
# that did it is left in BUILD/fuzz-artifacts/.
#
#   test/fuzz/run-fuzz.sh [-f TARGET] [-t SECONDS] [-b BUILD_DIR] [--no-build]
#                         [-- LIBFUZZER_ARGS...]
#
#   -f TARGET    rpc, molt, fpm or all (default all: one after the other, each for SECONDS)
#   -t SECONDS   how long to fuzz each target (default 30; a long run: -t 3600, or -- -jobs=N)
#   -b DIR       build directory (default build-fuzz), configured with CC=clang -Dfuzz=true
#   --no-build   use the targets already built in DIR (what the meson tests 'fuzz_*' do)
#
# New inputs a fuzzer finds go to DIR/fuzz-corpus/TARGET (the seeds in test/fuzz/corpus/TARGET
# are only read); copy the interesting ones there by hand.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_TO_RUN=30
BUILD=build-fuzz
BUILD_IT=1
TARGETS="rpc molt fpm"
while [ $# -gt 0 ]; do
	case $1 in
	-f)
		case $2 in
		rpc | molt | fpm) TARGETS=$2 ;;
		all) TARGETS="rpc molt fpm" ;;
		*) echo "run-fuzz: unknown target $2 (rpc, molt, fpm or all)" >&2; exit 2 ;;
		esac
		shift ;;
	-t) SECONDS_TO_RUN=$2; shift ;;
	-b) BUILD=$2; shift ;;
	--no-build) BUILD_IT=0 ;;
	--) shift; break ;;
	-h | --help) sed -n '3,18p' "$0"; exit 0 ;;
	*) echo "run-fuzz: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac

if [ "$BUILD_IT" = 1 ]; then
	if ! command -v clang >/dev/null; then
		echo "run-fuzz: clang is needed (apt-get install clang)" >&2
		exit 1
	fi
	# Warnings are errors here too: the tree is kept clean for clang as well as gcc.
	if [ ! -f "$BUILD/build.ninja" ]; then
		CC=clang meson setup "$BUILD" "$SRC" -Dfuzz=true -Dtests=disabled \
			-Dwerror=true >/dev/null
	fi
	for t in $TARGETS; do
		ninja -C "$BUILD" "test/fuzz/fuzz_$t"
	done
fi

for t in $TARGETS; do
	BIN=$BUILD/test/fuzz/fuzz_$t
	[ -x "$BIN" ] || { echo "run-fuzz: $BIN not built" >&2; exit 1; }
done
mkdir -p "$BUILD/fuzz-artifacts"
for t in $TARGETS; do
	mkdir -p "$BUILD/fuzz-corpus/$t"
	case $t in
	# Requests up to 4 KiB reach every path (the framer runs with a 256-byte limit).
	rpc) extra=(-max_len=4096 -dict="$SRC/test/fuzz/rpc.dict") ;;
	# 4 KiB: about 500 IPv4 or 340 IPv6 rules, each looked up six ways by a linear scan.
	molt) extra=(-max_len=4096) ;;
	# A few frames of a zebra session (the seeds are recorded and generated ones).
	fpm) extra=(-max_len=8192) ;;
	esac
	echo "run-fuzz: fuzz_$t for $SECONDS_TO_RUN s"
	"$BUILD/test/fuzz/fuzz_$t" -max_total_time="$SECONDS_TO_RUN" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" \
		-artifact_prefix="$BUILD/fuzz-artifacts/fuzz_$t-" \
		"$@" "$BUILD/fuzz-corpus/$t" "$SRC/test/fuzz/corpus/$t"
done
