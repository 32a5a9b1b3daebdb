#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Drives every moltd JSON-RPC method over its UNIX socket and checks the answers; route.lookup
is compared, address by address, with a reference longest-prefix match over the route file
and the config (the same rules as control/slot/slot_build.c). Run by test/e2e/rpc_moltd.sh.

    rpc_moltd.py --socket S --config C --routes R --pid P [--lookups N] [--seed S]
"""
import argparse
import ipaddress
import json
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools',
                                'pylib'))
from molt_pcap import checksum, write_frames  # noqa: E402

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print('  FAIL: ' + what, file=sys.stderr)


class Rpc:
    """JSON-RPC 2.0, one object per line, on a UNIX stream socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b''
        self.next_id = 1

    def raw(self, method, params=None):
        req = {'jsonrpc': '2.0', 'id': self.next_id, 'method': method}
        if params is not None:
            req['params'] = params
        self.next_id += 1
        self.sock.sendall(json.dumps(req).encode() + b'\n')
        while b'\n' not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError('moltd closed the connection')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        reply = json.loads(line)
        if reply.get('id') != req['id']:
            raise RuntimeError('reply id %r for request %r' % (reply.get('id'), req['id']))
        return reply

    def call(self, method, params=None):
        reply = self.raw(method, params)
        if 'error' in reply:
            raise RuntimeError('%s: %s' % (method, reply['error']))
        return reply['result']

    def error(self, method, params, code, message):
        """Expects an error with this code whose message starts with message."""
        reply = self.raw(method, params)
        err = reply.get('error')
        ok = (err is not None and err.get('code') == code and
              err.get('message', '').startswith(message))
        check(ok, '%s %s: want error %d "%s", got %s' % (method, json.dumps(params), code,
                                                          message, json.dumps(reply)))


def show(title, value):
    text = json.dumps(value, indent=1)
    lines = text.splitlines()
    if len(lines) > 24:
        lines = lines[:24] + ['  ... (%d more lines)' % (len(lines) - 24)]
    print('--- %s' % title)
    print('\n'.join(lines))


# --- the reference: longest-prefix match over what slot_build installs ----------------------

class Reference:
    def __init__(self, config, link_locals, routes_file):
        self.tables = {4: {}, 6: {}}  # family -> plen -> {network int: answer}
        self.subnets = []             # (network, port) of the connected subnets
        self.count = {4: 0, 6: 0}
        ports = {p['name'] for p in config['ports']}
        keys = {}  # ours: connected subnets, own addresses, special ranges
        local = ('local', None, None)
        for p in config['ports']:
            for a in p.get('ipv4', []) + p.get('ipv6', []):
                iface = ipaddress.ip_interface(a)
                keys[iface.network] = ('forward', 'on-link', p['name'])
                self.subnets.append((iface.network, p['name']))
        for p in config['ports']:
            for a in p.get('ipv4', []) + p.get('ipv6', []):
                keys[ipaddress.ip_network(ipaddress.ip_interface(a).ip)] = local
            if link_locals.get(p['name']):
                keys[ipaddress.ip_network(link_locals[p['name']])] = local
        keys[ipaddress.ip_network('255.255.255.255/32')] = local
        keys[ipaddress.ip_network('fe80::/10')] = ('drop', None, None)
        keys[ipaddress.ip_network('ff00::/8')] = local
        routes = {}
        with open(routes_file) as f:
            for line in f:
                line = line.split('#', 1)[0].split()
                if line:
                    # The route server keeps the last route given for a prefix.
                    routes[ipaddress.ip_network(line[0])] = line[1:]
        for net, words in routes.items():
            if net in keys:
                continue  # shadowed: our connected and local routes win
            answer = self.feed_answer(net, words, ports)
            if answer is not None:
                self.add(net, answer)
                self.count[net.version] += 1
        for k, answer in keys.items():
            self.add(ipaddress.ip_network(k), answer)

    def add(self, net, answer):
        self.tables[net.version].setdefault(net.prefixlen, {})[int(net.network_address)] = \
            answer

    def feed_answer(self, net, words, ports):
        opts = dict(zip(words[0::2], words[1::2]))
        if words == ['blackhole']:
            return ('blackhole', None, None)
        dev = opts.get('dev')
        if dev is not None and dev not in ports:
            return None
        if 'via' not in opts:
            return ('forward', 'on-link', dev) if dev else None
        gw = ipaddress.ip_address(opts['via'])
        first = int(gw) >> (gw.max_prefixlen - 8)
        if (first == 0 or first >= 224) if gw.version == 4 else (first == 0xff or int(gw) == 0):
            return None  # not unicast
        if dev is None:
            if gw.version == 6 and gw.is_link_local:
                return None
            best = None
            for sub, port in self.subnets:
                if gw in sub and (best is None or sub.prefixlen > best[0].prefixlen):
                    best = (sub, port)
            if best is None:
                return None
            dev = best[1]
        return ('forward', str(gw), dev)

    def lookup(self, addr):
        a = ipaddress.ip_address(addr)
        bits = a.max_prefixlen
        v = int(a)
        table = self.tables[a.version]
        for plen in sorted(table, reverse=True):
            hit = table[plen].get(v & ~((1 << (bits - plen)) - 1) if plen else 0)
            if hit is not None:
                return hit
        return ('unreachable', None, None)


def random_addresses(ref, routes_file, n, rng):
    """Half inside a route of the file (random host bits), half anywhere."""
    nets = []
    with open(routes_file) as f:
        for line in f:
            w = line.split('#', 1)[0].split()
            if w:
                nets.append(ipaddress.ip_network(w[0]))
    out = []
    for i in range(n):
        if i % 2 == 0 and nets:
            net = rng.choice(nets)
            host = rng.getrandbits(net.max_prefixlen - net.prefixlen) if net.prefixlen < \
                net.max_prefixlen else 0
            out.append(str(ipaddress.ip_address(int(net.network_address) | host)))
        elif i % 4 == 1:
            out.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        else:
            # Inside 2000::/3 most of the time, where the table is.
            v = rng.getrandbits(128)
            if i % 8 != 3:
                v = (v & ((1 << 125) - 1)) | (1 << 125)
            out.append(str(ipaddress.IPv6Address(v)))
    return out


def compare_lookups(rpc, ref, addrs, batch):
    mismatches = 0
    t_total, t_best = 0.0, float('inf')
    for off in range(0, len(addrs), batch):
        chunk = addrs[off:off + batch]
        t0 = time.monotonic()
        res = rpc.call('route.lookup', {'addresses': chunk})
        t_total += time.monotonic() - t0
        t_best = min(t_best, time.monotonic() - t0)
        check(len(res) == len(chunk), 'route.lookup: %d answers for %d addresses' %
              (len(res), len(chunk)))
        for a, r in zip(chunk, res):
            want = ref.lookup(a)
            got = (r.get('action'), r.get('next_hop'), r.get('port'))
            if r.get('address') != str(ipaddress.ip_address(a)) or got != want:
                mismatches += 1
                if mismatches <= 10:
                    check(False, 'route.lookup %s: got %s, reference %s' % (a, r, want))
    check(mismatches == 0, 'route.lookup: %d of %d addresses differ from the reference' %
          (mismatches, len(addrs)))
    return (len(addrs) / t_total if t_total > 0 else 0.0), t_best


# --- the methods ------------------------------------------------------------------------------

def check_methods(rpc, args, config, ref):
    v = rpc.call('molt.version')
    show('molt.version', v)
    check(v.get('version') and '22.11' in v.get('dpdk', ''), 'molt.version: %s' % v)

    st = rpc.call('molt.status')
    show('molt.status', st)
    check(st['pid'] == args.pid, 'molt.status pid %s, want %s' % (st['pid'], args.pid))
    check(st['workers'] == [1], 'molt.status workers %s, want [1]' % st['workers'])
    check(st['slot'] is not None and st['slot']['id'] == 0, 'molt.status slot %s' % st['slot'])
    check(st['feed']['shm'].lstrip('/') == config['feed']['shm'].lstrip('/') and
          st['feed']['alive'] and st['feed']['heartbeat_age_ms'] < 5000,
          'molt.status feed %s' % st['feed'])
    check(st['routes'] == {'ipv4': ref.count[4], 'ipv6': ref.count[6]},
          'molt.status routes %s, reference %s' % (st['routes'], ref.count))

    cnt = rpc.call('route.count')
    show('route.count', cnt)
    check(cnt['ipv4'] == ref.count[4] and cnt['ipv6'] == ref.count[6],
          'route.count %s, reference %s' % (cnt, ref.count))

    slots = rpc.call('slot.list')
    show('slot.list', slots)
    check(len(slots) == 1 and slots[0]['state'] == 'active' and slots[0]['active'] and
          slots[0]['routes4'] == ref.count[4] and slots[0]['memory'] > 0 and
          slots[0]['driver'] == config['fib']['driver'], 'slot.list %s' % slots)

    ports = rpc.call('port.list')
    show('port.list', ports)
    check([p['name'] for p in ports] == [p['name'] for p in config['ports']],
          'port.list names %s' % [p['name'] for p in ports])
    for p, c in zip(ports, config['ports']):
        check(p['mac'] == c['mac'] and p['ipv4'] == c['ipv4'] and p['ipv6'] == c['ipv6'] and
              p['devargs'] == c['devargs'] and p['link'] is not None and
              p['rx_queues'] >= 1 and p['link_local'].startswith('fe80::'),
              'port.list %s vs config %s' % (p, c))

    w = rpc.call('worker.stats')
    show('worker.stats', w)
    check(len(w) == 1 and w[0]['lcore'] == 1 and len(w[0]['rx_queues']) >= 2,
          'worker.stats %s' % w)

    # Port p0 read the pcap of bad-checksum frames: every one counted, then reset.
    stats = wait_stats(rpc, args.bad_frames)
    show('port.stats {"port": "p0", "reset": true}', stats)
    p0 = stats[0]
    check(p0['rx'] == args.bad_frames and p0['drops']['ip4_bad_checksum'] == args.bad_frames
          and p0['dropped'] == args.bad_frames and len(p0['drops']) >= 20,
          'port.stats p0 %s' % p0)
    after = rpc.call('port.stats')
    check(len(after) == 2 and after[0]['rx'] == 0 and after[0]['dropped'] == 0,
          'port.stats after reset: %s' % after[0])

    # Static neighbours: added, seen by route.lookup and neigh.list, deleted.
    fwd = next((a for a in args.sample if ref.lookup(a)[0] == 'forward' and
                ref.lookup(a)[1] != 'on-link'), None)
    check(fwd is not None, 'no routed address to try neighbours with')
    if fwd is not None:
        gw, port = ref.lookup(fwd)[1:]
        added = rpc.call('neigh.add', {'ip': gw, 'mac': '02:00:00:00:aa:01', 'port': port})
        show('neigh.add', added)
        nl = rpc.call('neigh.list')
        show('neigh.list', nl)
        check(any(n['ip'] == gw and n['state'] == 'static' and n['port'] == port
                  for n in nl), 'neigh.list %s has no %s' % (nl, gw))
        r = rpc.call('route.lookup', {'addresses': [fwd]})
        show('route.lookup (neighbour known)', r)
        check(r[0].get('neighbor') == {'mac': '02:00:00:00:aa:01', 'state': 'static'},
              'route.lookup neighbour %s' % r)
        show('neigh.del', rpc.call('neigh.del', {'ip': gw, 'port': port}))
        r = rpc.call('route.lookup', {'addresses': [fwd]})
        check('neighbor' not in r[0], 'route.lookup after neigh.del %s' % r)
        rpc.error('neigh.del', {'ip': gw, 'port': port}, -32000, 'no static neighbour')

    # Errors name the parameter.
    rpc.error('route.lookup', {'addresses': ['1.1.1.1', '::1', '10.0.0.1', '10.0.0.300']},
              -32602, 'addresses[3]: "10.0.0.300" is not an IPv4 or IPv6 address')
    rpc.error('route.lookup', {'addresses': ['1.1.1.1'] * 10001}, -32602,
              'addresses: 10001 addresses, at most 10000 per call')
    rpc.error('route.lookup', None, -32602, 'params: expected an object')
    rpc.error('neigh.add', {'ip': '10.0.1.9', 'mac': '02:00:00:00:00:09', 'port': 'p9'},
              -32602, "port 'p9' does not exist (ports: p0, p1)")
    rpc.error('neigh.add', {'ip': '10.0.1.9', 'mac': 'zz', 'port': 'p0'}, -32602,
              'mac: "zz" is not a MAC address')
    rpc.error('neigh.del', {'ip': '10.0.1.9'}, -32602, 'params: missing "port"')
    rpc.error('port.stats', {'port': 'p0', 'reset': 'yes'}, -32602,
              'reset: "yes" is not true or false')
    rpc.error('slot.list', {'all': True}, -32602, 'params.all: unknown parameter')
    rpc.error('molt.nonsense', None, -32601, '')


def wait_stats(rpc, want):
    """The worker reads the pcap at start; its counters may lag a moment behind."""
    for _ in range(100):
        s = rpc.call('port.stats', {'port': 'p0'})
        if s[0]['rx'] >= want:
            break
        time.sleep(0.1)
    return rpc.call('port.stats', {'port': 'p0', 'reset': True})


def write_bad_pcap(path, n, dst_mac):
    """n Ethernet/IPv4 frames to dst_mac whose header checksum is wrong."""
    mac = bytes(int(x, 16) for x in dst_mac.split(':'))
    frames = []
    for i in range(n):
        hdr = [0x45, 0, 28, i, 0, 64, 17, 0, bytes([10, 0, 1, 2]), bytes([10, 0, 2, 2])]
        hdr[7] = checksum(struct.pack('!BBHHHBBH4s4s', *hdr)) ^ 0x0101  # two bits flipped
        ip = struct.pack('!BBHHHBBH4s4s', *hdr)
        frame = mac + bytes([2, 0xaa, 0, 0, 0, 1]) + b'\x08\x00' + ip + bytes(8)
        frames.append(frame + bytes(max(0, 60 - len(frame))))
    write_frames(path, frames)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == '--write-bad-pcap':
        write_bad_pcap(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument('--socket', required=True)
    ap.add_argument('--config', required=True)
    ap.add_argument('--routes', required=True)
    ap.add_argument('--pid', type=int, required=True)
    ap.add_argument('--bad-frames', type=int, required=True)
    ap.add_argument('--lookups', type=int, default=100000)
    ap.add_argument('--batch', type=int, default=10000)
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    config = json.load(open(args.config))
    rpc = Rpc(args.socket)
    ports = rpc.call('port.list')
    t0 = time.monotonic()
    ref = Reference(config, {p['name']: p['link_local'] for p in ports}, args.routes)
    print('reference: %d IPv4 + %d IPv6 routes installable (%.1f s)' %
          (ref.count[4], ref.count[6], time.monotonic() - t0))
    rng = random.Random(args.seed)
    addrs = random_addresses(ref, args.routes, args.lookups, rng)
    # Our own addresses, connected hosts and the special ranges, every time.
    addrs[:12] = ['10.0.1.1', '10.0.1.77', 'fd00:2::1', 'fd00:2::99', '255.255.255.255',
                  'fe80::1', 'ff02::1', '0.0.0.1', '127.0.0.1', '::', '10.0.2.255', '::1']
    args.sample = addrs[12:1000]
    check_methods(rpc, args, config, ref)

    rate, best = compare_lookups(rpc, ref, addrs, args.batch)
    show('route.lookup (first 4 of %d)' % len(addrs),
         rpc.call('route.lookup', {'addresses': addrs[:4] + addrs[12:14]}))
    actions = {}
    for a in addrs:
        k = ref.lookup(a)[0]
        actions[k] = actions.get(k, 0) + 1
    print('route.lookup: %d addresses in batches of %d agree with the reference %s; '
          '%.0f addresses/s over the socket (fastest call %.1f ms)' %
          (len(addrs), args.batch, actions, rate, best * 1000))
    if FAILS:
        print('%d check(s) failed' % len(FAILS), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
