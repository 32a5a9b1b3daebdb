#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Non-interactive DPDK telemetry client: prints the JSON answer to each command.

    telemetry.py -f FILE_PREFIX /molt/ports [/molt/workers ...]

Same socket as dpdk-telemetry.py (/var/run/dpdk/PREFIX/dpdk_telemetry.v2), but without readline
or a tty, and exits 1 when the socket is not there yet, so scripts can poll it.
"""
import argparse
import json
import os
import socket
import sys


def runtime_dir(prefix):
    run = os.environ.get('RUNTIME_DIRECTORY')
    if not run:
        run = '/var/run' if os.getuid() == 0 else os.environ.get('XDG_RUNTIME_DIR', '/tmp')
    return os.path.join(run, 'dpdk', prefix)


def query(prefix, cmds, timeout=5.0):
    path = os.path.join(runtime_dir(prefix), 'dpdk_telemetry.v2')
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    try:
        hello = json.loads(s.recv(4096).decode())
        maxlen = int(hello.get('max_output_len', 16384))
        out = {}
        for c in cmds:
            s.send(c.encode())
            reply = json.loads(s.recv(maxlen).decode())
            # The answer is {"<cmd>": value}; value is null for an unknown command.
            key = c.split(',', 1)[0]
            out[c] = reply.get(key, reply)
        return out
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('-f', '--file-prefix', default='rte')
    ap.add_argument('--pretty', action='store_true')
    ap.add_argument('cmds', nargs='+')
    a = ap.parse_args()
    try:
        res = query(a.file_prefix, a.cmds)
    except (OSError, ValueError) as e:
        print('telemetry: %s: %s' % (a.file_prefix, e), file=sys.stderr)
        return 1
    for c in a.cmds:
        if res[c] is None:
            print('telemetry: %s: no such command' % c, file=sys.stderr)
            return 1
    if len(a.cmds) == 1:
        res = res[a.cmds[0]]
    print(json.dumps(res, indent=2 if a.pretty else None, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
