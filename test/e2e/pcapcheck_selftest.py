#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Self-test of the pcap checker, without moltd: a tiny reference router written here turns
pcapgen.py's input into the output a correct router would produce; pcapcheck must find nothing
wrong in it, and must find something wrong in each deliberately broken variant. Guards against
a checker that silently passes everything.

    pcapcheck_selftest.py [--work DIR]     (other arguments, e.g. meson's build dir, ignored)
"""
import copy
import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, '..', '..', 'tools', 'pylib')]
import pcapcheck  # noqa: E402
from molt_pcap import checksum, write_frames  # noqa: E402


def macb(s):
    return bytes(int(x, 16) for x in s.split(':'))


def ip4_packet(src, dst, icmp):
    """An IPv4 packet of the router's own (TTL 64) around an ICMP message, checksums set."""
    icmp = bytearray(icmp)
    icmp[2:4] = struct.pack('!H', checksum(bytes(icmp)))
    h = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 0, 0, 64, 1, 0, src, dst))
    h[10:12] = struct.pack('!H', checksum(bytes(h)))
    return bytes(h) + bytes(icmp)


def ip6_packet(src, dst, icmp):
    """An IPv6 packet of the router's own (hop limit 64) around an ICMPv6 message, checksum
    set."""
    icmp = bytearray(icmp)
    pseudo = src + dst + struct.pack('!IxxxB', len(icmp), 58)
    icmp[2:4] = struct.pack('!H', checksum(pseudo + bytes(icmp)))
    return bytes([0x60, 0, 0, 0]) + struct.pack('!HBB', len(icmp), 58, 64) + src + dst + \
        bytes(icmp)


def reference_router(man):
    """Returns ({port index: [frames]}, counters) of a correct router (ICMP errors: the first 3
    per port and category, as a rate limiter would)."""
    ports = man['network']['ports']
    out = {k: [] for k in range(len(ports))}
    ctr = {p['name']: {'rx': 0, 'tx': 0, 'forwarded': 0, 'punted': 0,
                       'drops': {r: 0 for r in pcapcheck.DROP_EXACT | pcapcheck.DROP_ZERO}}
           for p in ports}
    nerr = {}
    for r in man['packets']:
        raw = bytes.fromhex(r['hex'])
        e = r['expect']
        k = r['port']
        c = ctr[ports[k]['name']]
        c['rx'] += 1
        if 'drop' in e:
            c['drops'][e['drop']] += 1
        if e['what'] == 'forward':
            c['forwarded'] += 1
            ip = bytearray(raw[14:])
            if ip[0] >> 4 == 4:
                ihl = (ip[0] & 15) * 4
                ip = ip[:struct.unpack('!H', ip[2:4])[0]]
                ip[8] -= 1
                ip[10:12] = b'\0\0'
                ip[10:12] = struct.pack('!H', checksum(bytes(ip[:ihl])))
            else:
                ip = ip[:40 + struct.unpack('!H', ip[4:6])[0]]
                ip[7] -= 1
            out[e['egress']].append(macb(e['dmac']) + macb(ports[e['egress']]['mac']) +
                                    raw[12:14] + bytes(ip))
        elif e['what'] == 'echo_reply':
            c['punted'] += 1
            ip = raw[14:]
            if ip[0] >> 4 == 4:
                tl = struct.unpack('!H', ip[2:4])[0]
                pkt = ip4_packet(ip[16:20], ip[12:16], bytes([0, ip[21], 0, 0]) + ip[24:tl])
            else:
                pl = struct.unpack('!H', ip[4:6])[0]
                pkt = ip6_packet(ip[24:40], ip[8:24], bytes([129, ip[41], 0, 0]) + ip[44:40 + pl])
            out[k].append(raw[6:12] + macb(ports[k]['mac']) + raw[12:14] + pkt)
        elif e['what'] == 'icmp_error':
            key = (k, r['cat'])
            nerr[key] = nerr.get(key, 0) + 1
            if nerr[key] > 3:
                c['drops']['icmp_rate_limited'] = c['drops'].get('icmp_rate_limited', 0) + 1
                continue
            c['punted'] += 1
            ip = raw[14:]
            if ip[0] >> 4 == 4:
                tl = struct.unpack('!H', ip[2:4])[0]
                q = ip[:min(tl, 576 - 28)]
                t = 11 if e['kind'] == 'time_exceeded' else 3
                pkt = ip4_packet(ipaddress.IPv4Address(ports[k]['v4']).packed, ip[12:16],
                                 bytes([t, 0, 0, 0, 0, 0, 0, 0]) + q)
                out[k].append(raw[6:12] + macb(ports[k]['mac']) + b'\x08\x00' + pkt)
            else:
                pl = struct.unpack('!H', ip[4:6])[0]
                q = ip[:40 + pl][:1280 - 48]
                t = 3 if e['kind'] == 'time_exceeded' else 1
                pkt = ip6_packet(ipaddress.IPv6Address(ports[k]['v6']).packed, ip[8:24],
                                 bytes([t, 0, 0, 0, 0, 0, 0, 0]) + q)
                out[k].append(raw[6:12] + macb(ports[k]['mac']) + b'\x86\xdd' + pkt)
    for k, p in enumerate(ports):
        ctr[p['name']]['tx'] = len(out[k])
    return out, ctr


def run_check(d, out, ctr, ports, damage=None):
    """Writes out and ctr as moltd would and runs pcapcheck on them; damage(path), if given,
    then spoils p0's output file."""
    for k, p in enumerate(ports):
        path = os.path.join(d, 'out_%s_q0.pcap' % p['name'])
        write_frames(path, out[k])
        if damage is not None and k == 0:
            damage(path)
    # The telemetry format of moltd (control/telemetry/telemetry.c): flat drop_<reason> keys.
    tel = {}
    for name, c in ctr.items():
        t = {k: c[k] for k in ('rx', 'tx', 'forwarded', 'punted')}
        t.update({'drop_' + r: n for r, n in c['drops'].items()})
        tel[name] = t
    with open(os.path.join(d, 'counters.json'), 'w') as f:
        json.dump(tel, f)
    env = dict(os.environ, MOLT_E2E_STRICT='1')
    r = subprocess.run([sys.executable, os.path.join(HERE, 'pcapcheck.py'), '--dir', d,
                        '--counters', os.path.join(d, 'counters.json'), '--duration', '1'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return r.returncode, r.stdout


def main():
    keep = '--work' in sys.argv
    if keep:
        work = sys.argv[sys.argv.index('--work') + 1]
    else:
        work = tempfile.mkdtemp(prefix='pcapcheck-selftest.')
    try:
        subprocess.run([sys.executable, os.path.join(HERE, 'pcapgen.py'), '--out', work,
                        '--shm', '/unused', '--per-port', '400', '--seed', '5'], check=True)
        with open(os.path.join(work, 'manifest.json')) as f:
            man = json.load(f)
        ports = man['network']['ports']
        good, ctr = reference_router(man)
        rc, text = run_check(work, good, ctr, ports)
        print(text.strip().splitlines()[-1])
        if rc != 0:
            print(text)
            print('SELFTEST FAIL: the checker rejects a correct router')
            return 1

        # Kinds of output frame: forwarded UDP (IPv4, IPv6), ICMP errors the router sent.
        def fwd4(fr):
            return pcapcheck.MAGIC in fr and fr[12:14] == b'\x08\x00' and fr[23] == 17

        def fwd6(fr):
            return pcapcheck.MAGIC in fr and fr[12:14] == b'\x86\xdd' and fr[20] == 17

        def err4(fr):
            return fr[12:14] == b'\x08\x00' and fr[23] == 1 and fr[34] in (3, 11)

        def err6(fr):
            return fr[12:14] == b'\x86\xdd' and fr[20] == 58 and fr[54] in (1, 3)

        def fwd_index(out, port, kind=fwd4):
            for i, fr in enumerate(out[port]):
                if kind(fr):
                    return i
            raise AssertionError('no %s frame on port %d' % (kind.__name__, port))

        def mutate(name, fn, damage=None):
            out = copy.deepcopy(good)
            c = copy.deepcopy(ctr)
            fn(out, c)
            rc, text = run_check(work, out, c, ports, damage)
            ok = rc != 0
            print('%-40s %s' % (name, 'detected' if ok else 'NOT DETECTED'))
            return ok

        def flip(out, c, off, kind=fwd4, fix_icmp4_sum=False):
            """Flips a bit at off in p0's first frame of kind (then, for an ICMP error, makes its
            checksum right again, so that only the change itself can be caught)."""
            i = fwd_index(out, 0, kind)
            b = bytearray(out[0][i])
            b[off] ^= 0x01
            if fix_icmp4_sum:
                b[36:38] = b'\0\0'
                b[36:38] = struct.pack('!H', checksum(bytes(b[34:])))
            out[0][i] = bytes(b)

        drop_rec = next(r for r in man['packets'] if r['cat'] == 'blackhole4')
        results = [
            mutate('payload byte changed', lambda o, c: flip(o, c, -1)),
            mutate('TTL not decremented', lambda o, c: flip(o, c, 14 + 8)),
            mutate('IPv6 hop limit not decremented', lambda o, c: flip(o, c, 14 + 7, fwd6)),
            mutate('IPv6 payload byte changed', lambda o, c: flip(o, c, -1, fwd6)),
            mutate('ICMP error quote differs', lambda o, c: flip(o, c, -1, err4, True)),
            mutate('ICMPv6 error checksum wrong', lambda o, c: flip(o, c, 14 + 40 + 2, err6)),
            mutate('source MAC wrong', lambda o, c: flip(o, c, 6)),
            mutate('destination MAC wrong', lambda o, c: flip(o, c, 0)),
            mutate('forwarded packet missing', lambda o, c: o[0].pop(fwd_index(o, 0))),
            mutate('forwarded packet duplicated', lambda o, c: o[0].append(o[0][fwd_index(o, 0)])),
            mutate('forwarded on the wrong port',
                   lambda o, c: o[1].append(o[0].pop(fwd_index(o, 0)))),
            mutate('blackholed packet came out',
                   lambda o, c: o[0].append(bytes.fromhex(drop_rec['hex']))),
            mutate('ICMP errors all missing',
                   lambda o, c: [o.__setitem__(k, [f for f in o[k] if not (
                       f[12:14] == b'\x08\x00' and f[23] == 1 and f[34] in (3, 11))])
                       for k in o]),
            mutate('a drop counter off by one',
                   lambda o, c: c['p1']['drops'].__setitem__('ip4_bad_checksum',
                                                             c['p1']['drops']['ip4_bad_checksum']
                                                             + 1)),
            mutate('rx counter short', lambda o, c: c['p2'].__setitem__('rx', c['p2']['rx'] - 1)),
            # A writer stopped mid-frame: the capture must not pass for a shorter one.
            mutate('output pcap ends inside a record', lambda o, c: None,
                   lambda path: os.truncate(path, os.path.getsize(path) - 5)),
            mutate('output pcap ends inside a record header', lambda o, c: None,
                   lambda path: open(path, 'ab').write(bytes(7))),
        ]
        if not all(results):
            print('SELFTEST FAIL: the checker missed a broken output')
            return 1
        print('pcapcheck self-test: correct output passes, %d broken variants detected'
              % len(results))
        return 0
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
