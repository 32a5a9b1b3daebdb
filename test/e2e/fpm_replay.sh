#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# molt-routeserver's FPM input without FRR (fpm_frames.py): a recorded zebra session sent in
# pieces split at random, precedence against the route file and route.add, stale marking on
# disconnect and the sweep after the resend, multipath and several messages per frame, routes
# of other tables and types; then, on a second route server, malformed input (each closes the
# session with the problem named and leaves the table as it was, 1 MiB of garbage included).
# Ends with the ingestion rate of 100,000 generated routes (printed, not judged).
#
#   fpm_replay.sh [BUILD_DIR]
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && set_build "$1"

need_bin "$ROUTESERVER"
e2e_init

printf '203.0.113.0/24 via 10.0.1.99\n10.9.0.0/16 via 10.0.1.1\n' >"$E2E_TMP/routes-a.txt"
: >"$E2E_TMP/routes-b.txt"
start_routeserver fpm-a "/molt-fpm-a-$$" "$E2E_TMP/routes-a.txt" --fpm 127.0.0.1:0 \
	--fpm-stale-hold 3
start_routeserver fpm-b "/molt-fpm-b-$$" "$E2E_TMP/routes-b.txt" --fpm 127.0.0.1:0 \
	--fpm-stale-hold 3600
wait_for "control sockets" 50 0.1 test -S "$E2E_TMP/fpm-a.sock" -a -S "$E2E_TMP/fpm-b.sock"

"$PY" "$E2E_DIR/fpm_frames.py" test "$E2E_TMP/fpm-a.sock" "$E2E_TMP/fpm-b.sock" \
	"$E2E_DIR/data/fpm_zebra_static.bin" || fail "FPM replay"
"$PY" "$E2E_DIR/fpm_frames.py" rate "$E2E_TMP/fpm-b.sock" 100000 | tee "$E2E_TMP/rate.txt" ||
	fail "FPM rate run"

for p in fpm-a fpm-b; do
	alive $p || fail "$p died"
	stop_proc $p TERM
	[ "$STOP_RC" -eq 0 ] || fail "$p exited with $STOP_RC after SIGTERM"
done
log "PASS: $(cat "$E2E_TMP/rate.txt")"
