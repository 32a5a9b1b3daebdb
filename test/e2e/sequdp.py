#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Numbered UDP stream for loss tests.

  sequdp.py send DST PORT COUNT RATE   send COUNT datagrams numbered 0..COUNT-1 at RATE per second
  sequdp.py recv PORT COUNT OUT.json   receive until COUNT arrived or 3 s pass without one; write
                                       {received, unique, duplicates, reordered, missing, first_missing}
"""
import json
import socket
import struct
import sys
import time


def send(dst, port, count, rate):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    pad = b"m" * 32
    t0 = time.monotonic()
    for i in range(count):
        # Pace in steps of 1 ms worth of packets: sleeping per packet is too coarse.
        if i % max(1, rate // 1000) == 0:
            due = t0 + i / rate
            while time.monotonic() < due:
                time.sleep(0.0002)
        while True:
            try:
                s.sendto(struct.pack("!Q", i) + pad, (dst, port))
                break
            except BlockingIOError:
                time.sleep(0.0001)
    print("sent %d in %.2f s" % (count, time.monotonic() - t0))


def recv(port, count, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(60)
    seen = bytearray(count)
    received = dups = reordered = 0
    last = -1
    while received < count:
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            break
        s.settimeout(3)
        (n,) = struct.unpack("!Q", data[:8])
        received += 1
        if n >= count:
            continue
        if seen[n]:
            dups += 1
        seen[n] = 1
        if n < last:
            reordered += 1
        last = max(last, n)
    missing = [i for i in range(count) if not seen[i]]
    res = {"received": received, "unique": count - len(missing), "duplicates": dups,
           "reordered": reordered, "missing": len(missing), "first_missing": missing[:10]}
    json.dump(res, open(out, "w"))
    print(json.dumps(res))


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        recv(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
