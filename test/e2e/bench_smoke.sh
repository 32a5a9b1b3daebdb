#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# molt-bench works: a short run on a small table (two drivers side by side with metabolism off,
# then metabolism every 100 ms) writes valid JSON with the expected fields, every packet moltd
# received is counted forwarded, punted or dropped by reason, a short --latency run (metabolism
# off and every 100 ms) loses and duplicates nothing, and a short --verify run passes once per
# driver. Rates and latencies are printed, never asserted.
#
#   test/e2e/bench_smoke.sh BUILD_DIR
set -euo pipefail

BUILD=$(realpath "${1:-${MOLT_BUILD:-build}}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$SRC/tools/bench/molt-bench

[ "$(id -u)" -eq 0 ] || { echo "bench_smoke: needs root (DPDK runtime dir)"; exit 77; }
for t in control/moltd routeserver/molt-routeserver tools/gen-routes; do
	[ -x "$BUILD/$t" ] || { echo "bench_smoke: $BUILD/$t not built"; exit 77; }
done
command -v dpdk-testpmd >/dev/null || { echo "bench_smoke: no dpdk-testpmd"; exit 77; }
# A build with tests enabled always has it (meson requires rte_net_ring and rte_bus_vdev then):
# a missing one is a broken build, not a reason to pass without the latency runs.
[ -x "$BUILD/tools/bench/molt-bench-lat" ] || {
	echo "bench_smoke: FAIL: $BUILD/tools/bench/molt-bench-lat not built (configure with" \
		"-Dtests=enabled: it needs DPDK's rte_net_ring and rte_bus_vdev)"
	exit 1
}

# Every FIB driver moltd has (drivers/*.c and drivers/molt/molt_driver.c register them).
DRIVERS=molt,fib,fib-lpm6,lpm

T=$(mktemp -d /tmp/bench_smoke.XXXXXX)
trap 'rm -rf "$T"' EXIT

# check JSON [METABOLISM_MS [ROUNDS [DRIVERS]]]: fields present, packets accounted for in every
# run, every route installed, each driver (comma-separated) run once a round, flips when asked.
check() {
	/usr/bin/python3 - "$1" "${2:-0}" "${3:-1}" "${4:-}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want_flips, rounds = int(sys.argv[2]), int(sys.argv[3])
drivers = [x for x in sys.argv[4].split(',') if x]
env = d['environment']
for k in ('dpdk_version', 'cpu_model', 'hugepages', 'git_commit'):
    assert k in env, 'environment.%s missing' % k
runs = rounds * max(len(drivers), 1)
assert len(d['results']) == runs, '%d results for %d runs' % (len(d['results']), runs)
for r in d['results']:
    for k in ('mpps', 'mpps_per_worker', 'mbit_s', 'cycles_per_packet', 'drops', 'totals',
              'unaccounted', 'metabolism', 'bins', 'latency_us', 'workers', 'duration_s',
              'driver', 'slot'):
        assert k in r, 'results[].%s missing' % k
    t = r['totals']
    assert t['rx'] > 0, 'nothing received'
    dropped = sum(v for k, v in r['drops'].items() if k != 'icmp_rate_limited')
    assert dropped == t['dropped'], 'drops by reason %d != dropped %d' % (dropped, t['dropped'])
    # rx = forwarded + punted + dropped, less the ICMP errors (punted and dropped both).
    assert r['unaccounted'] == 0, 'unaccounted %d: %s %s' % (r['unaccounted'], t, r['drops'])
    assert r['slot']['rejected'] == 0, 'moltd rejected routes: %s' % r['slot']
    assert r['bins'], 'no throughput samples'
if drivers:
    assert sorted({r['driver'] for r in d['results']}) == sorted(drivers), \
        'drivers run: %s' % sorted({r['driver'] for r in d['results']})
    for x in drivers:
        row = d['drivers'][x]
        assert row['mpps'] > 0 and row['slot_mib'] > 0 and row['build_ms'] is not None, row
assert 'compare' in d and d['compare']['testpmd_io_mpps'] > 0, 'no testpmd rate'
c = d['compare']
assert len(c['rounds']) == rounds, '%d compare rounds for %d' % (len(c['rounds']), rounds)
assert all(x['testpmd_io_mpps'] > 0 and x['ratio'] > 0 for x in c['rounds']), 'a round lacks testpmd'
r = d['results'][0]
dropped = r['totals']['dropped']
if want_flips:
    assert r['metabolism']['flips'] > 0, 'metabolism every %d ms but no flip' % want_flips
print('ok: %.2f Mpps, molt/testpmd %.2f, %d flips, %d drops' % (
    r['mpps'], d['compare']['ratio'], r['metabolism']['flips'], dropped))
PY
}

common=(--build "$BUILD" --v4 2000 --v6 500 --v6-share 0.2 --duration 1 --warmup 0.5
	--frames 1024)

echo "== run, metabolism off, two alternating rounds of molt (drivers molt and fib) and testpmd"
"$BENCH" "${common[@]}" --rounds 2 --driver molt,fib --compare testpmd --json "$T/off.json" \
	--plot "$T/off.png"
check "$T/off.json" 0 2 molt,fib
[ -s "$T/off.png" ] || { echo "no plot written"; exit 1; }

echo "== run, metabolism every 100 ms"
"$BENCH" "${common[@]}" --duration 2 --metabolism 100 --compare testpmd --json "$T/on.json"
check "$T/on.json" 100

# check_latency JSON [METABOLISM_MS]: latency and loss fields present, every frame sent came
# back exactly once (molt's promise, flips or not), every mbuf back in the generator's pool.
check_latency() {
	/usr/bin/python3 - "$1" "${2:-0}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want_flips = int(sys.argv[2])
r = d['results'][0]
lu, lo = r['latency_us'], r['loss']
for k in ('p50', 'p90', 'p99', 'p999', 'max'):
    assert isinstance(lu.get(k), (int, float)), 'latency_us.%s missing: %s' % (k, lu)
for k in ('sent', 'received', 'lost', 'duplicated', 'reordered'):
    assert isinstance(lo.get(k), int), 'loss.%s missing: %s' % (k, lo)
assert lo['sent'] > 0, 'nothing sent'
assert lo['sent'] == lo['received'] + lo['lost'], 'sent != received + lost: %s' % lo
assert lo['lost'] == 0, '%d frames lost: %s' % (lo['lost'], lo)
assert lo['duplicated'] == 0, '%d frames duplicated: %s' % (lo['duplicated'], lo)
assert r['mbufs']['missing'] == 0, 'generator mbufs not returned: %s' % r['mbufs']
assert r['unaccounted'] == 0, 'moltd counters do not add up: %s' % r['totals']
assert r['bins'], 'no time series'
if want_flips:
    assert r['metabolism']['flips'] > 0, 'metabolism every %d ms but no flip' % want_flips
print('ok: latency p50 %.2f p99 %.2f max %.2f us, %d sent, %d lost, %d flips' % (
    lu['p50'], lu['p99'], lu['max'], lo['sent'], lo['lost'], r['metabolism']['flips']))
PY
}

lat=(--build "$BUILD" --latency --v4 1000 --v6 200 --v6-share 0.2 --rate 100k
	--duration 1 --warmup 0.2 --bin 0.1 --frames 1024)
echo "== latency, metabolism off"
"$BENCH" "${lat[@]}" --json "$T/lat_off.json"
check_latency "$T/lat_off.json"
echo "== latency, metabolism every 100 ms"
# Two seconds, as the rate run with metabolism: on a loaded 2-core machine the build thread
# (on the generator's CPU) once went a whole second without a flip.
"$BENCH" "${lat[@]}" --duration 2 --metabolism 100 --json "$T/lat_on.json"
check_latency "$T/lat_on.json" 100

echo "== verify, once per driver ($DRIVERS)"
"$BENCH" --build "$BUILD" --verify --v4 3000 --v6 1000 --v6-share 0.3 --verify-frames 1500 \
	--driver "$DRIVERS" --json "$T/verify.json"
/usr/bin/python3 - "$T/verify.json" "$DRIVERS" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))['verify']
want = sys.argv[2].split(',')
assert sorted(v['drivers']) == sorted(want), 'verified: %s' % sorted(v['drivers'])
for name, x in v['drivers'].items():
    assert x['driver'] == name, '%s ran as %s' % (name, x['driver'])
    assert x['ok'] and x['forwarded_seen'] > 0, '%s: %s' % (name, x['first_errors'])
assert v['ok']
PY
echo "bench_smoke: PASS"
