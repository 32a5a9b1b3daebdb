#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the BGP end-to-end test (bgp_e2e.sh) and the convergence measurement.

  bgp_tool.py prefix I                    the I-th announced prefix (100.64.0.0/24 + I * 256)
  bgp_tool.py bird-routes N FILE          BIRD static routes for prefixes 0..N-1
  bgp_tool.py send PORT COUNT N           COUNT datagrams to .1 of COUNT prefixes spread over 0..N-1
  bgp_tool.py recv PORT EXPECT TIMEOUT OUT
        count UDP datagrams to PORT (any local address) until EXPECT arrived or TIMEOUT s
        passed; write {received, destinations} to OUT
  bgp_tool.py first PORT TIMEOUT OUT     write when the first datagram to PORT arrived
  bgp_tool.py measure N OUT.json --bgp-vty DIR --rs SOCK --moltd SOCK --start-after FILE
        --bird-sock SOCK --bird-ns NS
        time the stages of one announcement of N prefixes (see bgp_e2e.sh --measure)
"""
import argparse
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # not exported by every Python build
BASE = int(ipaddress.IPv4Address("100.64.0.0"))


def prefix(i):
    return "%s/24" % ipaddress.IPv4Address(BASE + i * 256)


def addr(i, host=1):
    return str(ipaddress.IPv4Address(BASE + i * 256 + host))


def bird_routes(n, path):
    with open(path, "w") as f:
        for i in range(n):
            f.write("route %s blackhole;\n" % prefix(i))


def spread(count, n):
    return [addr(i * n // count) for i in range(count)]


def send(port, count, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for k, a in enumerate(spread(count, n)):
        s.sendto(b"molt-bgp %d" % k, (a, port))
        if k % 20 == 19:
            time.sleep(0.002)


def recv(port, expect, timeout, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    got, dests = 0, set()
    end = time.monotonic() + timeout
    # Tell the test we listen (it polls for the file).
    with open(out + ".ready", "w") as f:
        f.write("listening\n")
    while got < expect and time.monotonic() < end:
        try:
            _, anc, _, _ = s.recvmsg(2048, 256)
        except socket.timeout:
            continue
        got += 1
        for level, typ, data in anc:
            if level == socket.SOL_IP and typ == IP_PKTINFO:
                dests.add(socket.inet_ntoa(data[8:12]))
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"received": got, "destinations": len(dests)}, f)
    os.rename(tmp, out)


def first(port, timeout, out):
    """Writes the wall-clock time the first datagram to PORT arrived (the traffic stage)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(timeout)
    with open(out + ".ready", "w") as f:
        f.write("listening\n")
    s.recv(2048)
    t = time.time()
    with open(out + ".tmp", "w") as f:
        f.write("%.6f\n" % t)
    os.rename(out + ".tmp", out)


def rpc(path, method, params=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    req = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        req["params"] = params
    s.sendall(json.dumps(req).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        buf += chunk
    s.close()
    reply = json.loads(buf)
    if "error" in reply:
        raise RuntimeError("%s: %s" % (method, reply["error"]))
    return reply["result"]


def vty(d, cmd):
    out = subprocess.run(["vtysh", "--vty_socket", d, "-c", cmd], capture_output=True,
                         text=True, timeout=20).stdout
    return json.loads(out) if out.strip() else {}


def bird_exported(sock, ns):
    out = subprocess.run(["ip", "netns", "exec", ns, "birdc", "-s", sock, "show", "protocols",
                          "all", "molt"], capture_output=True, text=True, timeout=20).stdout
    for line in out.splitlines():
        # "    Routes:         0 imported, 10001 exported, 0 preferred"
        if "exported" in line and "Routes:" in line:
            return int(line.split(",")[1].split()[0])
    return 0


def measure(a):
    """Polls each stage, each in a thread of its own, until it holds the N prefixes.

    Stages, in the order a route passes them:
      bird      BIRD exported N prefixes to the BGP session (birdc show protocols all)
      bgpd      bgpd received N prefixes from the peer (show bgp summary: pfxRcd)
      zebra     zebra has N BGP routes in its FIB (show ip route summary)
      fpm_first the route server has the first of them
      fpm       the route server has N FPM routes (fpm.status routes), published at once
      feed      moltd's mirror of the feed holds them (feed.status mirror_routes)
      slot      moltd's active slot forwards the last prefix (route.lookup)
    moltd answers its control socket late while it builds a slot: the traffic stage (the
    first datagram to the last prefix that arrived at the peer, bgp_e2e.sh) is the exact one.
    A stage got there between the start of its last query that said no and the end of its
    first that said yes: both are recorded (a busy daemon answers its CLI late).
    """
    n = a.n
    last = addr(n - 1, 9)
    stages = ["bird", "bgpd", "zebra", "fpm_first", "fpm", "feed", "slot"]
    done = {}

    def holds(stage):
        if stage == "bird":
            return bird_exported(a.bird_sock, a.bird_ns) >= n
        if stage == "bgpd":
            s = vty(a.bgp_vty, "show bgp ipv4 unicast summary json")
            return any(p.get("pfxRcd", 0) >= n for p in s.get("peers", {}).values())
        if stage == "zebra":
            s = vty(a.bgp_vty, "show ip route summary json")
            return any(r.get("type") == "ebgp" and r.get("fib", 0) >= n
                       for r in s.get("routes", []))
        if stage == "fpm_first":
            return rpc(a.rs, "fpm.status")["routes"] > a.base_fpm
        if stage == "fpm":
            return rpc(a.rs, "fpm.status")["routes"] >= n
        if stage == "feed":
            return rpc(a.moltd, "feed.status")["mirror_routes"] >= a.base_mirror + n
        if stage == "slot":
            r = rpc(a.moltd, "route.lookup", {"addresses": [last]})
            return r[0]["action"] == "forward"
        raise ValueError(stage)

    end = time.monotonic() + 5
    while not os.path.exists(a.start_after):
        if time.monotonic() > end:
            sys.exit("measure: no start file")
        time.sleep(0.001)
    t0 = float(open(a.start_after).read())
    deadline = time.time() + a.timeout

    def poll(stage):
        last_no = t0
        while time.time() < deadline:
            q0 = time.time()
            try:
                ok = holds(stage)
            except (OSError, ValueError, RuntimeError, subprocess.TimeoutExpired):
                ok = False
            if ok:
                done[stage] = (round(last_no - t0, 3), round(time.time() - t0, 3))
                return
            last_no = q0
            time.sleep(0.005)

    threads = [threading.Thread(target=poll, args=(st,)) for st in stages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A stage's time: the end of the first query that saw the routes; before: the bracket.
    res = {"n": n, "stages": {s: done[s][1] for s in stages if s in done},
           "brackets": {s: done[s] for s in stages if s in done}}
    with open(a.out, "w") as f:
        json.dump(res, f)
    if len(done) < len(stages):
        sys.exit("measure: timed out: %s" % res)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "prefix":
        print(prefix(int(args[0])))
    elif cmd == "addr":
        print(addr(int(args[0]), int(args[1]) if len(args) > 1 else 1))
    elif cmd == "bird-routes":
        bird_routes(int(args[0]), args[1])
    elif cmd == "send":
        send(int(args[0]), int(args[1]), int(args[2]))
    elif cmd == "first":
        first(int(args[0]), float(args[1]), args[2])
    elif cmd == "recv":
        recv(int(args[0]), int(args[1]), float(args[2]), args[3])
    elif cmd == "measure":
        p = argparse.ArgumentParser(prog="bgp_tool.py measure")
        p.add_argument("n", type=int)
        p.add_argument("out")
        p.add_argument("--bgp-vty", required=True)
        p.add_argument("--rs", required=True)
        p.add_argument("--moltd", required=True)
        p.add_argument("--base-mirror", type=int, default=0)
        p.add_argument("--base-fpm", type=int, default=0)
        p.add_argument("--start-after", required=True)
        p.add_argument("--bird-sock", required=True)
        p.add_argument("--bird-ns", required=True)
        p.add_argument("--timeout", type=float, default=120)
        measure(p.parse_args(args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
