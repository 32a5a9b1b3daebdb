#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes a pcap of N minimum-size UDP frames to random destinations inside the prefixes of a
# route file (the traffic of the forwarding benchmark). Plain struct packing, no scapy: fast.
import argparse
import ipaddress
import random
import struct


def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--routes', required=True)
    ap.add_argument('--count', type=int, default=65536)
    ap.add_argument('--dst-mac', required=True)
    ap.add_argument('--src-ip', default='10.0.0.2')
    ap.add_argument('--src-ip6', default='fd00::2')
    ap.add_argument('--v6-share', type=float, default=0.0, help='fraction of IPv6 frames')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('-o', required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    v4, v6 = [], []
    with open(a.routes) as f:
        for line in f:
            w = line.split('#')[0].split()
            if len(w) < 2 or w[1] == 'blackhole':
                continue
            n = ipaddress.ip_network(w[0])
            (v4 if n.version == 4 else v6).append(n)
    dmac, smac = mac(a.dst_mac), mac('02:00:00:00:00:aa')
    src4 = ipaddress.IPv4Address(a.src_ip).packed
    src6 = ipaddress.IPv6Address(a.src_ip6).packed
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    for i in range(a.count):
        if v6 and (not v4 or rnd.random() < a.v6_share):
            n = rnd.choice(v6)
            host = rnd.getrandbits(128 - n.prefixlen) if n.prefixlen < 128 else 0
            dst = (int(n.network_address) | host).to_bytes(16, 'big')
            udp = struct.pack('!HHHH', 1024 + i % 1000, 9, 8 + 10, 0) + bytes(10)
            ip = struct.pack('!IHBB', 6 << 28, len(udp), 17, 64) + src6 + dst
            frame = dmac + smac + b'\x86\xdd' + ip + udp
        else:
            n = rnd.choice(v4)
            host = rnd.getrandbits(32 - n.prefixlen) if n.prefixlen < 32 else 0
            dst = (int(n.network_address) | host).to_bytes(4, 'big')
            udp = struct.pack('!HHHH', 1024 + i % 1000, 9, 8 + 18, 0) + bytes(18)
            hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17,
                              0, src4, dst)
            hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
            frame = dmac + smac + b'\x08\x00' + hdr + udp
        out.append(struct.pack('<IIII', 0, i, len(frame), len(frame)) + frame)
    with open(a.o, 'wb') as f:
        f.write(b''.join(out))


if __name__ == '__main__':
    main()
