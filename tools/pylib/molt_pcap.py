# SPDX-License-Identifier: BSD-3-Clause
"""pcap files for molt's Python tests and tools (test/e2e/pcapgen.py, pcapcheck.py, rpc_moltd.py,
tools/bench/molt-bench), through scapy's raw reader and writer: frames go in and out byte for
byte, because scapy's packet classes would re-build, and "fix", the malformed frames the tests
send on purpose. Also the Internet checksum (RFC 1071), scapy's.

Scripts outside this folder put it on sys.path first, e.g. from test/e2e:
    sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools', 'pylib'))
"""
import os

from scapy.error import Scapy_Exception
from scapy.utils import RawPcapNgReader, RawPcapReader, RawPcapWriter
from scapy.utils import checksum

__all__ = ['checksum', 'read_frames', 'write_frames']
LINKTYPE_ETHERNET = 1
PCAP_HEADER_LEN = 24
RECORD_HEADER_LEN = 16


def write_frames(path, frames):
    """Writes frames (bytes) as a classic little-endian Ethernet pcap, one microsecond apart.
    No frames still makes a valid (empty) pcap."""
    w = RawPcapWriter(path, linktype=LINKTYPE_ETHERNET, endianness='<', snaplen=65535)
    try:
        w.write_header(None)
        for i, fr in enumerate(frames):
            w.write_packet(fr, sec=i // 1000000, usec=i % 1000000)
    finally:
        w.close()


def read_frames(path):
    """The frames of a classic pcap file (either byte order, micro- or nanosecond), as bytes.
    Raises OSError when it cannot be opened and ValueError when it is no pcap or ends inside a
    record (a writer stopped mid-frame), so a cut-off capture is never read as a short one."""
    try:
        r = RawPcapReader(path)
    except Scapy_Exception as e:
        raise ValueError('%s: %s' % (path, e)) from None
    try:
        if isinstance(r, RawPcapNgReader):
            raise ValueError('%s: pcapng, not a classic pcap' % path)
        frames, size = [], PCAP_HEADER_LEN
        for data, meta in r:
            if len(data) != meta.caplen:
                raise ValueError('%s: record %d truncated (%d of %d bytes)' % (
                    path, len(frames), len(data), meta.caplen))
            frames.append(data)
            size += RECORD_HEADER_LEN + len(data)
    finally:
        r.close()
    # The reader stops quietly at a partial record header: the sizes tell.
    if size != os.path.getsize(path):
        raise ValueError('%s: %d bytes after the last whole record' % (
            path, os.path.getsize(path) - size))
    return frames
