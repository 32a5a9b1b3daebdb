#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Detection latency of the integrity auditor (run by tools/tamper-latency.sh): N tampers of the
slot in use, one at a time, each at a random routed address of the table and of each kind in
turn; for each, the latency moltd measured (integrity.detection's latency_ns: from the tamper's
store to the detection) and the time until a fresh slot was in use as this client saw it.

  tamper_latency.py --sock SOCK --routes FILE [--count 100] [--seed 1] [--json OUT]
        [--kinds nexthop_mac,nexthop_port,lookup]
"""
import argparse
import ipaddress
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integrity_tamper import Listener, Rpc, active_slot, wait  # noqa: E402


def addresses(path, rng, n):
    """n addresses, each inside a random route of the file (routed, so the tamper has a target)."""
    prefixes = []
    for line in open(path):
        f = line.split()
        if len(f) >= 3 and f[1] == "via" and "/" in f[0]:
            prefixes.append(f[0])
    if not prefixes:
        raise SystemExit("no routes via a gateway in %s" % path)
    out = []
    for _ in range(n):
        net = ipaddress.ip_network(rng.choice(prefixes), strict=False)
        host = rng.randrange(net.num_addresses) if net.num_addresses > 1 else 0
        out.append(str(net.network_address + host))
    return out


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def summary(name, v):
    if not v:
        return "%s: none" % name
    return "%s over %d: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms" % (
        name, len(v), pct(v, 50), pct(v, 90), pct(v, 99), max(v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sock", required=True)
    ap.add_argument("--routes", required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default="nexthop_mac,nexthop_port,lookup")
    ap.add_argument("--json")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    kinds = args.kinds.split(",")
    rpc = Rpc(args.sock)
    listener = Listener(args.sock)
    listener.start()
    st = rpc.call("integrity.status").get("result", {})
    period_s = st.get("period_ms", 1000) / 1000.0
    samples = []
    skipped = 0
    for i, addr in enumerate(addresses(args.routes, rng, args.count * 2)):
        if len(samples) == args.count:
            break
        kind = kinds[len(samples) % len(kinds)]
        seen = len(listener.notes)
        t0 = time.monotonic()
        r = rpc.call("debug.tamper", {"kind": kind, "address": addr})
        if "error" in r:
            # An address on a next hop the kind cannot change (a blackhole, say): another one.
            skipped += 1
            continue
        gen = r["result"]["generation"]
        # The detection of this tamper: of the slot it changed (another slot's, e.g. one
        # already quarantined, does not count).
        t_note, p = wait("integrity.detection after tamper %d" % i, 20 * period_s,
                         lambda: next(((t, n["params"]) for t, n in listener.notes[seen:]
                                       if n["params"]["generation"] == gen), None),
                         interval=0.002)
        wait("a fresh slot in use after tamper %d" % i, 60,
             lambda: active_slot(rpc)["generation"] != gen, interval=0.005)
        t_heal = time.monotonic()
        # The next tamper hits a slot the auditor has MACed whole: wait for the build to end.
        wait("metabolism to be idle after tamper %d" % i, 60,
             lambda: all(s["state"] not in ("building", "draining")
                         for s in rpc.result("slot.list")), interval=0.01)
        samples.append({
            "kind": kind, "address": addr, "driver": r["result"]["driver"],
            "region": p.get("region"), "latency_ms": p["latency_ns"] / 1e6,
            "notified_ms": (t_note - t0) * 1e3, "healed_ms": (t_heal - t0) * 1e3,
        })
    st = rpc.call("integrity.status").get("result", {})
    print("integrity: %s, period %s ms, budget %s %% (%s bytes per period), %s slots audited "
          "(%s bytes, %.2f periods per pass)" %
          (st.get("algorithm"), st.get("period_ms"), st.get("budget_percent"),
           st.get("budget_bytes"), st.get("slots"), st.get("bytes_tracked"),
           st.get("periods_per_pass", 0)))
    print("moltd's own detection latency: %s" % st.get("detection_latency"))
    # moltd reports 0 when its clock reading of the control loop's turn predates the tamper's:
    # found in the very turn of the tamper (the client saw the notification at once).
    quick = sum(1 for s in samples if s["latency_ms"] == 0)
    if quick:
        print("%d detections in the control loop's turn of the tamper itself (latency 0)" %
              quick)
    print(summary("detection latency (moltd: tamper store -> detection)",
                  [s["latency_ms"] for s in samples]))
    for d in sorted({s["driver"] for s in samples}):
        print("  " + summary(d, [s["latency_ms"] for s in samples if s["driver"] == d]))
    for k in kinds:
        print("  " + summary(k, [s["latency_ms"] for s in samples if s["kind"] == k]))
    print(summary("tamper -> notification received (client)",
                  [s["notified_ms"] for s in samples]))
    print(summary("tamper -> fresh slot in use (client)", [s["healed_ms"] for s in samples]))
    if skipped:
        print("%d addresses skipped (their next hop cannot be tampered with that kind)" % skipped)
    if args.json:
        json.dump({"samples": samples, "status": st}, open(args.json, "w"), indent=1)
    sys.exit(0 if len(samples) == args.count else 1)


if __name__ == "__main__":
    main()
