#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""FPM frames as FRR zebra's dplane_fpm_nl sends them (FPM header, rtnetlink route and next-hop
messages in the host's byte order), and the FPM replay test of molt-routeserver, which needs no
FRR: a recorded zebra session (data/fpm_zebra_static.bin) and generated frames go to the route
server's --fpm port; its answers over the control socket are checked.

    fpm_frames.py test SOCK_A SOCK_B FILE   the replay test (A: stale hold 3 s, B: 3600 s)
    fpm_frames.py rate SOCK N               ingestion rate of N generated routes (routes/s)
    fpm_frames.py decode FILE               prints the messages of a recording
"""
import json
import random
import socket
import struct
import sys
import time

from rpc_client import Lines, call, connect

RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEXTHOP, RTM_DELNEXTHOP = 24, 25, 104, 105
NLM_F_REQUEST, NLM_F_REPLACE, NLM_F_CREATE = 0x1, 0x100, 0x400
AF_INET, AF_INET6 = 2, 10
RTN_UNICAST, RTN_BLACKHOLE, RTN_UNREACHABLE = 1, 6, 7
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_MULTIPATH, RTA_TABLE, RTA_NH_ID = 1, 4, 5, 6, 9, 15, 30
NHA_ID, NHA_GROUP, NHA_BLACKHOLE, NHA_OIF, NHA_GATEWAY = 1, 2, 4, 5, 6
TIMEOUT = 30.0


def pad4(b):
    return b + b'\0' * (-len(b) % 4)


def attr(t, payload):
    return pad4(struct.pack('=HH', 4 + len(payload), t) + payload)


def nlmsg(mtype, flags, body):
    return pad4(struct.pack('=IHHII', 16 + len(body), mtype, flags, 0, 0) + body)


def frame(*msgs):
    payload = b''.join(msgs)
    return struct.pack('!BBH', 1, 1, 4 + len(payload)) + payload


def addr(a):
    return socket.inet_pton(AF_INET6 if ':' in a else AF_INET, a)


def route(prefix, gw=None, nhid=None, paths=None, rtype=RTN_UNICAST, delete=False, table=254,
          oif=None, extra=b''):
    """A route message; prefix 'A/L'; paths: [(gw, oif, weight), ...] for RTA_MULTIPATH."""
    a, plen = prefix.split('/')
    fam = AF_INET6 if ':' in a else AF_INET
    body = struct.pack('=BBBBBBBBI', fam, int(plen), 0, 0, min(table, 252) if table != 254 else 254,
                       196, 0, 0 if delete else rtype, 0)
    body += attr(RTA_DST, addr(a)) + attr(RTA_PRIORITY, struct.pack('=I', 20))
    if table != 254:
        body += attr(RTA_TABLE, struct.pack('=I', table))
    if gw is not None:
        body += attr(RTA_GATEWAY, addr(gw))
    if oif is not None:
        body += attr(RTA_OIF, struct.pack('=I', oif))
    if nhid is not None:
        body += attr(RTA_NH_ID, struct.pack('=I', nhid))
    if paths:
        mp = b''
        for pgw, poif, w in paths:
            a2 = attr(RTA_GATEWAY, addr(pgw))
            mp += pad4(struct.pack('=HBBi', 8 + len(a2), 0, w - 1, poif) + a2)
        body += attr(RTA_MULTIPATH, mp)
    body += extra
    if delete:
        return nlmsg(RTM_DELROUTE, NLM_F_REQUEST, body)
    return nlmsg(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE, body)


def nexthop(nid, gw=None, oif=3, group=None, blackhole=False, delete=False):
    fam = 0 if group or gw is None else (AF_INET6 if ':' in gw else AF_INET)
    body = struct.pack('=BBBBI', fam, 0, 11, 0, 0) + attr(NHA_ID, struct.pack('=I', nid))
    if delete:
        return nlmsg(RTM_DELNEXTHOP, NLM_F_REQUEST, body)
    if group:
        body += attr(NHA_GROUP, b''.join(struct.pack('=IBBH', i, w - 1, 0, 0) for i, w in group))
    elif blackhole:
        body += attr(NHA_BLACKHOLE, b'')
    else:
        body += attr(NHA_GATEWAY, addr(gw)) + attr(NHA_OIF, struct.pack('=I', oif))
    return nlmsg(RTM_NEWNEXTHOP, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE, body)


def decode(data):
    """Yields (frame index, netlink type, flags, body) for every message of a recording."""
    off, n = 0, 0
    while off < len(data):
        _, _, flen = struct.unpack('!BBH', data[off:off + 4])
        p, q = data[off + 4:off + flen], 0
        while q < len(p):
            nl_len, nl_type, nl_flags = struct.unpack('=IHH', p[q:q + 8])
            yield n, nl_type, nl_flags, p[q + 16:q + nl_len]
            q += (nl_len + 3) & ~3
        off += flen
        n += 1


class Server:
    """One route server: its control socket, and its FPM address from fpm.status."""

    def __init__(self, sock_path):
        self.s = connect(sock_path)
        self.lines = Lines(self.s)
        self.rid = 0
        host, port = self.call('fpm.status')['listen'].rsplit(':', 1)
        self.fpm = (host, int(port))

    def call(self, method, params=None):
        self.rid += 1
        rep = call(self.s, self.lines, method, params, self.rid)
        if 'result' not in rep:
            raise AssertionError('%s: %r' % (method, rep))
        return rep['result']

    def table(self):
        r = self.call('route.list', {'limit': 100000})
        return dict(zip(r['routes'], r['sources']))

    def status(self):
        return self.call('fpm.status')

    def wait(self, what, cond, secs=TIMEOUT):
        end = time.time() + secs
        while time.time() < end:
            if cond():
                return
            time.sleep(0.02)
        raise AssertionError('timed out waiting for %s; table %r, fpm %r' %
                             (what, self.table(), self.status()))

    def session(self):
        c = socket.create_connection(self.fpm, timeout=TIMEOUT)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c


def send_split(c, data, rng):
    """Sends data in pieces of 1-300 bytes, so frames and headers are split across reads."""
    off = 0
    while off < len(data):
        n = rng.randint(1, 300)
        c.sendall(data[off:off + n])
        off += n
        if rng.random() < 0.1:
            time.sleep(0.001)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print('ok - ' + msg, flush=True)


# What the recorded zebra session leaves (see test/e2e/data/README): the static routes as zebra
# sent them, after deleting 198.51.100.0/24 and 2001:db8:100::/48 and one path of the
# multipath 203.0.113.0/24 (a DELROUTE and a NEWROUTE in one frame), multipath routes with all
# their paths (in gateway order). Interface routes
# (10.0.1.0/24, 2001:db8:1::/64, fe80::/64) are not installed: zebra's ifindex names no port.
RECORDED = {
    '192.0.2.0/24 blackhole',
    '192.0.2.128/25 blackhole',
    '203.0.113.0/24 nexthop via 10.0.1.2 nexthop via 10.0.1.3',
    '2001:db8:200::/48 nexthop via 2001:db8:1::2 nexthop via 2001:db8:1::3',
    '2001:db8:300::/48 blackhole',
}


def fpm_routes(table, source='fpm'):
    return {r for r, s in table.items() if s == source}


def test_a(srv, recorded, rng):
    """Recorded session, precedence, stale marking and the sweep after a reconnect."""
    st0 = srv.status()
    file_routes = set(srv.table())
    c = srv.session()
    send_split(c, recorded, rng)
    msgs = sum(1 for _ in decode(recorded))
    srv.wait('the recording to be applied', lambda: srv.status()['counters']['messages'] -
             st0['counters']['messages'] == msgs)
    t = srv.table()
    # The route file holds 203.0.113.0/24 via 10.0.1.99: the file wins over FPM.
    check(fpm_routes(t) == RECORDED - {'203.0.113.0/24 nexthop via 10.0.1.2 nexthop via 10.0.1.3'},
          'recorded zebra session: FPM routes %s' % sorted(fpm_routes(t)))
    check(t.get('203.0.113.0/24 via 10.0.1.99') == 'file',
          'the route file (distance 2) wins over FPM (20) for 203.0.113.0/24')
    show = srv.call('route.show', {'prefix': '203.0.113.0/24'})
    check(show['source'] == 'file' and [(c['source'], c['distance'], c['route']) for c in show['candidates']] ==
          [('file', 2, '203.0.113.0/24 via 10.0.1.99'), ('fpm', 20, '203.0.113.0/24 nexthop via 10.0.1.2 nexthop via 10.0.1.3')],
          'route.show: the file route published, the FPM one kept behind it: %r' % show)
    st = srv.status()['counters']
    check(st['multipath'] >= 1 and st['no_gateway'] == 3 and st['malformed'] == 0,
          'multipath installed with its paths, 3 interface routes counted: %r' % st)

    srv.call('route.add', {'route': '192.0.2.0/24 via 10.0.1.7'})
    check(srv.table().get('192.0.2.0/24 via 10.0.1.7') == 'rpc', 'route.add (distance 1) wins over FPM')
    srv.call('route.del', {'route': '192.0.2.0/24'})
    check(srv.table().get('192.0.2.0/24 blackhole') == 'fpm',
          "route.del removes the operator's route: FPM's shows again")
    try:
        srv.call('route.del', {'route': '2001:db8:300::/48'})
        check(False, 'route.del of an FPM route')
    except AssertionError as e:
        check('no such route' in str(e), "route.del does not delete zebra's routes")

    # zebra goes away: its routes stay, stale.
    c.close()
    srv.wait('the session to end', lambda: not srv.status()['connected'])
    t = srv.table()
    check(fpm_routes(t, 'fpm-stale') == RECORDED - {'203.0.113.0/24 nexthop via 10.0.1.2 nexthop via 10.0.1.3'} and
          not fpm_routes(t), 'disconnect: FPM routes kept, stale')

    # zebra is back and resends part of it (one route changed): after the hold the rest goes.
    c = srv.session()
    send_split(c, frame(nexthop(7, '10.0.1.5')) + frame(route('192.0.2.0/24', rtype=RTN_BLACKHOLE)) +
               frame(route('2001:db8:200::/48', nhid=None, gw='2001:db8:1::3')) +
               frame(route('198.18.0.0/15', nhid=7)), rng)
    srv.wait('the resend', lambda: len(fpm_routes(srv.table())) == 3)
    t = srv.table()
    check(len(fpm_routes(t, 'fpm-stale')) == 2, 'resend: 3 routes refreshed, 2 still stale')
    srv.wait('the sweep', lambda: srv.status()['counters']['swept'] >= 2)
    t = srv.table()
    want = {'192.0.2.0/24 blackhole', '2001:db8:200::/48 via 2001:db8:1::3',
            '198.18.0.0/15 via 10.0.1.5'}
    check(fpm_routes(t) == want and not fpm_routes(t, 'fpm-stale'),
          'after the hold: the routes not resent are swept, the table is %s' % sorted(fpm_routes(t)))
    check(set(r for r, s in t.items() if s == 'file') == file_routes,
          'the route file routes are untouched by FPM')

    # A multipath route inline (RTA_MULTIPATH, weights) and a group with weights.
    c.sendall(frame(route('198.19.0.0/16', paths=[('10.0.1.8', 3, 2), ('10.0.1.9', 3, 1)]),
                    nexthop(8, '10.0.1.10'), nexthop(9, '10.0.1.11'),
                    nexthop(10, group=[(8, 5), (9, 1)]), route('198.20.0.0/16', nhid=10),
                    route('198.19.0.0/16', delete=True), route('198.19.0.0/16', gw='10.0.1.12')))
    srv.wait('multipath routes', lambda: '198.20.0.0/16 nexthop via 10.0.1.10 weight 5 '
             'nexthop via 10.0.1.11' in srv.table())
    check(srv.table().get('198.19.0.0/16 via 10.0.1.12') == 'fpm',
          'several messages in one frame, applied in order')
    # zebra changes next hops in place (same id): the routes through them follow, directly
    # (7) or through a group (8 in 10).
    c.sendall(frame(nexthop(7, '10.0.1.6')) + frame(nexthop(8, '10.0.1.20')))
    srv.wait('re-resolution', lambda: '198.20.0.0/16 nexthop via 10.0.1.11 '
             'nexthop via 10.0.1.20 weight 5' in srv.table())
    t = srv.table()
    check('198.18.0.0/15 via 10.0.1.6' in t and srv.status()['counters']['reresolved'] == 2,
          'a next hop changed in place: its routes, direct and through a group, follow it')
    # Routes of another table and of other types are left alone or withdraw zebra's route.
    c.sendall(frame(route('198.21.0.0/16', gw='10.0.1.2', table=100)) +
              frame(route('198.18.0.0/15', rtype=2)))  # RTN_LOCAL replaces the unicast route
    srv.wait('the skips', lambda: srv.status()['counters']['skipped']['other_route_type'] >= 1)
    t = srv.table()
    check('198.21.0.0/16 via 10.0.1.2' not in t and '198.18.0.0/15 via 10.0.1.6' not in t,
          'table 100 ignored; a local route withdraws the unicast one zebra replaced')
    c.close()


BAD = [
    ('FPM version', b'\x02\x01\x00\x20' + b'\0' * 28),
    ('FPM message type 2 (protobuf)', b'\x01\x02\x00\x20' + b'\0' * 28),
    ('shorter than a netlink header', b'\x01\x01\x00\x08' + b'\0' * 4),
    ('netlink length', struct.pack('!BBH', 1, 1, 24) + struct.pack('=IHHII', 64, 24, 0, 0, 0) + b'\0' * 4),
    ('RTA_DST of 3 bytes', frame(nlmsg(RTM_NEWROUTE, 1, struct.pack('=BBBBBBBBI', 2, 24, 0, 0, 254, 0, 0, 1, 0) +
                                       attr(RTA_DST, b'\x0a\x00\x00')))),
    ('unknown route attribute type 99', frame(route('198.51.100.0/24', gw='10.0.1.2', extra=attr(99, b'\0' * 4)))),
    ('attribute type', frame(nlmsg(RTM_NEWROUTE, 1, struct.pack('=BBBBBBBBI', 2, 24, 0, 0, 254, 0, 0, 1, 0) +
                                   struct.pack('=HH', 200, RTA_DST) + b'\0' * 4))),
    # A good route, then a bad message in the same frame: nothing of the frame is applied.
    ('message 2', frame(route('198.51.100.0/24', gw='10.0.1.2'), nlmsg(RTM_NEWNEXTHOP, 1, b'\0' * 8))),
    ('NHA_GROUP', frame(nlmsg(RTM_NEWNEXTHOP, 1, struct.pack('=BBBBI', 0, 0, 0, 0, 0) +
                              attr(NHA_ID, struct.pack('=I', 5)) + attr(NHA_GROUP, b'\0' * 7)))),
]


def closed_by_peer(c):
    c.settimeout(TIMEOUT)
    try:
        while c.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_b(srv, recorded, rng):
    """Malformed input: the session is closed, the problem named, the table untouched."""
    c = srv.session()
    c.sendall(recorded)
    c.close()
    srv.wait('the recorded session', lambda: not srv.status()['connected'] and
             fpm_routes(srv.table(), 'fpm-stale') == RECORDED)
    before = srv.table()
    garbage = random.Random(7).randbytes(1 << 20)
    for what, data in BAD + [('FPM version', garbage)]:
        n = srv.status()['counters']['malformed']
        c = srv.session()
        try:
            c.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed it before the garbage was all sent
        closed_by_peer(c)
        c.close()
        srv.wait('the malformed count', lambda: srv.status()['counters']['malformed'] == n + 1)
        st = srv.status()
        check(what in st['last_error'] and srv.table() == before,
              'malformed (%d bytes): closed, "%s", table unchanged' % (len(data), st['last_error']))
    # A frame cut short by the peer closing: nothing of it applied either.
    c = srv.session()
    c.sendall(frame(route('198.51.100.0/24', gw='10.0.1.2'))[:30])
    c.close()
    srv.wait('the session to end', lambda: not srv.status()['connected'])
    check(srv.table() == before, 'a frame cut short by a disconnect is not applied')


def gen_bulk(n, seed=1):
    """n routes as zebra sends a large table: next hops first, one route per frame, IPv4 /24s
    (4 in 5) through 4 next hops and a 2-path group, IPv6 /48s through 2 next hops."""
    out = [frame(nexthop(1, '10.0.1.2')), frame(nexthop(2, '10.0.1.3')),
           frame(nexthop(3, '10.0.1.4')), frame(nexthop(4, '10.0.1.5')),
           frame(nexthop(5, group=[(1, 1), (2, 1)])),
           frame(nexthop(6, 'fd00:1::2')), frame(nexthop(7, 'fd00:1::3'))]
    for i in range(n):
        if i % 5 != 4:
            j = i - i // 5
            p = '%d.%d.%d.0/24' % (11 + j // 65536, (j >> 8) & 255, j & 255)
            out.append(frame(route(p, nhid=1 + i % 5)))
        else:
            j = i // 5
            p = '2001:db8:%x:%x::/64' % (j >> 16, j & 0xffff)
            out.append(frame(route(p, nhid=6 + (j & 1))))
    return b''.join(out)


def rate(sock_path, n):
    srv = Server(sock_path)
    data = gen_bulk(n)
    base = srv.status()['routes']
    c = srv.session()
    t0 = time.time()
    c.sendall(data)
    sent = time.time()
    srv.wait('%d routes' % n, lambda: srv.status()['routes'] >= base + n, 300)
    t1 = time.time()
    c.close()
    print('FPM ingestion: %d routes (%.1f MB of frames) in %.3f s: %.0f routes/s (sent in %.3f s)'
          % (n, len(data) / 1e6, t1 - t0, n / (t1 - t0), sent - t0), flush=True)


def main():
    if sys.argv[1] == 'decode':
        for f, t, fl, body in decode(open(sys.argv[2], 'rb').read()):
            print(f, t, hex(fl), body.hex())
    elif sys.argv[1] == 'rate':
        rate(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == 'test':
        recorded = open(sys.argv[4], 'rb').read()
        rng = random.Random(15)
        test_a(Server(sys.argv[2]), recorded, rng)
        test_b(Server(sys.argv[3]), recorded, rng)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
