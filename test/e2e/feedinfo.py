#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reads the header of a molt route feed (common/feed/feed_format.h) from its /dev/shm file.

    feedinfo.py FILE          prints the header as JSON
    feedinfo.py --check FILE  exit 0 once the magic is set and a snapshot is published
"""
import json
import struct
import sys

FEED_MAGIC = 0x44454546544C4F4D
HDR = struct.Struct('<QIIQQIIQQQQII Q')  # up to heartbeat_ns
SNAP = struct.Struct('<8Q')
SNAP_OFF = 152  # offsetof(struct feed_header, snap): 88 bytes of fields + 64 bytes of pad0


def read(path):
    with open(path, 'rb') as f:
        b = f.read(4096)
    if len(b) < SNAP_OFF + 2 * SNAP.size:
        raise ValueError('short file (%d bytes)' % len(b))
    (magic, version, header_size, total_size, generation, route_size, jes, snap_cap,
     journal_off, journal_size, journal_head, current, alive, heartbeat) = HDR.unpack_from(b, 0)
    snaps = []
    for i in range(2):
        v = SNAP.unpack_from(b, SNAP_OFF + i * SNAP.size)
        snaps.append(dict(zip(('seq', 'offset', 'count', 'covers_seq', 'digest', 'count_v4',
                               'count_v6', 'published_ns'), v)))
    return dict(magic=magic, magic_ok=(magic == FEED_MAGIC), version=version,
                header_size=header_size, total_size=total_size, generation=generation,
                route_size=route_size, journal_entry_size=jes, snap_capacity=snap_cap,
                journal_offset=journal_off, journal_size=journal_size,
                journal_head=journal_head, current=current, alive=alive,
                heartbeat_ns=heartbeat, snap=snaps)


def main():
    check = len(sys.argv) > 2 and sys.argv[1] == '--check'
    path = sys.argv[-1]
    try:
        h = read(path)
    except (OSError, ValueError) as e:
        print('feedinfo: %s: %s' % (path, e), file=sys.stderr)
        return 1
    if check:
        cur = h['snap'][h['current'] & 1]
        ok = h['magic_ok'] and cur['seq'] % 2 == 0 and cur['published_ns'] != 0
        return 0 if ok else 1
    print(json.dumps(h, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
