#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the libFuzzer target for the JSON-RPC parser with clang (its own build directory) and
# runs it for a while on the seed corpus. Exits non-zero if the fuzzer finds a crash, a leak or
# undefined behaviour; the input that did it is left in BUILD/fuzz-artifacts/.
#
#   test/fuzz/run-fuzz.sh [-t SECONDS] [-b BUILD_DIR] [--no-build] [-- LIBFUZZER_ARGS...]
#
#   -t SECONDS   how long to fuzz (default 30; a long run: -t 3600, or -- -jobs=N)
#   -b DIR       build directory (default build-fuzz), configured with CC=clang -Dfuzz=true
#   --no-build   use the fuzz_rpc already built in DIR (what the meson test 'fuzz_rpc' does)
#
# New inputs the fuzzer finds go to DIR/fuzz-corpus/rpc (the seeds in test/fuzz/corpus/rpc
# are only read); copy the interesting ones there by hand.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_TO_RUN=30
BUILD=build-fuzz
BUILD_IT=1
while [ $# -gt 0 ]; do
	case $1 in
	-t) SECONDS_TO_RUN=$2; shift ;;
	-b) BUILD=$2; shift ;;
	--no-build) BUILD_IT=0 ;;
	--) shift; break ;;
	-h | --help) sed -n '3,14p' "$0"; exit 0 ;;
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
	ninja -C "$BUILD" test/fuzz/fuzz_rpc
fi

BIN=$BUILD/test/fuzz/fuzz_rpc
[ -x "$BIN" ] || { echo "run-fuzz: $BIN not built" >&2; exit 1; }
mkdir -p "$BUILD/fuzz-corpus/rpc" "$BUILD/fuzz-artifacts"
# -max_len: requests up to 4 KiB reach every path (the framer runs with a 256-byte limit).
exec "$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -dict="$SRC/test/fuzz/rpc.dict" \
	-artifact_prefix="$BUILD/fuzz-artifacts/" \
	"$@" "$BUILD/fuzz-corpus/rpc" "$SRC/test/fuzz/corpus/rpc"
