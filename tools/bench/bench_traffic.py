# SPDX-License-Identifier: BSD-3-Clause
# molt-bench traffic: reads a route file and writes a pcap of UDP frames whose destinations
# follow a chosen pattern over the table's prefixes. Plain struct packing (scapy's packet
# classes would be far too slow), written through molt_pcap (tools/pylib): a 1M-route table and
# 64k frames take a few seconds.
#
# Every frame carries "MOLT" + a 32-bit sequence number at the start of the UDP payload, so
# --verify can match each output frame to the frame it came from.
import random
import socket
import struct

from molt_pcap import checksum, write_frames

MAGIC = b'MOLT'
SRC4 = socket.inet_pton(socket.AF_INET, '10.0.0.2')
SRC6 = socket.inet_pton(socket.AF_INET6, 'fd00::2')
SMAC = bytes.fromhex('02000000' '00aa')


def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))


def read_routes(path):
    """Returns (v4, v6, all): lists of (network int, plen, target) and the parsed lines.

    target is the gateway string, 'dev:PORT', or 'blackhole'."""
    v4, v6 = [], []
    with open(path) as f:
        for line in f:
            w = line.split('#', 1)[0].split()
            if not w:
                continue
            pfx, _, plen = w[0].partition('/')
            fam = socket.AF_INET6 if ':' in pfx else socket.AF_INET
            net = int.from_bytes(socket.inet_pton(fam, pfx), 'big')
            bits = 128 if fam == socket.AF_INET6 else 32
            plen = int(plen) if plen else bits
            if 'blackhole' in w:
                target = 'blackhole'
            elif 'via' in w:
                target = w[w.index('via') + 1]
            elif 'dev' in w:
                target = 'dev:' + w[w.index('dev') + 1]
            else:
                continue
            (v6 if bits == 128 else v4).append((net, plen, target))
    return v4, v6


def _host(rnd, net, plen, bits):
    return net | (rnd.getrandbits(bits - plen) if plen < bits else 0)


# Hosts drawn in a prefix before settling for one the table does not forward.
HOST_TRIES = 32


def _forwarded_host(rnd, net, plen, bits, fam, forwarded):
    """A random host in the prefix that forwarded(fam, host) accepts: a host can fall in a more
    specific blackhole (or a route molt-bench's moltd cannot install), and benchmark traffic is
    meant to be forwarded. After HOST_TRIES misses, the last host drawn."""
    for _ in range(HOST_TRIES):
        dst = _host(rnd, net, plen, bits)
        if forwarded is None or forwarded(fam, dst):
            break
    return dst


def frame4(dmac, dst, seq, size, ttl=64, bad_csum=False):
    pay = max(size - 4 - 14 - 20 - 8, 8)
    body = MAGIC + struct.pack('!I', seq) + bytes(pay - 8)
    udp = struct.pack('!HHHH', 1024 + seq % 1000, 9, 8 + len(body), 0) + body
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), seq & 0xffff, 0, ttl, 17, 0,
                      SRC4, dst.to_bytes(4, 'big'))
    c = checksum(hdr) ^ (0x5555 if bad_csum else 0)
    hdr = hdr[:10] + struct.pack('!H', c) + hdr[12:]
    return dmac + SMAC + b'\x08\x00' + hdr + udp


def frame6(dmac, dst, seq, size, hlim=64):
    pay = max(size - 4 - 14 - 40 - 8, 8)
    body = MAGIC + struct.pack('!I', seq) + bytes(pay - 8)
    udp = struct.pack('!HHHH', 1024 + seq % 1000, 9, 8 + len(body), 0) + body
    ip = struct.pack('!IHBB', 6 << 28, len(udp), 17, hlim) + SRC6 + dst.to_bytes(16, 'big')
    return dmac + SMAC + b'\x86\xdd' + ip + udp


def choose(rnd, pattern, table, count, zipf_s):
    """Indices into table for count frames."""
    if not table:
        return []
    if pattern == 'single':
        return [rnd.randrange(len(table))] * count
    if pattern == 'zipf':
        # Rank r (1-based) has weight r^-s; ranks are dealt to prefixes in random order.
        order = list(range(len(table)))
        rnd.shuffle(order)
        cum, acc = [], 0.0
        for r in range(1, len(table) + 1):
            acc += r ** -zipf_s
            cum.append(acc)
        return [order[i] for i in rnd.choices(range(len(table)), cum_weights=cum, k=count)]
    return [rnd.randrange(len(table)) for _ in range(count)]


def generate(v4, v6, path, count, dst_mac, pattern='uniform', v6_share=0.0, size=64, zipf_s=1.0,
             seed=1, odd=None, forwarded=None):
    """Writes the pcap; returns the list of frames.

    odd: for --verify, a dict of fractions {'miss', 'ttl1', 'badsum'} of frames that go to a
    random address, expire, or carry a bad IPv4 checksum.
    forwarded: (family, address) -> whether the table forwards it; hosts are drawn until it says
    so (see _forwarded_host)."""
    rnd = random.Random(seed)
    dmac = mac(dst_mac)
    # Benchmark traffic goes where it is forwarded; --verify's misses cover the rest.
    v4 = [r for r in v4 if r[2] != 'blackhole']
    v6 = [r for r in v6 if r[2] != 'blackhole']
    n6 = int(round(count * v6_share)) if v6 else 0
    if not v4:
        n6 = count
    fam = [6] * n6 + [4] * (count - n6)
    rnd.shuffle(fam)
    pick4 = iter(choose(rnd, pattern, v4, count - n6, zipf_s))
    pick6 = iter(choose(rnd, pattern, v6, n6, zipf_s))
    single = {}
    frames = []
    for seq, f in enumerate(fam):
        table, bits = (v4, 32) if f == 4 else (v6, 128)
        net, plen, _ = table[next(pick4 if f == 4 else pick6)]
        if pattern == 'single':
            # One flow: one destination, not one prefix.
            if f not in single:
                single[f] = _forwarded_host(rnd, net, plen, bits, f, forwarded)
            dst = single[f]
        else:
            dst = _forwarded_host(rnd, net, plen, bits, f, forwarded)
        ttl, bad = 64, False
        if odd:
            r = rnd.random()
            if r < odd.get('miss', 0):
                dst = rnd.getrandbits(bits)
                if f == 4:  # keep it a forwardable unicast address
                    dst = (dst & 0x00ffffff) | (rnd.randrange(1, 224) << 24)
                    if dst >> 24 in (10, 127):
                        dst ^= 1 << 30
                else:
                    dst = (dst & ((1 << 125) - 1)) | (1 << 125)  # 2000::/3
            elif r < odd.get('miss', 0) + odd.get('ttl1', 0):
                ttl = 1
            elif f == 4 and r < odd.get('miss', 0) + odd.get('ttl1', 0) + odd.get('badsum', 0):
                bad = True
        if f == 4:
            frames.append(frame4(dmac, dst, seq, size, ttl, bad))
        else:
            frames.append(frame6(dmac, dst, seq, size, ttl))
    write_frames(path, frames)
    return frames
