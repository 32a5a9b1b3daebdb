#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reads the header of a molt route feed (common/feed/feed_format.h) from its /dev/shm file, and
changes single bytes in it the way a third process with write access could (the feed
authentication test).

    feedinfo.py FILE                       prints the header as JSON
    feedinfo.py --check FILE               exit 0 once the magic is set and a snapshot is published
    feedinfo.py --flip-entry SEQ OFF FILE  XORs byte OFF of journal entry SEQ's route with 0x01
    feedinfo.py --flip-snapshot I OFF FILE XORs byte OFF of route I of the current snapshot
"""
import json
import mmap
import struct
import sys

FEED_MAGIC = 0x44454546544C4F4D
FEED_VERSION = 3  # 3: next-hop group records (family 0x47) among the routes
HDR = struct.Struct('<QIIQQIIQQQQII Q')  # up to heartbeat_ns
SNAP = struct.Struct('<8Q32s')  # struct feed_snapshot_desc
SNAP_OFF = 152  # offsetof(struct feed_header, snap): 88 bytes of fields + 64 bytes of pad0
AUTH = struct.Struct('<II32s')  # auth, reserved, key_check: right after snap[2]
ROUTE_SIZE = 52
ENTRY_ROUTE_OFF = 16  # offsetof(struct feed_journal_entry, route): seq, op, reserved


def parse(b):
    if len(b) < SNAP_OFF + 2 * SNAP.size + AUTH.size:
        raise ValueError('short file (%d bytes)' % len(b))
    (magic, version, header_size, total_size, generation, route_size, jes, snap_cap,
     journal_off, journal_size, journal_head, current, alive, heartbeat) = HDR.unpack_from(b, 0)
    snaps = []
    for i in range(2):
        v = SNAP.unpack_from(b, SNAP_OFF + i * SNAP.size)
        d = dict(zip(('seq', 'offset', 'count', 'covers_seq', 'digest', 'count_v4',
                      'count_v6', 'published_ns'), v[:8]))
        d['mac'] = v[8].hex()
        snaps.append(d)
    auth, _, key_check = AUTH.unpack_from(b, SNAP_OFF + 2 * SNAP.size)
    return dict(magic=magic, magic_ok=(magic == FEED_MAGIC), version=version,
                header_size=header_size, total_size=total_size, generation=generation,
                route_size=route_size, journal_entry_size=jes, snap_capacity=snap_cap,
                journal_offset=journal_off, journal_size=journal_size,
                journal_head=journal_head, current=current, alive=alive,
                heartbeat_ns=heartbeat, snap=snaps,
                auth={0: 'none', 1: 'hmac-sha256'}.get(auth, str(auth)),
                key_check=key_check.hex())


def read(path):
    with open(path, 'rb') as f:
        return parse(f.read(4096))


def flip(path, where):
    """XORs one byte at the offset where(header) returns, through a shared read-write mapping
    (what another process with write access to /dev/shm can do). Prints what it changed."""
    with open(path, 'r+b') as f:
        m = mmap.mmap(f.fileno(), 0)
        try:
            h = parse(m[:4096])
            if h['version'] != FEED_VERSION:
                raise ValueError('feed version %d, this tool reads %d' % (h['version'], FEED_VERSION))
            off, what = where(h)
            if off >= len(m):
                raise ValueError('%s is beyond the object' % what)
            old = m[off]
            m[off] = old ^ 0x01
            print('%s: byte at %d 0x%02x -> 0x%02x' % (what, off, old, old ^ 0x01))
        finally:
            m.close()


def main():
    args = sys.argv[1:]
    try:
        if args and args[0] == '--check':
            h = read(args[-1])
            cur = h['snap'][h['current'] & 1]
            ok = h['magic_ok'] and cur['seq'] % 2 == 0 and cur['published_ns'] != 0
            return 0 if ok else 1
        if len(args) == 4 and args[0] == '--flip-entry':
            seq, off = int(args[1]), int(args[2])

            def entry(h):
                if h['journal_size'] == 0:
                    raise ValueError('the feed has no journal')
                base = h['journal_offset'] + (seq % h['journal_size']) * h['journal_entry_size']
                return base + ENTRY_ROUTE_OFF + off, 'journal entry %d route byte %d' % (seq, off)
            flip(args[3], entry)
            return 0
        if len(args) == 4 and args[0] == '--flip-snapshot':
            idx, off = int(args[1]), int(args[2])

            def snapshot(h):
                b = h['current'] & 1
                s = h['snap'][b]
                if idx >= s['count']:
                    raise ValueError('snapshot %d has %d routes' % (b, s['count']))
                return (s['offset'] + idx * ROUTE_SIZE + off,
                        'snapshot buffer %d (covers sequence %d) route %d byte %d' %
                        (b, s['covers_seq'], idx, off))
            flip(args[3], snapshot)
            return 0
        if len(args) != 1:
            print(__doc__, file=sys.stderr)
            return 2
        print(json.dumps(read(args[0]), indent=2))
        return 0
    except (OSError, ValueError) as e:
        print('feedinfo: %s: %s' % (args[-1] if args else '', e), file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
