#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Numbered UDP stream for loss tests.

  sequdp.py send DST PORT COUNT RATE UNTIL SENT.json
        send datagrams numbered 0, 1, ... at RATE per second: at least COUNT, and on until the
        file UNTIL exists (what the stream must outlast), then write {sent} to SENT.json
  sequdp.py recv PORT SENT.json OUT.json
        receive until the sender's SENT.json says how many were sent and all of them arrived,
        or 3 s pass without one after that; write
        {sent, received, unique, duplicates, reordered, missing, first_missing}
"""
import json
import os
import socket
import struct
import sys
import time


def send(dst, port, count, rate, until, sent_file):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    pad = b"m" * 32
    t0 = time.monotonic()
    i = 0
    while i < count or not os.path.exists(until):
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
        i += 1
    tmp = sent_file + ".tmp"
    json.dump({"sent": i}, open(tmp, "w"))
    os.rename(tmp, sent_file)
    print("sent %d in %.2f s" % (i, time.monotonic() - t0))


def recv(port, sent_file, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # 64 MiB, past net.core.rmem_max when run as root (the tests are): a receiver descheduled
    # for a few hundred ms on a loaded machine must not overflow its socket and count as loss.
    # (Linux SO_RCVBUFFORCE is 33; Python 3.11 does not name it.)
    try:
        s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 64 << 20)
    except PermissionError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    seen = bytearray()
    received = unique = dups = reordered = 0
    last = -1
    sent = None
    first_wait = time.monotonic() + 60
    idle_since = None
    while True:
        if sent is None and os.path.exists(sent_file):
            sent = json.load(open(sent_file))["sent"]
        if sent is not None and unique >= sent:
            break
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            now = time.monotonic()
            if received == 0 and sent is None and now < first_wait:
                continue
            # Nothing more will come once the sender is done and 3 s pass quietly.
            if sent is not None:
                idle_since = idle_since or now
                if now - idle_since >= 3:
                    break
            elif received == 0:
                break
            continue
        idle_since = None
        (n,) = struct.unpack("!Q", data[:8])
        received += 1
        if n >= len(seen):
            seen.extend(bytes(max(n + 1 - len(seen), 65536)))
        if seen[n]:
            dups += 1
        else:
            unique += 1
        seen[n] = 1
        if n < last:
            reordered += 1
        last = max(last, n)
    sent = sent if sent is not None else 0
    seen.extend(bytes(max(sent - len(seen), 0)))
    missing = [i for i in range(sent) if not seen[i]]
    res = {"sent": sent, "received": received, "unique": sent - len(missing), "duplicates": dups,
           "reordered": reordered, "missing": len(missing), "first_missing": missing[:10]}
    json.dump(res, open(out, "w"))
    print(json.dumps(res))


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
             sys.argv[7])
    else:
        recv(int(sys.argv[2]), sys.argv[3], sys.argv[4])
