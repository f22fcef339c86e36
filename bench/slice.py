#!/usr/bin/env python3
"""Copy the first N packets of a classic pcap file (for profiling runs).

    python3 bench/slice.py IN.pcap OUT.pcap N
"""
import struct
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip())
    src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(src, "rb") as f, open(dst, "wb") as o:
        hdr = f.read(24)
        if len(hdr) < 24:
            sys.exit("slice: file too short for a pcap header")
        magic = hdr[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            endian = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            endian = ">"
        else:
            sys.exit("slice: not a classic pcap file (pcapng is not supported)")
        o.write(hdr)
        count = 0
        while count < n:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack(endian + "IIII", rec)[2]
            if incl > 1 << 24:
                sys.exit(f"slice: absurd record length {incl} at packet {count + 1}")
            data = f.read(incl)
            if len(data) < incl:
                break
            o.write(rec)
            o.write(data)
            count += 1
    print(f"{dst}: {count} packets")


if __name__ == "__main__":
    main()
