#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic and counters for the control-plane test (control_plane.sh).

    cp_tool.py listen PORT LOG            TCP listener (IPv4 and IPv6): logs "accept ADDR",
                                          echoes every line back
    cp_tool.py session ADDR PORT STATUS STOP
                                          connects, then every 0.2 s sends a line and expects
                                          its echo, writing the round count to STATUS, until
                                          the file STOP exists; exits 1 on any failure
    cp_tool.py connect ADDR PORT TIMEOUT  one connection: 0 if it echoes, 1 if not
    cp_tool.py udp ADDR COUNT             COUNT datagrams to random ports (not the BFD ones)
    cp_tool.py udpto ADDR PORT COUNT      COUNT datagrams to ADDR:PORT
    cp_tool.py syn SRC DST COUNT PORT     COUNT TCP SYNs from SRC to DST (IPv4, raw socket);
                                          PORT 0 = random ports other than 179
    cp_tool.py inject IFACE DSTMAC SRC DST COUNT
                                          COUNT UDP frames to port 5000 written on IFACE with a
                                          packet socket (they leave through its egress)
    cp_tool.py snmp                       this namespace's kernel counters, as JSON
    cp_tool.py mcast-listen IFACE LOG     joins 224.0.0.5, 224.0.0.6 and 224.0.0.9 on IFACE;
                                          logs "ospf SRC GROUP" for each OSPF packet and
                                          "rip SRC" for each UDP datagram to 224.0.0.9:520
    cp_tool.py ospf SRC GROUP COUNT       COUNT OSPFv2 hellos from SRC to GROUP, TTL 1
    cp_tool.py rip SRC COUNT              COUNT RIPv2 requests from SRC to 224.0.0.9:520, TTL 1
"""
import errno
import json
import os
import random
import select
import socket
import struct
import sys
import time

BFD = {3784, 3785, 4784}


def listen(port, logf):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(16)
    log = open(logf, "a", buffering=1)
    log.write("listening\n")
    conns = {}
    while True:
        r, _, _ = select.select([s] + list(conns), [], [], 1.0)
        for x in r:
            if x is s:
                c, a = s.accept()
                addr = a[0][7:] if a[0].startswith("::ffff:") else a[0]
                log.write("accept %s\n" % addr)
                conns[c] = b""
                continue
            try:
                d = x.recv(4096)
            except OSError:
                d = b""
            if not d:
                conns.pop(x)
                x.close()
                continue
            x.sendall(d)


def session(addr, port, status, stop):
    s = socket.create_connection((addr, port), timeout=10)
    f = s.makefile("rwb")
    n = 0
    while True:
        line = ("ka %d\n" % n).encode()
        f.write(line)
        f.flush()
        got = f.readline()
        if got != line:
            print("session: sent %r, got %r" % (line, got), file=sys.stderr)
            return 1
        n += 1
        with open(status + ".tmp", "w") as o:
            o.write("%d\n" % n)
        os.rename(status + ".tmp", status)
        if os.path.exists(stop):
            return 0
        time.sleep(0.2)


def connect(addr, port, timeout):
    try:
        s = socket.create_connection((addr, port), timeout=timeout)
        s.settimeout(timeout)
        s.sendall(b"hello\n")
        return 0 if s.recv(100) == b"hello\n" else 1
    except OSError as e:
        print("connect %s:%d: %s" % (addr, port, e), file=sys.stderr)
        return 1


def udp(addr, count):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    rnd = random.Random(1)
    sent = 0
    while sent < count:
        p = rnd.randint(1, 65535)
        if p in BFD:
            continue
        try:
            s.sendto(b"x" * 32, (addr, p))
        except OSError:
            # An ICMP error for an earlier datagram surfaces here; keep sending.
            continue
        sent += 1
    return 0


def udpto(addr, port, count):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for _ in range(count):
        s.sendto(b"z" * 24, (addr, port))
    return 0


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def syn(src, dst, count, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rnd = random.Random(2)
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    for i in range(count):
        dp = port
        while dp == 0 or (port == 0 and dp == 179):
            dp = rnd.randint(1, 65535)
        sp = rnd.randint(1024, 65535)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, rnd.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
        c = csum(sa + da + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, sa, da)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        s.sendto(ip + tcp, (dst, 0))
    return 0


def inject(iface, dstmac, src, dst, count):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    srcmac = s.getsockname()[4]
    dm = bytes.fromhex(dstmac.replace(":", ""))
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    for i in range(count):
        udph = struct.pack("!HHHH", 40000, 5000, 8 + 16, 0) + b"y" * 16
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udph), i, 0, 64, 17, 0, sa, da)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        try:
            s.send(dm + srcmac + b"\x08\x00" + ip + udph)
        except OSError as e:
            # A frame dropped by a tc egress filter comes back as ENOBUFS.
            if e.errno != errno.ENOBUFS:
                raise
    return 0


OSPF_GROUPS = ("224.0.0.5", "224.0.0.6")
RIP_GROUP = "224.0.0.9"


def join(sock, group, ifindex):
    # struct ip_mreqn: group, local address (any), interface index
    mreq = socket.inet_aton(group) + socket.inet_aton("0.0.0.0") + struct.pack("@i", ifindex)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)


def mcast_listen(iface, logf):
    ifindex = socket.if_nametoindex(iface)
    ospf = socket.socket(socket.AF_INET, socket.SOCK_RAW, 89)
    ospf.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    for g in OSPF_GROUPS:
        join(ospf, g, ifindex)
    rip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rip.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rip.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    rip.bind((RIP_GROUP, 520))
    join(rip, RIP_GROUP, ifindex)
    log = open(logf, "a", buffering=1)
    log.write("listening\n")
    while True:
        r, _, _ = select.select([ospf, rip], [], [], 1.0)
        if ospf in r:
            d, a = ospf.recvfrom(2048)
            log.write("ospf %s %s\n" % (a[0], socket.inet_ntoa(d[16:20])))
        if rip in r:
            d, a = rip.recvfrom(2048)
            log.write("rip %s\n" % a[0])


def mcast_socket(proto, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW if proto == 89 else socket.SOCK_DGRAM,
                      proto)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    return s


def ospf_hello(src, group, count):
    s = mcast_socket(89, src)
    # RFC 2328 A.3.2: network mask /24, hello 10 s, priority 1, dead 40 s, no DR/BDR, no
    # neighbours; area 0, no authentication.
    body = socket.inet_aton("255.255.255.0") + struct.pack("!HBBI", 10, 0x02, 1, 40) + bytes(8)
    hdr = struct.pack("!BBH4s4sHH", 2, 1, 24 + len(body), socket.inet_aton(src), bytes(4), 0, 0)
    pkt = hdr + bytes(8) + body
    c = csum(pkt[:16] + pkt[24:])  # the checksum leaves out the authentication field
    pkt = pkt[:12] + struct.pack("!H", c) + pkt[14:]
    for _ in range(count):
        s.sendto(pkt, (group, 0))
    return 0


def rip(src, count):
    s = mcast_socket(socket.IPPROTO_UDP, src)
    s.bind((src, 520))
    # RFC 2453 3.9.1: a request for the whole table (one entry, family 0, metric 16).
    req = struct.pack("!BBH", 1, 2, 0) + struct.pack("!HH4s4s4sI", 0, 0, bytes(4), bytes(4),
                                                     bytes(4), 16)
    for _ in range(count):
        s.sendto(req, (RIP_GROUP, 520))
    return 0


def snmp():
    out = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        lines = open(path).read().splitlines()
        for h, v in zip(lines[0::2], lines[1::2]):
            keys, vals = h.split()[1:], v.split()[1:]
            proto = h.split(":")[0]
            for k, x in zip(keys, vals):
                out[proto + k] = int(x)
    for line in open("/proc/net/snmp6"):
        k, v = line.split()
        out[k] = int(v)
    json.dump(out, sys.stdout)
    return 0


def main():
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == "listen":
        return listen(int(a[1]), a[2])
    if cmd == "session":
        return session(a[1], int(a[2]), a[3], a[4])
    if cmd == "connect":
        return connect(a[1], int(a[2]), float(a[3]))
    if cmd == "udp":
        return udp(a[1], int(a[2]))
    if cmd == "udpto":
        return udpto(a[1], int(a[2]), int(a[3]))
    if cmd == "syn":
        return syn(a[1], a[2], int(a[3]), int(a[4]))
    if cmd == "inject":
        return inject(a[1], a[2], a[3], a[4], int(a[5]))
    if cmd == "snmp":
        return snmp()
    if cmd == "mcast-listen":
        return mcast_listen(a[1], a[2])
    if cmd == "ospf":
        return ospf_hello(a[1], a[2], int(a[3]))
    if cmd == "rip":
        return rip(a[1], int(a[2]))
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
