#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Numbered UDP streams to several destinations, and the sinks that count where they landed, for
the integrity tamper test (integrity_tamper.sh).

  tamper_stream.py send PHASE RATE STOP OUT.json DST...
        send datagrams to DST... in turn, RATE per second in all, until the file STOP exists;
        then write {"sent": [count per DST], "t0": t, "t1": t} to OUT.json
  tamper_stream.py sink IFACE PORT STATUS.json ADDR...
        in a host's namespace: receive the stream on ADDR... (this host's destinations) and
        watch IFACE with a packet socket for every datagram of the stream that reaches this
        host although it should not: one for another host's destination, or one for this
        host's whose Ethernet destination is not IFACE's MAC. Rewrites STATUS.json every
        100 ms, until SIGTERM:
        {"phases": {PHASE: {"received": {DST: n}, "dup": {DST: n},
                             "misdirected": {DST: n}, "mis_first": t, "mis_last": t}}}

Every datagram is MAGIC, phase, destination index and sequence number, so a frame seen by the
packet socket says which stream it belongs to. Times are CLOCK_MONOTONIC (one clock for every
namespace), so the test can compare them with the time of the tamper.
"""
import json
import os
import select
import signal
import socket
import struct
import sys
import time

MAGIC = b"MTMP"
HDR = struct.Struct("!4sHHI")  # magic, phase, destination index, sequence
PAD = b"t" * 32
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33  # Linux; Python 3.11 does not name it


def send(phase, rate, stop, out, dsts):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sent = [0] * len(dsts)
    t0 = time.monotonic()
    i = 0
    step = max(1, rate // 1000)
    while not os.path.exists(stop):
        # Pace in steps of 1 ms worth of datagrams: sleeping per datagram is too coarse.
        if i % step == 0:
            due = t0 + i / rate
            while time.monotonic() < due:
                time.sleep(0.0002)
        d = i % len(dsts)
        while True:
            try:
                s.sendto(HDR.pack(MAGIC, phase, d, sent[d]) + PAD, (dsts[d], 9000))
                break
            except BlockingIOError:
                time.sleep(0.0001)
        sent[d] += 1
        i += 1
    tmp = out + ".tmp"
    json.dump({"sent": sent, "t0": t0, "t1": time.monotonic()}, open(tmp, "w"))
    os.rename(tmp, out)


def big_rcvbuf(s):
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    except PermissionError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)


def sink(iface, port, status, addrs):
    own = set(addrs)
    mac = open("/sys/class/net/%s/address" % iface).read().strip()
    mac = bytes(int(x, 16) for x in mac.split(":"))
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    big_rcvbuf(raw)
    raw.bind((iface, ETH_P_IP))
    socks = []
    for a in addrs:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        big_rcvbuf(u)
        u.bind((a, port))
        socks.append(u)
    phases = {}
    seen = {}  # (phase, dest) -> set of sequence numbers received

    def ph(p):
        return phases.setdefault(str(p), {"received": {}, "dup": {}, "misdirected": {},
                                           "mis_first": None, "mis_last": None})

    def dump():
        tmp = status + ".tmp"
        json.dump({"phases": phases}, open(tmp, "w"))
        os.rename(tmp, status)

    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    dump()
    last = time.monotonic()
    fds = [raw] + socks
    while not stop:
        try:
            ready, _, _ = select.select(fds, [], [], 0.05)
        except InterruptedError:
            continue
        for s in ready:
            for _ in range(256):
                try:
                    if s is raw:
                        frame, sa = raw.recvfrom(2048, socket.MSG_DONTWAIT)
                    else:
                        data, _ = s.recvfrom(2048, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                except OSError:  # the interface went away: the test is over
                    stop.append(1)
                    break
                now = time.monotonic()
                if s is raw:
                    # Ethernet, IPv4 (IHL), UDP to port: ours? Then was it meant for here?
                    if sa[2] == PACKET_OUTGOING or len(frame) < 14 + 20 + 8 + HDR.size:
                        continue
                    ihl = (frame[14] & 15) * 4
                    if frame[23] != 17:
                        continue
                    udp = 14 + ihl
                    if struct.unpack("!H", frame[udp + 2:udp + 4])[0] != port:
                        continue
                    hdr = frame[udp + 8:udp + 8 + HDR.size]
                    if len(hdr) < HDR.size:
                        continue
                    magic, p, d, seq = HDR.unpack(hdr)
                    dst = socket.inet_ntoa(frame[30:34])
                    if magic != MAGIC or (dst in own and frame[0:6] == mac):
                        continue
                    e = ph(p)
                    e["misdirected"][dst] = e["misdirected"].get(dst, 0) + 1
                    if e["mis_first"] is None:
                        e["mis_first"] = now
                    e["mis_last"] = now
                else:
                    if len(data) < HDR.size:
                        continue
                    magic, p, d, seq = HDR.unpack(data[:HDR.size])
                    if magic != MAGIC:
                        continue
                    dst = addrs[socks.index(s)]
                    e = ph(p)
                    got = seen.setdefault((p, dst), set())
                    if seq in got:
                        e["dup"][dst] = e["dup"].get(dst, 0) + 1
                    else:
                        got.add(seq)
                        e["received"][dst] = e["received"].get(dst, 0) + 1
        if time.monotonic() - last >= 0.1:
            dump()
            last = time.monotonic()
    dump()


def main():
    a = sys.argv[1:]
    if len(a) >= 5 and a[0] == "send":
        send(int(a[1]), int(a[2]), a[3], a[4], a[5:])
    elif len(a) >= 5 and a[0] == "sink":
        sink(a[1], int(a[2]), a[3], a[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
