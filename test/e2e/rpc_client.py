#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""JSON-RPC clients for the control-socket tests: well-behaved ones that time requests, and
adversarial ones. Every wait is bounded; every reply is checked.

    rpc_client.py SOCK rate [--batches N] [--size K]     route.add batch rate (route server)
    rpc_client.py SOCK abuse                             garbage, partial, oversize, ...
    rpc_client.py SOCK concurrent [--clients C] [--requests N] [--method M]
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

TIMEOUT = 20.0


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(path)
    return s


class Lines:
    """Reads newline-terminated replies from a socket."""

    def __init__(self, s):
        self.s, self.buf = s, b''

    def line(self):
        while b'\n' not in self.buf:
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError('connection closed with %d bytes pending' % len(self.buf))
            self.buf += d
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)


def call(s, lines, method, params=None, rid=1):
    req = {'jsonrpc': '2.0', 'id': rid, 'method': method}
    if params is not None:
        req['params'] = params
    s.sendall(json.dumps(req).encode() + b'\n')
    rep = lines.line()
    if rep.get('id') != rid:
        raise AssertionError('reply id %r for request %r' % (rep.get('id'), rid))
    return rep


def check_alive(path, method):
    s = connect(path)
    rep = call(s, Lines(s), method)
    s.close()
    if 'result' not in rep:
        raise AssertionError('%s after abuse: %r' % (method, rep))


def rate(args):
    s = connect(args.sock)
    lines = Lines(s)
    total, elapsed = 0, 0.0
    for b in range(args.batches):
        # 10.B.x.y/32-style distinct prefixes: 172.16.0.0/12 space, /32 hosts.
        base = (172 << 24) | (16 << 16) | (b * args.size)
        routes = ['%d.%d.%d.%d/32 via 10.0.1.2' % ((a >> 24) & 255, (a >> 16) & 255,
                                                  (a >> 8) & 255, a & 255)
                  for a in range(base, base + args.size)]
        t0 = time.perf_counter()
        rep = call(s, lines, 'route.add', {'routes': routes}, rid=b + 1)
        dt = time.perf_counter() - t0
        if rep.get('result') != {'added': args.size, 'replaced': 0}:
            raise AssertionError('batch %d: %r' % (b, rep))
        total += args.size
        elapsed += dt
    print('route.add: %d batches of %d routes, %.1f ms per batch, %.0f routes/s' %
          (args.batches, args.size, elapsed / args.batches * 1e3, total / elapsed))
    s.close()


def expect_error(rep, code, what):
    err = rep.get('error')
    if not err or err.get('code') != code:
        raise AssertionError('%s: expected error %d, got %r' % (what, code, rep))


def abuse(args):
    path, m = args.sock, args.method
    results = []

    # 1. Random garbage, then close: the server must survive (and may answer parse errors).
    s = connect(path)
    try:
        s.sendall(os.urandom(1 << 20))
    except OSError:
        pass  # the server may drop us once it sees an oversized line
    s.close()
    check_alive(path, m)
    results.append('1 MiB of random bytes: server alive')

    # 2. Half-written requests, connection left open, then closed mid-line.
    held = []
    for i in range(20):
        s = connect(path)
        s.sendall(b'{"jsonrpc":"2.0","id":%d,"method":"%s"' % (i, m.encode()))
        held.append(s)
    check_alive(path, m)
    for s in held:
        s.close()
    check_alive(path, m)
    results.append('20 half-written requests held open: others answered')

    # 3. A request over 1 MiB: an error naming the size (or a drop), never a crash.
    s = connect(path)
    big = b'{"jsonrpc":"2.0","id":1,"method":"%s","params":{"x":"' % m.encode()
    big += b'a' * ((1 << 20) + 1000) + b'"}}\n'
    try:
        s.sendall(big)
        rep = Lines(s).line()
        expect_error(rep, -32600, 'oversized request')
        results.append('request over 1 MiB: error %d: %s' % (rep['error']['code'],
                                                            rep['error']['message'][:60]))
    except (OSError, EOFError) as e:
        results.append('request over 1 MiB: connection dropped (%s)' % type(e).__name__)
    s.close()
    check_alive(path, m)

    # 4. Invalid JSON, a wrong envelope, an unknown method, then a valid request: all on one
    # connection, every one answered in order.
    s = connect(path)
    lines = Lines(s)
    s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": \n')
    expect_error(lines.line(), -32700, 'invalid JSON')
    s.sendall(b'{"id": 2, "method": 5}\n')
    expect_error(lines.line(), -32600, 'wrong envelope')
    s.sendall(b'{"jsonrpc":"2.0","id":3,"method":"no.such"}\n')
    expect_error(lines.line(), -32601, 'unknown method')
    rep = call(s, lines, m, rid=4)
    if 'result' not in rep:
        raise AssertionError('valid request after errors: %r' % rep)
    # Pipelined: three requests in one write, answered in order.
    s.sendall(b''.join(b'{"jsonrpc":"2.0","id":%d,"method":"%s"}\n' % (10 + i, m.encode())
                       for i in range(3)))
    ids = [lines.line().get('id') for _ in range(3)]
    if ids != [10, 11, 12]:
        raise AssertionError('pipelined replies out of order: %r' % ids)
    s.close()
    results.append('invalid JSON / bad envelope / unknown method then valid: all answered')

    # 5. A client that sends many requests and never reads: the server must keep serving
    # others, and drop it at its output limit rather than buffer forever.
    stuck = connect(path)
    stuck.setblocking(False)
    req = b'{"jsonrpc":"2.0","id":1,"method":"%s"}\n' % m.encode()
    sent, t_end = 0, time.time() + 5
    while time.time() < t_end and sent < 200000:
        try:
            stuck.send(req * 100)
            sent += 100
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    check_alive(path, m)
    stuck.close()
    results.append('client that never reads (%d requests sent): others answered' % sent)

    for r in results:
        print('ok:', r)


def concurrent(args):
    errors = []
    counts = [0] * args.clients

    def worker(i):
        try:
            s = connect(args.sock)
            lines = Lines(s)
            for n in range(args.requests):
                rep = call(s, lines, args.method, rid=n + 1)
                if 'result' not in rep:
                    raise AssertionError('client %d request %d: %r' % (i, n, rep))
                counts[i] += 1
            s.close()
        except Exception as e:  # noqa: BLE001 - every failure is reported below
            errors.append('client %d: %s' % (i, e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 3)
    dt = time.perf_counter() - t0
    if errors or sum(counts) != args.clients * args.requests:
        print('\n'.join(errors[:10]), file=sys.stderr)
        raise AssertionError('%d of %d replies' % (sum(counts), args.clients * args.requests))
    print('ok: %d clients x %d %s: every reply checked, %.0f requests/s' %
          (args.clients, args.requests, args.method, sum(counts) / dt))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('sock')
    p.add_argument('mode', choices=['rate', 'abuse', 'concurrent'])
    p.add_argument('--batches', type=int, default=10)
    p.add_argument('--size', type=int, default=10000)
    p.add_argument('--clients', type=int, default=50)
    p.add_argument('--requests', type=int, default=100)
    p.add_argument('--method', default='route.count')
    args = p.parse_args()
    try:
        {'rate': rate, 'abuse': abuse, 'concurrent': concurrent}[args.mode](args)
    except (AssertionError, OSError, EOFError, ValueError) as e:
        print('rpc_client.py: %s: %s' % (args.mode, e), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
