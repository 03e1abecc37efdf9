#!/usr/bin/env python3
"""Segments of the download in a pcap of nat-qemu.sh's DUMP=DIR: data segments from 10.0.2.2 (sizes, PSH) and the
guest's pure ACKs (how far each advances, the windows it advertises). Usage: bench/pcap-segments.py FILE..."""
import collections
import struct
import sys


def analyze(path):
    with open(path, 'rb') as f:
        head = f.read(24)
        e = '<' if struct.unpack('<I', head[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
        sizes, advances, windows = collections.Counter(), collections.Counter(), collections.Counter()
        segs = data = psh = acks = 0
        last = None
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            _, _, incl, orig = struct.unpack(e + 'IIII', h)
            d = f.read(incl)
            if orig < 54 or d[12:14] != b'\x08\x00' or d[23] != 6:
                continue  # IPv4/TCP only
            ihl = (d[14] & 15) * 4
            t = 14 + ihl
            ack = struct.unpack('>I', d[t + 8:t + 12])[0]
            flags, win = d[t + 13], struct.unpack('>H', d[t + 14:t + 16])[0]
            plen = struct.unpack('>H', d[16:18])[0] - ihl - (d[t + 12] >> 4) * 4
            if d[26:30] == bytes([10, 0, 2, 2]):
                if plen > 0:
                    segs += 1
                    data += plen
                    sizes[plen] += 1
                    psh += bool(flags & 8)
            elif plen == 0 and flags & 16:
                acks += 1
                windows[win] += 1
                if last is not None:
                    advances[(ack - last) & 0xffffffff] += 1
                last = ack
    print(f'{path}: {segs} data segments, {data} bytes, {psh} with PSH; {acks} pure ACKs from the guest '
          f'({segs / max(acks, 1):.1f} segments per ACK)')
    print('  sizes', sizes.most_common(6))
    print('  ACK advances', advances.most_common(6))
    print('  window fields', windows.most_common(4))


for p in sys.argv[1:]:
    analyze(p)
