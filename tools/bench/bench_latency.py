# SPDX-License-Identifier: BSD-3-Clause
# molt-bench --latency: one run of molt-bench-lat (moltd's own code plus a generator lcore on
# net_ring ports, tools/bench/lat_main.c) on the same table, traffic and moltd config as a
# rate run, and its result in molt-bench's result format. See docs/bench.md.
import json
import os
import sys
import time

import bench_verify
from molt_pcap import write_frames

# Stamp (16 bytes) after Ethernet + IPv6 + UDP headers, plus the FCS molt-bench counts in
# --frame-size: the smallest frame that carries a stamp in IPv6. IPv4 fits in 64.
MIN_FRAME_V6 = 4 + 14 + 40 + 8 + 16


def forwardable(table, frames, ports, neighbors):
    """The frames the table forwards to a configured neighbour. A random host in a prefix can
    fall in a more specific blackhole; moltd drops those, rightly, and a latency run must count
    only moltd's own losses."""
    ref = bench_verify.Reference(table.v4, table.v6, bench_verify.connected_prefixes(ports))
    gateways = {ip for ip, _, _ in neighbors}
    keep = []
    for fr in frames:
        if fr[12:14] == b'\x08\x00':
            fam, dst = 4, int.from_bytes(fr[30:34], 'big')
        else:
            fam, dst = 6, int.from_bytes(fr[38:54], 'big')
        if ref.lookup(fam, dst) in gateways:
            keep.append(fr)
    return keep


def pcap(b, table, pattern, name, ports, neighbors):
    """The rate run's traffic, less the frames moltd is right to drop."""
    path, frames = b.pcap(table, pattern, name)
    keep = forwardable(table, frames, ports, neighbors)
    if not keep:
        print('molt-bench: --latency: no frame of the traffic is forwarded by the table',
              file=sys.stderr)
        sys.exit(1)
    write_frames(path, keep)
    return path, len(frames) - len(keep)


def keep_off_workers(workers):
    """Moves molt-bench, and so the route server and everything else it starts, off the worker
    CPUs (1..workers): their wake-ups would otherwise land in moltd's latency."""
    cpus = set(range(os.cpu_count() or 1)) - set(range(1, workers + 1))
    if cpus and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, cpus)


def lcore_map(workers, cpus):
    """EAL --lcores: control on CPU 0, worker i on CPU i; the generator (the last lcore, which
    moltd leaves out of its workers) on a CPU of its own if there is one, else on CPU 0 next
    to the control thread (which sleeps when idle)."""
    gen_cpu = workers + 1 if cpus > workers + 1 else 0
    m = ['0@0'] + ['%d@%d' % (i, i % cpus) for i in range(1, workers + 1)]
    return ','.join(m + ['%d@%d' % (workers + 1, gen_cpu)]), gen_cpu


def run(b, table, pcap, interval_ms, label, proc_cls, telemetry_cls, parse_exit_report):
    """One molt-bench-lat run; returns a result dict like Bench.run's, with latency_us and
    loss filled in."""
    a = b.a
    b.n += 1
    slots = 2
    prefix = '%sl%d' % (b.id, b.n)
    cfgpath = b.config(table, ['net_ring_in', 'net_ring_out1', 'net_ring_out2'], interval_ms,
                       slots)
    lat_json = os.path.join(b.tmp, 'lat%d.json' % b.n)
    lcores, gen_cpu = lcore_map(a.workers, os.cpu_count() or 1)
    # The generator's pool (~16k mbufs) comes on top of moltd's.
    eal = b.eal(prefix, b.mem_mb(table, slots) + 64)
    i = eal.index('-l')
    eal[i:i + 2] = ['--lcores', lcores]
    argv = [b.tool('tools/bench/molt-bench-lat')] + eal + ['--', '-c', cfgpath, '--',
                                                          '--pcap', pcap,
                                                          '--rate', str(a.rate),
                                                          '--duration', str(a.duration),
                                                          '--warmup', str(a.warmup),
                                                          '--bin', str(a.bin),
                                                          '--json', lat_json]
    p = proc_cls(argv, os.path.join(b.tmp, 'lat%d.log' % b.n),
                 stdout=os.path.join(b.tmp, 'lat%d.out' % b.n))
    flips = flips_per_bin(p, prefix, a, telemetry_cls, argv)
    end = time.time() + a.warmup + a.duration + 120
    while p.alive() and time.time() < end:
        time.sleep(0.1)
    rc = p.stop()
    if not os.path.exists(lat_json):
        print('molt-bench: molt-bench-lat failed (exit %s, %s):\n%s' % (
            rc, ' '.join(argv), p.text()[-3000:]), file=sys.stderr)
        sys.exit(1)
    with open(lat_json) as f:
        lat = json.load(f)
    with open(p.out.name) as f:
        final = parse_exit_report(f.read())
    return result(a, table, lat, final, flips, interval_ms, label, rc, gen_cpu,
                  b.metabolism_supported())


def flips_per_bin(p, prefix, a, telemetry_cls, argv):
    """Flips seen by the workers in each bin of the measured window, from telemetry (the
    generator starts when moltd forwards, and logs it)."""
    end = time.time() + 300
    while 'generator on lcore' not in p.text():
        if not p.alive() or time.time() > end:
            return []
        time.sleep(0.02)
    try:
        tel = telemetry_cls(prefix, timeout=10)
    except OSError:
        return []

    def flips_seen():
        return max((w['flips_seen'] for w in tel.get('/molt/workers').values()), default=0)
    out = []
    try:
        time.sleep(a.warmup)
        last, t = flips_seen(), time.monotonic()
        nbins = int(round(a.duration / a.bin))
        for k in range(nbins):
            time.sleep(max(0.0, t + (k + 1) * a.bin - time.monotonic()))
            now = flips_seen()
            out.append(now - last)
            last = now
    except (OSError, ValueError, KeyError):
        pass  # the run ended (or was cut short): what was sampled stands
    tel.close()
    return out


def result(a, table, lat, final, flips, interval_ms, label, rc, gen_cpu, supported):
    tot = final['totals']
    busy = sum(w['busy_cycles'] for w in final['workers'].values())
    # Without telemetry samples, the exit report's count (warm-up included, and less the
    # first slot, which every worker "sees" at its first burst).
    whole_run_flips = max(max((w['flips_seen'] for w in final['workers'].values()),
                              default=0) - 1, 0)
    g = lat['generator']
    lu, loss = lat['latency_us'], lat['loss']
    bins = []
    for i, x in enumerate(lat['bins']):
        bins.append({'t': round(x['t'], 6), 'mpps': x['received'] / lat['bin_s'] / 1e6,
                     'flips': flips[i] if i < len(flips) else 0,
                     'sent': x['sent'], 'received': x['received'], 'lost': x['lost'],
                     'p50_us': x['p50_us'], 'p99_us': x['p99_us'], 'max_us': x['max_us']})
    mpps = g['achieved_pps'] / 1e6
    return {
        'label': label or '%s routes, %s, latency at %s pps' % (
            table.v4n + table.v6n, a.traffic, a.rate),
        'mode': 'latency',
        'table': {'v4': table.v4n, 'v6': table.v6n, 'file': table.path},
        'traffic': {'pattern': a.traffic, 'v6_share': a.v6_share, 'frame_size': a.frame_size,
                    'frames': a.frames, 'zipf_s': a.zipf_s},
        'workers': a.workers, 'duration_s': lat['duration_s'], 'warmup_s': lat['warmup_s'],
        'metabolism': {'interval_ms': interval_ms, 'supported': supported,
                       'flips': sum(flips) if flips else whole_run_flips},
        'rate_pps': a.rate,
        'mpps': mpps, 'mpps_per_worker': mpps / a.workers,
        'mbit_s': None, 'mbit_s_l1': None,
        'cycles_per_packet': busy / tot['rx'] if tot['rx'] else None,
        'totals': tot, 'drops': final['drops'], 'unaccounted': final['unaccounted'],
        'latency_us': {k: lu[k] for k in ('p50', 'p90', 'p99', 'p999', 'max', 'min', 'mean',
                                          'count')},
        'loss': {k: loss[k] for k in ('sent', 'received', 'lost', 'duplicated', 'reordered',
                                      'late', 'stuck', 'foreign')},
        'generator': dict(g, cpu=gen_cpu, tsc_hz=lat['tsc_hz'], burst=lat['burst'],
                          drain_ms=lat['drain_ms']),
        'mbufs': lat['mbufs'],
        'exit': rc,
        'bins': bins,
    }


def summary_lines(r):
    lu, lo, g = r['latency_us'], r['loss'], r['generator']
    lines = []
    if lu['count']:
        lines.append('  latency: p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f us '
                     '(%d frames at %d pps; generator on CPU %d)' % (
                         lu['p50'], lu['p90'], lu['p99'], lu['p999'], lu['max'], lu['count'],
                         r['rate_pps'], g['cpu']))
    else:
        lines.append('  latency: no frame of the measured window came back')
    lines.append('  loss: sent %d received %d lost %d duplicated %d reordered %d '
                 '(late %d, stuck %d)' % (lo['sent'], lo['received'], lo['lost'],
                                          lo['duplicated'], lo['reordered'], lo['late'],
                                          lo['stuck']))
    if g['ring_full'] or g['alloc_failed']:
        lines.append('  generator: %d of %d scheduled frames not sent (moltd rx ring full %d, '
                     'no mbuf %d): %.2f Mpps achieved' % (
                         g['attempted'] - lo['sent'], g['attempted'], g['ring_full'],
                         g['alloc_failed'], g['achieved_pps'] / 1e6))
    if r['mbufs']['missing']:
        lines.append('  mbufs: %d of the generator\'s %d did not come back' % (
            r['mbufs']['missing'], r['mbufs']['pool']))
    return lines
