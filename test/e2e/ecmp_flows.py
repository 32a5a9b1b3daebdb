#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Flows for the ECMP test (ecmp_e2e.sh): one UDP datagram per flow, and where each one arrived.

    ecmp_flows.py round ROUND COUNT RATE OUT.json NAME=PCAP...
        sends flows 0..COUNT-1 (one datagram each, at RATE per second) from this namespace,
        then reads the captures (tcpdump -U -w, still being written) until every flow of this
        round is in one of them, or nothing new has come for 3 s (at most 30 s after sending);
        flows still missing are sent again, up to 3 times (a datagram lost on a busy machine
        says nothing about path choice). Writes {"paths": {flow: [NAME...]}, "missing": [...],
        "resent": N} and prints a summary. Exits 1 when a flow is still missing.
    ecmp_flows.py spread OUT.json TOLERANCE_PERCENT NAME,...
        every flow arrived at exactly one NAME, and each of the NAMEs got within TOLERANCE of
        an even share
    ecmp_flows.py same BEFORE.json AFTER.json
        every flow arrived where it arrived before
    ecmp_flows.py moved BEFORE.json AFTER.json GONE
        flows that went to GONE before now spread over the others (each of them gets some);
        every other flow kept its NAME

Flow i: UDP from this host's address, source port 10000 + i, to 198.18.(i % 4).(i % 250 + 1)
port 9999; the payload says the round and i, so a capture tells the flows and rounds apart.
"""
import errno
import json
import os
import socket
import struct
import sys
import time

MAGIC = b"ECMPflow"
DPORT = 9999
SPORT_BASE = 10000
PCAP_HDR = 24
REC_HDR = 16


def flow_dst(i):
    return "198.18.%d.%d" % (i % 4, i % 250 + 1)


def send(rnd, flows, rate):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    t0 = time.monotonic()
    step = max(1, rate // 500)  # pace in 2 ms steps: sleeping per datagram is too coarse
    for n, i in enumerate(flows):
        if n % step == 0:
            due = t0 + n / rate
            while time.monotonic() < due:
                time.sleep(0.0005)
        payload = MAGIC + struct.pack("!II", rnd, i)
        # UDP checksum 0: none, valid in IPv4; the kernel writes the IP header.
        udp = struct.pack("!HHHH", SPORT_BASE + i, DPORT, 8 + len(payload), 0) + payload
        while True:
            try:
                s.sendto(udp, (flow_dst(i), 0))
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.ENOBUFS):
                    raise
                time.sleep(0.001)
    s.close()


def read_pcap(path, rnd, into, name):
    """Adds name to into[i] for each flow i of round rnd in the capture. Tolerates a capture
    still being written: a record cut at the end is left for the next read."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return
    if len(data) < PCAP_HDR:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a pcap" % path)
    off = PCAP_HDR
    while off + REC_HDR <= len(data):
        caplen = struct.unpack_from(end + "I", data, off + 8)[0]
        if off + REC_HDR + caplen > len(data):
            break
        fr = data[off + REC_HDR : off + REC_HDR + caplen]
        off += REC_HDR + caplen
        if len(fr) < 14 + 20 + 8 + 16 or fr[12:14] != b"\x08\x00" or fr[14 + 9] != 17:
            continue
        ihl = (fr[14] & 0xF) * 4
        pl = fr[14 + ihl + 8 :]
        if pl[:8] != MAGIC or len(pl) < 16:
            continue
        r, i = struct.unpack_from("!II", pl, 8)
        if r == rnd:
            into.setdefault(i, set()).add(name)


def collect(rnd, caps):
    seen = {}
    for name, path in caps:
        read_pcap(path, rnd, seen, name)
    return seen


def wait_arrivals(rnd, count, caps):
    """Reads the captures until all count flows are in, or nothing new for 3 s (bounded)."""
    deadline = time.monotonic() + 30
    last, quiet_since = -1, time.monotonic()
    while True:
        seen = collect(rnd, caps)
        n = sum(1 for i in range(count) if i in seen)
        if n == count:
            return seen
        now = time.monotonic()
        if n != last:
            last, quiet_since = n, now
        elif now - quiet_since >= 3 or now >= deadline:
            return seen
        time.sleep(0.2)


def do_round(rnd, count, rate, out, caps):
    t0 = time.monotonic()
    send(rnd, range(count), rate)
    sent_s = time.monotonic() - t0
    seen = wait_arrivals(rnd, count, caps)
    resent = 0
    for _ in range(3):
        missing = [i for i in range(count) if i not in seen]
        if not missing:
            break
        print("round %d: %d flows not seen yet (first %s): sending them again"
              % (rnd, len(missing), missing[:5]))
        resent += len(missing)
        send(rnd, missing, rate)
        seen = wait_arrivals(rnd, count, caps)
    missing = [i for i in range(count) if i not in seen]
    per = {}
    for names in seen.values():
        for n in names:
            per[n] = per.get(n, 0) + 1
    print("round %d: %d flows sent in %.1f s, %d resent; arrived %s; missing %d"
          % (rnd, count, sent_s, resent, " ".join("%s %d" % kv for kv in sorted(per.items())),
             len(missing)))
    json.dump({"paths": {str(i): sorted(v) for i, v in seen.items()}, "missing": missing,
               "resent": resent}, open(out, "w"))
    return 1 if missing else 0


def load(path):
    return {int(k): v for k, v in json.load(open(path))["paths"].items()}


def spread(path, tol, names):
    paths = load(path)
    wrong = []
    multi = [i for i, v in paths.items() if len(v) != 1]
    if multi:
        wrong.append("%d flows arrived at more than one path (e.g. flow %d at %s)"
                     % (len(multi), multi[0], paths[multi[0]]))
    per = {}
    for v in paths.values():
        for n in v:
            per[n] = per.get(n, 0) + 1
    names = sorted(set(names) | set(per))
    even = len(paths) / max(1, len(names))
    print("spread over %d paths: %s (even: %.0f, tolerance %s %%)"
          % (len(names), ", ".join("%s %d" % (n, per.get(n, 0)) for n in names), even, tol))
    for n in names:
        if abs(per.get(n, 0) - even) > even * tol / 100.0:
            wrong.append("%s got %d flows, more than %s %% off %.0f" % (n, per.get(n, 0), tol,
                                                                      even))
    return wrong


def same(before, after):
    a, b = load(before), load(after)
    moved = [i for i in a if a[i] != b.get(i)]
    print("%d of %d flows arrived where they did before" % (len(a) - len(moved), len(a)))
    if moved:
        return ["%d flows changed path (e.g. flow %d: %s then %s)"
                % (len(moved), moved[0], a[moved[0]], b.get(moved[0]))]
    return []


def moved(before, after, gone):
    a, b = load(before), load(after)
    wrong = []
    kept = [i for i in a if a[i] != [gone]]
    changed = [i for i in kept if b.get(i) != a[i]]
    if changed:
        wrong.append("%d flows not on %s changed path (e.g. flow %d: %s then %s)"
                     % (len(changed), gone, changed[0], a[changed[0]], b.get(changed[0])))
    orphans = [i for i in a if a[i] == [gone]]
    per = {}
    for i in orphans:
        for n in b.get(i, []):
            per[n] = per.get(n, 0) + 1
    others = sorted({n for v in a.values() for n in v if n != gone})
    print("%d flows kept their path; the %d flows of %s went to %s"
          % (len(kept) - len(changed), len(orphans), gone,
             ", ".join("%s %d" % (n, per.get(n, 0)) for n in others)))
    if gone in per:
        wrong.append("%d flows still arrived at %s" % (per[gone], gone))
    for n in others:
        if per.get(n, 0) == 0:
            wrong.append("none of %s's flows went to %s" % (gone, n))
    return wrong


def main(argv):
    cmd = argv[1]
    if cmd == "round":
        caps = [a.split("=", 1) for a in argv[6:]]
        return do_round(int(argv[2]), int(argv[3]), int(argv[4]), argv[5], caps)
    if cmd == "spread":
        wrong = spread(argv[2], float(argv[3]), argv[4].split(","))
    elif cmd == "same":
        wrong = same(argv[2], argv[3])
    elif cmd == "moved":
        wrong = moved(argv[2], argv[3], argv[4])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for w in wrong:
        print("FAIL: " + w)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
