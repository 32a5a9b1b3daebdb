# SPDX-License-Identifier: BSD-3-Clause
# molt-bench --verify: a reference longest-prefix match over the route file (plus the ports'
# connected prefixes), written for obviousness, not speed, and a check of every frame moltd sent
# out of its forwarding ports: the right port, both MACs rewritten, TTL / hop limit one less,
# the IPv4 checksum still valid, every other byte unchanged. Every frame the reference says is
# forwarded must come out exactly once; every other frame must not come out at all.
import socket
import struct

from bench_traffic import MAGIC
from molt_pcap import checksum


def connected_prefixes(ports):
    """The ports' own subnets as Reference takes them: (family, masked network, plen, port
    name) from molt-bench's (name, IPv4/len, IPv6/len, MAC) port rows."""
    connected = []
    for name, v4, v6, _ in ports:
        for pfx, fam in ((v4, 4), (v6, 6)):
            addr, plen = pfx.split('/')
            plen, bits = int(plen), 32 if fam == 4 else 128
            af = socket.AF_INET if fam == 4 else socket.AF_INET6
            net = int.from_bytes(socket.inet_pton(af, addr), 'big')
            net &= ((1 << plen) - 1) << (bits - plen)
            connected.append((fam, net, plen, name))
    return connected


class Reference:
    """LPM over {plen: {masked network: target}} per family."""

    def __init__(self, v4, v6, connected):
        self.t = {4: {}, 6: {}}
        for fam, table in ((4, v4), (6, v6)):
            for net, plen, target in table:
                self.t[fam].setdefault(plen, {})[net] = target
        # Connected prefixes win over equal-length feed routes (moltd shadows those).
        for fam, net, plen, port in connected:
            self.t[fam].setdefault(plen, {})[net] = 'dev:' + port
        self.lens = {f: sorted(self.t[f], reverse=True) for f in (4, 6)}

    def lookup(self, fam, addr):
        bits = 32 if fam == 4 else 128
        for plen in self.lens[fam]:
            mask = ((1 << plen) - 1) << (bits - plen) if plen else 0
            target = self.t[fam][plen].get(addr & mask)
            if target is not None:
                return target
        return None


def parse(fr):
    """(family, dst int, seq, ttl offset) of one of our frames, or None."""
    if len(fr) < 14:
        return None
    et = fr[12:14]
    if et == b'\x08\x00' and len(fr) >= 14 + 20 + 16:
        ihl = (fr[14] & 0xf) * 4
        if fr[23] != 17 or fr[14 + ihl + 8:14 + ihl + 12] != MAGIC:
            return None
        seq = struct.unpack_from('!I', fr, 14 + ihl + 12)[0]
        return 4, int.from_bytes(fr[30:34], 'big'), seq, 22
    if et == b'\x86\xdd' and len(fr) >= 14 + 40 + 16:
        if fr[20] != 17 or fr[62:66] != MAGIC:
            return None
        seq = struct.unpack_from('!I', fr, 66)[0]
        return 6, int.from_bytes(fr[38:54], 'big'), seq, 21
    return None


def expected(ref, fr, gateways):
    """(port, neighbour MAC) the frame must leave through, or None if it must not leave."""
    p = parse(fr)
    if p is None:
        return None
    fam, dst, _, ttl_off = p
    if fr[ttl_off] <= 1:
        return None
    if fam == 4 and checksum(fr[14:34]) != 0:
        return None
    # Never forwarded (RFC 1812 5.3.7, RFC 4291): 0/8, 127/8, multicast, class E; ff00::/8.
    if fam == 4 and (dst >> 24 in (0, 127) or dst >> 24 >= 224):
        return None
    if fam == 6 and (dst >> 120 == 0xff or dst in (0, 1)):
        return None
    target = ref.lookup(fam, dst)
    if target is None or target == 'blackhole':
        return None
    if target.startswith('dev:'):
        # On-link: forwarded only to a statically known neighbour.
        ip = dst.to_bytes(4 if fam == 4 else 16, 'big')
        return gateways.get(ip)
    return gateways.get(target)


def check(ref, inputs, outputs, gateways, port_macs, limit=20):
    """inputs: frames sent; outputs: {port: [frames]}. Returns (stats dict, error strings)."""
    errs = []
    seen = {}
    other = 0
    for port, frames in outputs.items():
        for fr in frames:
            p = parse(fr)
            if p is None:
                other += 1  # ARP, ICMP and ND the control thread sent
                continue
            seq = p[2]
            if seq >= len(inputs):
                errs.append('%s: frame with unknown sequence %d' % (port, seq))
                continue
            seen[seq] = seen.get(seq, 0) + 1
            inp = inputs[seq]
            exp = expected(ref, inp, gateways)
            if exp is None:
                errs.append('#%d left via %s but the reference does not forward it' % (seq, port))
                continue
            want = bytearray(inp)
            want[0:6] = exp[1]
            want[6:12] = port_macs[exp[0]]
            ttl_off = p[3]
            want[ttl_off] -= 1
            if p[0] == 4:
                want[24:26] = b'\0\0'
                want[24:26] = struct.pack('!H', checksum(bytes(want[14:34])))
            if exp[0] != port:
                errs.append('#%d left via %s, reference says %s' % (seq, port, exp[0]))
            elif bytes(want) != fr:
                diff = [i for i in range(min(len(fr), len(want))) if fr[i] != want[i]]
                errs.append('#%d via %s: rewrite differs at bytes %s' % (seq, port, diff[:8]))
    want_fwd = 0
    for seq, inp in enumerate(inputs):
        if expected(ref, inp, gateways) is None:
            continue
        want_fwd += 1
        n = seen.get(seq, 0)
        if n != 1:
            errs.append('#%d should be forwarded once, seen %d times' % (seq, n))
    stats = {'sent': len(inputs), 'expected_forwarded': want_fwd,
             'forwarded_seen': sum(seen.values()), 'other_frames': other,
             'errors': len(errs)}
    return stats, errs[:limit]
