#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks moltd's net_pcap output against the manifest written by pcapgen.py.

    pcapcheck.py --dir DIR [--counters FILE.json] [--log MOLTD.log] [--duration SECONDS]

Every output frame must be explained: a forwarded packet (right egress port, MACs, TTL/hop
limit one less, valid IPv4 checksum, everything else byte for byte), an ICMP/ICMPv6 error
(right type and code, from the ingress port's address to the original source, valid checksums,
quoting the original), an echo reply, or a neighbour-protocol frame of the router's own. Every
packet that must be forwarded or answered must come out exactly once, and nothing that must be
dropped may come out. With --counters, the router's per-port counters (rx, forwarded, drops by
reason) must match what was sent. Prints `pcap e2e: N checked, W wrong` and exits 1 if W > 0.
"""
import argparse
import collections
import glob
import ipaddress
import json
import os
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools',
                                'pylib'))
from molt_pcap import checksum, read_frames  # noqa: E402

MAGIC = b'MOLTe2e!'
# What the router does not forward and must count, per reason (pcapgen's 'drop' field).
DROP_EXACT = {'eth_too_short', 'ethertype_unknown', 'ip4_too_short', 'ip4_bad_version',
              'ip4_bad_ihl', 'ip4_bad_total_length', 'ip4_bad_checksum', 'ip4_bad_source',
              'ip6_too_short', 'ip6_bad_version', 'ip6_bad_payload_length', 'ip6_bad_source',
              'blackhole', 'ttl_exceeded', 'no_route', 'not_forwardable', 'l2_not_for_us'}
# Reasons that must stay 0 in this test (everything is resolvable, nothing overflows).
DROP_ZERO = {'neigh_unresolved', 'punt_ring_full', 'tx_full', 'no_slot',
             'local_dropped'}
# Categories with a known, reported bug in moltd (test/e2e/FINDINGS.md): their wrong outputs
# are printed as KNOWN and do not fail the test, unless MOLT_E2E_STRICT=1. When a fix lands the
# checker says so, and the entry should be removed.
KNOWN_ISSUES = {
    # 'category': 'FINDINGS.md Fn: what goes wrong',
}
ICMP_RATE = 100
ICMP_BURST = 10


def mac_str(b):
    return ':'.join('%02x' % x for x in b)


def ip4s(b):
    return str(ipaddress.IPv4Address(bytes(b)))


def ip6s(b):
    return str(ipaddress.IPv6Address(bytes(b)))


def norm6(s):
    return str(ipaddress.IPv6Address(s))


class Family:
    """What the checks read in an IPv4 or IPv6 packet, and where it is (offsets into the IP
    header): addresses, TTL / hop limit, protocol / next header, the header checksum (IPv4),
    ICMP's protocol number, error types and echo reply type, and the largest ICMP error."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def src(self, ip):
        return self.addr(ip[self.src_off:self.src_off + self.alen])

    def dst(self, ip):
        return self.addr(ip[self.dst_off:self.dst_off + self.alen])

    def hlen(self, ip):
        return (ip[0] & 15) * 4 if self.version == 4 else 40

    def length(self, ip):
        """The packet's length by its header (IPv4 total length, IPv6 40 + payload length)."""
        if self.version == 4:
            return struct.unpack('!H', ip[2:4])[0]
        return 40 + struct.unpack('!H', ip[4:6])[0]

    def icmp_ok(self, ip, icmp):
        """The ICMP checksum verifies (ICMPv6: over the pseudo-header too)."""
        if self.version == 6:
            icmp = ip[8:40] + struct.pack('!IxxxB', len(icmp), 58) + icmp
        return checksum(icmp) == 0

    def masked(self, ip):
        """ip with the fields a router rewrites (TTL / hop limit, IPv4 header checksum)
        zeroed."""
        b = bytearray(ip)
        b[self.ttl] = 0
        if self.csum_off is not None:
            b[self.csum_off:self.csum_off + 2] = b'\0\0'
        return b


FAMILY = {
    4: Family(version=4, addr=ip4s, alen=4, src_off=12, dst_off=16, ttl=8, ttl_name='TTL',
              proto=9, min_hlen=20, csum_off=10, icmp='ICMP', icmp_proto=1, icmp_errors=(3, 11),
              echo_reply=0, err_max=576),
    6: Family(version=6, addr=ip6s, alen=16, src_off=8, dst_off=24, ttl=7, ttl_name='hop limit',
              proto=6, min_hlen=40, csum_off=None, icmp='ICMPv6', icmp_proto=58,
              icmp_errors=(1, 3), echo_reply=129, err_max=1280),
}
# ICMPv6 types the router sends for itself: router/neighbour solicitation and advertisement,
# redirect, MLD.
ND_MLD_TYPES = {130, 131, 132, 133, 134, 135, 136, 137, 143}


class Checker:
    def __init__(self, d):
        with open(os.path.join(d, 'manifest.json')) as f:
            man = json.load(f)
        self.dir = d
        self.ports = man['network']['ports']
        for p in self.ports:
            p['v6'] = norm6(p['v6'])
            p['ll'] = norm6(p['ll'])
        self.neigh = {}
        for ip, mac, k in man['network']['neighbors']:
            self.neigh[(norm6(ip) if ':' in ip else ip, k)] = mac
        self.recs = {r['id']: r for r in man['packets']}
        for r in self.recs.values():
            r['raw'] = bytes.fromhex(r['hex'])
        self.seen = collections.Counter()
        self.errors = []
        self.known = collections.Counter()
        self.strict = os.environ.get('MOLT_E2E_STRICT') == '1'
        self.known_fwd = collections.Counter()  # port name -> known-issue packets forwarded
        self.checked = 0
        self.control = collections.Counter()
        self.icmp_err = collections.Counter()  # (ingress port, kind, family) -> n
        self.out_count = {}

    def wrong(self, where, msg):
        self.errors.append('%s: %s' % (where, msg))

    # --- per frame ---

    def check_all(self):
        for k, p in enumerate(self.ports):
            files = sorted(glob.glob(os.path.join(self.dir, 'out_%s_q*.pcap' % p['name'])))
            if not files:
                self.wrong(p['name'], 'no output pcap (out_%s_q*.pcap)' % p['name'])
            n = 0
            for fn in files:
                try:
                    frames = read_frames(fn)
                except (OSError, ValueError) as e:
                    self.wrong(p['name'], str(e))
                    continue
                for i, fr in enumerate(frames):
                    n += 1
                    self.checked += 1
                    self.check_frame(k, '%s#%d' % (os.path.basename(fn), i), fr)
            self.out_count[p['name']] = n
        self.check_missing()

    def src_mac_of(self, rec):
        """The MAC of the host that sent rec (a static neighbour on the ingress port)."""
        return mac_str(rec['raw'][6:12])

    def check_l2(self, where, k, fr, dmac):
        if mac_str(fr[6:12]) != self.ports[k]['mac']:
            self.wrong(where, 'source MAC %s, expected port MAC %s' % (
                mac_str(fr[6:12]), self.ports[k]['mac']))
        if dmac is not None and mac_str(fr[0:6]) != dmac:
            self.wrong(where, 'destination MAC %s, expected %s' % (mac_str(fr[0:6]), dmac))

    def check_frame(self, k, where, fr):
        if len(fr) < 14:
            return self.wrong(where, 'runt frame of %d bytes' % len(fr))
        et = struct.unpack('!H', fr[12:14])[0]
        if et == 0x0806:
            self.control['arp'] += 1
            return None
        if et == 0x0800:
            return self.check_v4(k, where, fr)
        if et == 0x86dd:
            return self.check_v6(k, where, fr)
        return self.wrong(where, 'unexpected ethertype 0x%04x' % et)

    def rec_by_magic(self, fr):
        i = fr.find(MAGIC)
        if i < 0 or i + 12 > len(fr):
            return None
        return self.recs.get(struct.unpack('!I', fr[i + 8:i + 12])[0])

    def check_v4(self, k, where, fr):
        ip = fr[14:]
        if len(ip) < 20 or ip[0] >> 4 != 4:
            return self.wrong(where, 'bad IPv4 header')
        ihl = (ip[0] & 15) * 4
        tl = struct.unpack('!H', ip[2:4])[0]
        if ihl < 20 or tl < ihl or tl > len(ip):
            return self.wrong(where, 'bad IPv4 lengths ihl=%d tl=%d frame=%d' % (ihl, tl, len(ip)))
        if checksum(ip[:ihl]) != 0:
            self.wrong(where, 'bad IPv4 header checksum')
        return self.check_packet(k, where, fr, ip[:tl], 4)

    def check_v6(self, k, where, fr):
        ip = fr[14:]
        if len(ip) < 40 or ip[0] >> 4 != 6:
            return self.wrong(where, 'bad IPv6 header')
        pl = struct.unpack('!H', ip[4:6])[0]
        if 40 + pl > len(ip):
            return self.wrong(where, 'IPv6 payload length %d beyond frame' % pl)
        return self.check_packet(k, where, fr, ip[:40 + pl], 6)

    def check_packet(self, k, where, fr, ip, fam):
        """ip (header checked, cut to its length): an ICMP message of the router's own, or one
        of the test's packets forwarded."""
        f = FAMILY[fam]
        hl = f.hlen(ip)
        if ip[f.proto] == f.icmp_proto and len(ip) >= hl + 8:
            t = ip[hl]
            if fam == 6 and t in ND_MLD_TYPES:
                self.control['nd/mld type %d' % t] += 1
                return None
            if t in f.icmp_errors:
                return self.check_icmp_err(k, where, fr, ip, hl, fam)
            if t == f.echo_reply:
                return self.check_echo_reply(k, where, fr, ip, hl, fam)
        rec = self.rec_by_magic(ip)
        if rec is None:
            return self.wrong(where, 'unknown IPv%d packet %s -> %s protocol %d' % (
                fam, f.src(ip), f.dst(ip), ip[f.proto]))
        return self.check_forward(k, where, fr, ip, rec, fam)

    def once(self, where, rec, what):
        self.seen[rec['id']] += 1
        if self.seen[rec['id']] > 1:
            self.wrong(where, 'id %d (%s) came out %d times (%s)' % (
                rec['id'], rec['cat'], self.seen[rec['id']], what))
            return False
        return True

    def check_forward(self, k, where, fr, ip, rec, fam):
        where = '%s id %d %s' % (where, rec['id'], rec['cat'])
        exp = rec['expect']
        if exp['what'] != 'forward' and rec['cat'] in KNOWN_ISSUES and not self.strict:
            self.known[rec['cat']] += 1
            self.known_fwd[self.ports[rec['port']]['name']] += 1
            return None
        if exp['what'] != 'forward':
            return self.wrong(where, 'came out forwarded, expected %s' % exp['what'])
        if not self.once(where, rec, 'forward'):
            return None
        if exp['egress'] != k:
            self.wrong(where, 'left on %s, expected %s' % (
                self.ports[k]['name'], self.ports[exp['egress']]['name']))
        self.check_l2(where, k, fr, exp['dmac'])
        f = FAMILY[fam]
        orig = rec['raw'][14:]
        orig = orig[:f.length(orig)]
        if len(ip) != len(orig):
            return self.wrong(where, 'length %d, sent %d' % (len(ip), len(orig)))
        if ip[f.ttl] != orig[f.ttl] - 1:
            self.wrong(where, '%s %d, sent %d' % (f.ttl_name, ip[f.ttl], orig[f.ttl]))
        a, b = f.masked(ip), f.masked(orig)
        if a != b:
            diff = [i for i in range(len(a)) if a[i] != b[i]]
            self.wrong(where, 'packet modified at IP offsets %s' % diff[:8])
        return None

    def quoted_rec(self, where, quote, fam):
        """The manifest record an ICMP error quotes (by UDP destination port = id)."""
        f = FAMILY[fam]
        if len(quote) < f.min_hlen + 8 or len(quote) < f.hlen(quote) + 8:
            return None, 'quote of %d bytes (< IPv%d header + 8)' % (len(quote), fam)
        off, proto = f.hlen(quote), quote[f.proto]
        # The id is the UDP/TCP destination port, or the ICMP echo identifier.
        if proto in (1, 58):
            dport = struct.unpack('!H', quote[off + 4:off + 6])[0]
        else:
            dport = struct.unpack('!H', quote[off + 2:off + 4])[0]
        rec = self.recs.get(dport)
        if rec is None:
            return None, 'quotes an unknown packet (dport %d)' % dport
        return rec, None

    def check_icmp_err(self, k, where, fr, ip, hl, fam):
        icmp = ip[hl:]
        t, code = icmp[0], icmp[1]
        f = FAMILY[fam]
        rec, err = self.quoted_rec(where, icmp[8:], fam)
        if rec is None:
            return self.wrong(where, '%s type %d: %s' % (f.icmp, t, err))
        where = '%s id %d %s' % (where, rec['id'], rec['cat'])
        exp = rec['expect']
        if exp['what'] != 'icmp_error':
            return self.wrong(where, 'got an ICMP error (type %d), expected %s' % (
                t, exp['what']))
        if not self.once(where, rec, 'icmp error'):
            return None
        want = {('unreachable', 4): (3, 0), ('time_exceeded', 4): (11, 0),
                ('unreachable', 6): (1, 0), ('time_exceeded', 6): (3, 0)}[(exp['kind'], fam)]
        if (t, code) != want:
            self.wrong(where, 'type/code %d/%d, expected %d/%d' % (t, code, want[0], want[1]))
        self.icmp_err[(rec['port'], exp['kind'], fam)] += 1
        if k != rec['port']:
            self.wrong(where, 'ICMP error left on %s, expected the ingress port %s' % (
                self.ports[k]['name'], self.ports[rec['port']]['name']))
        self.check_l2(where, k, fr, self.src_mac_of(rec))
        if icmp[4:8] != b'\0\0\0\0':
            self.wrong(where, 'ICMP unused field not zero: %s' % icmp[4:8].hex())
        orig = rec['raw'][14:]
        p = self.ports[rec['port']]
        own = (p['v4'],) if fam == 4 else (p['v6'], p['ll'])
        src, dst = f.src(ip), f.dst(ip)
        if src not in own:
            self.wrong(where, '%s error from %s, expected %s' % (f.icmp, src, ' or '.join(own)))
        if dst != f.src(orig):
            self.wrong(where, '%s error to %s, expected %s' % (f.icmp, dst, f.src(orig)))
        if ip[f.ttl] == 0:
            self.wrong(where, '%s error sent with %s 0' % (f.icmp, f.ttl_name))
        if len(ip) > f.err_max:
            self.wrong(where, '%s error of %d bytes (> %d)' % (f.icmp, len(ip), f.err_max))
        if not f.icmp_ok(ip, icmp):
            self.wrong(where, 'bad %s checksum' % f.icmp)
        quote = icmp[8:]
        if len(quote) > len(orig):
            self.wrong(where, 'quote longer than the original')
            return None
        oq = orig[:len(quote)]
        # The quoted header may carry the TTL as received or decremented.
        if quote[f.ttl] not in (oq[f.ttl], (oq[f.ttl] - 1) & 0xff):
            self.wrong(where, 'quoted %s %d, sent %d' % (f.ttl_name, quote[f.ttl], oq[f.ttl]))
        if f.masked(quote) != f.masked(oq):
            self.wrong(where, 'quote differs from the original')
        return None

    def check_echo_reply(self, k, where, fr, ip, hl, fam):
        icmp = ip[hl:]
        pid = struct.unpack('!H', icmp[4:6])[0]
        rec = self.recs.get(pid)
        if rec is None:
            return self.wrong(where, 'echo reply with unknown id %d' % pid)
        where = '%s id %d %s' % (where, rec['id'], rec['cat'])
        if rec['expect']['what'] != 'echo_reply':
            return self.wrong(where, 'got an echo reply, expected %s' % rec['expect']['what'])
        if not self.once(where, rec, 'echo reply'):
            return None
        if k != rec['port']:
            self.wrong(where, 'echo reply left on %s, expected %s' % (
                self.ports[k]['name'], self.ports[rec['port']]['name']))
        self.check_l2(where, k, fr, self.src_mac_of(rec))
        orig = rec['raw'][14:]
        if icmp[1] != 0:
            self.wrong(where, 'echo reply code %d' % icmp[1])
        f = FAMILY[fam]
        oicmp = orig[f.hlen(orig):f.length(orig)]
        if (f.src(ip), f.dst(ip)) != (f.dst(orig), f.src(orig)):
            self.wrong(where, 'echo reply %s -> %s, request was %s -> %s' % (
                f.src(ip), f.dst(ip), f.src(orig), f.dst(orig)))
        if ip[f.ttl] == 0:
            self.wrong(where, 'echo reply with %s 0' % f.ttl_name)
        if not f.icmp_ok(ip, icmp):
            self.wrong(where, 'bad %s checksum' % f.icmp)
        if icmp[4:] != oicmp[4:]:
            self.wrong(where, 'echo reply identifier/sequence/data differ from the request')
        return None

    def check_missing(self):
        missing = collections.Counter()
        examples = {}
        for r in self.recs.values():
            if r['expect']['what'] in ('forward', 'echo_reply') and not self.seen[r['id']]:
                missing[r['cat']] += 1
                examples.setdefault(r['cat'], r['id'])
        for cat, n in sorted(missing.items()):
            self.wrong('missing', '%d %s packet(s) never came out (e.g. id %d)' % (
                n, cat, examples[cat]))

    def check_icmp_rate(self, duration):
        kinds = collections.Counter()
        for (port, kind, fam), n in self.icmp_err.items():
            kinds[(kind, fam)] += n
        for kind in ('unreachable', 'time_exceeded'):
            for fam in (4, 6):
                if not kinds[(kind, fam)]:
                    self.wrong('icmp', 'no ICMPv%s %s error came out at all' % (
                        '' if fam == 4 else '6', kind))
        if duration is None:
            return
        limit = ICMP_BURST + ICMP_RATE * duration + 1
        per_port = collections.Counter()
        for (port, kind, fam), n in self.icmp_err.items():
            per_port[port] += n
        for port, n in per_port.items():
            if n > limit:
                self.wrong('icmp', '%s sent %d ICMP errors in %.1f s (rate limit allows %d)' % (
                    self.ports[port]['name'], n, duration, limit))

    # --- counters ---

    def expected_counters(self):
        exp = {}
        for k, p in enumerate(self.ports):
            exp[p['name']] = {'rx': 0, 'forwarded': 0, 'drops': collections.Counter()}
        for r in self.recs.values():
            e = exp[self.ports[r['port']]['name']]
            e['rx'] += 1
            if r['expect']['what'] == 'forward':
                e['forwarded'] += 1
            if 'drop' in r['expect']:
                e['drops'][r['expect']['drop']] += 1
        return exp

    def check_counters(self, got, source):
        exp = self.expected_counters()
        for name, e in exp.items():
            g = got.get(name)
            if g is None:
                self.wrong(source, 'no counters for port %s (have %s)' % (name, sorted(got)))
                continue
            if g.get('rx') is not None and g['rx'] != e['rx']:
                self.wrong(source, '%s rx %d, sent %d' % (name, g['rx'], e['rx']))
            e['forwarded'] += self.known_fwd[name]
            if g.get('forwarded') is not None and g['forwarded'] != e['forwarded']:
                self.wrong(source, '%s forwarded %d, expected %d' % (
                    name, g['forwarded'], e['forwarded']))
            if g.get('tx') is not None and name in self.out_count and \
                    g['tx'] != self.out_count[name]:
                self.wrong(source, '%s tx %d, but its pcaps hold %d frames' % (
                    name, g['tx'], self.out_count[name]))
            drops = g.get('drops') or {}
            for reason in sorted(DROP_EXACT):
                want = e['drops'].get(reason, 0)
                have = drops.get(reason)
                if have is None:
                    self.wrong(source, '%s has no %s counter' % (name, reason))
                elif have != want:
                    self.wrong(source, '%s %s = %d, expected %d' % (name, reason, have, want))
            for reason in sorted(DROP_ZERO):
                if drops.get(reason):
                    self.wrong(source, '%s %s = %d, expected 0' % (name, reason, drops[reason]))


# --- counter formats -------------------------------------------------------------------------

COUNTER_KEYS = ('rx', 'tx', 'forwarded', 'punted')


def normalize_counters(obj, port_names):
    """Turns moltd's /molt/ports telemetry answer into {port: {rx, tx, forwarded, drops}}.
    Accepts {name: {...}}, {"ports": [...]}, or a list of {"name": ...}; drop reasons either
    under "drops" or as top-level keys."""
    if isinstance(obj, dict) and 'ports' in obj and isinstance(obj['ports'], (list, dict)):
        obj = obj['ports']
    items = []
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, dict):
                items.append((v.get('name', port_names[i] if i < len(port_names) else str(i)), v))
    elif isinstance(obj, dict):
        items = [(k, v) for k, v in obj.items() if isinstance(v, dict)]
    out = {}
    for name, v in items:
        c = {k: v.get(k) for k in COUNTER_KEYS}
        drops = {}
        d = v.get('drops')
        if isinstance(d, dict):
            drops.update({k: int(x) for k, x in d.items() if isinstance(x, (int, float))})
        for k, x in v.items():
            if k.startswith('drop_') and isinstance(x, int):
                drops.setdefault(k[5:], x)
            elif k not in COUNTER_KEYS and isinstance(x, int) and k in DROP_EXACT | DROP_ZERO:
                drops.setdefault(k, x)
        c['drops'] = drops
        out[str(name)] = c
    return out


def parse_log_counters(text, port_names):
    """Reads the counters moltd prints at exit (control/daemon/exit_report.c):
        port p0 (id 0): rx 1601 tx 950 forwarded 1000 punted 80 dropped 500 ...
          drop ip4_bad_checksum     20
    Reasons not printed are 0. Also accepts `key: value` and `key=value`."""
    out = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r'\s*port\s+(\S+)', line)
        if m and m.group(1) in port_names:
            cur = m.group(1)
            out[cur] = {'drops': {r: 0 for r in DROP_EXACT | DROP_ZERO}}
        elif not line.startswith(' '):
            cur = None
        if cur is None:
            continue
        for k, v in re.findall(r'([a-z][a-z0-9_]*)(?:\s*[:=]\s*|\s+)(\d+)\b', line):
            if k in COUNTER_KEYS:
                out[cur][k] = int(v)
            elif k in DROP_EXACT | DROP_ZERO or k in ('icmp_rate_limited',):
                out[cur]['drops'][k] = int(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--counters', help='JSON of the /molt/ports telemetry answer')
    ap.add_argument('--log', help="moltd's output (counters printed at exit)")
    ap.add_argument('--duration', type=float, help='seconds moltd ran (ICMP rate bound)')
    ap.add_argument('--max-report', type=int, default=40)
    a = ap.parse_args()

    c = Checker(a.dir)
    c.check_all()
    c.check_icmp_rate(a.duration)
    names = [p['name'] for p in c.ports]
    if a.counters:
        with open(a.counters) as f:
            c.check_counters(normalize_counters(json.load(f), names), 'telemetry')
    if a.log:
        with open(a.log, errors='replace') as f:
            got = parse_log_counters(f.read(), names)
        if not got:
            c.wrong('exit counters', 'found no per-port counters in %s' % a.log)
        else:
            c.check_counters(got, 'exit counters')

    kinds = collections.Counter()
    for (port, kind, fam), n in c.icmp_err.items():
        kinds['%s%d' % (kind, fam)] += n
    print('pcap e2e: outputs per port %s; ICMP errors %s; router control frames %s' % (
        c.out_count, dict(kinds), dict(c.control) or 0))
    cats = collections.Counter(r['cat'] for r in c.recs.values())
    for cat, why in sorted(KNOWN_ISSUES.items()):
        if c.known[cat]:
            print('  KNOWN %d of %d %s packets handled wrongly (%s); MOLT_E2E_STRICT=1 fails '
                  'on it' % (c.known[cat], cats[cat], cat, why))
        elif cats[cat]:
            print('  FIXED? all %d %s packets now handled right: remove %s from KNOWN_ISSUES '
                  'in pcapcheck.py' % (cats[cat], cat, cat))
    for e in c.errors[:a.max_report]:
        print('  WRONG ' + e)
    if len(c.errors) > a.max_report:
        print('  ... and %d more' % (len(c.errors) - a.max_report))
    print('pcap e2e: %d checked, %d wrong' % (c.checked, len(c.errors)))
    return 1 if c.errors else 0


if __name__ == '__main__':
    sys.exit(main())
