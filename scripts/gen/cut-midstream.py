#!/usr/bin/env python3
"""Cut a capture so that it starts mid-stream: drop its first SKIP packets
(the handshake and more) and 3 bytes off the first data segment each side
then shows, so each side's first bytes are the middle of a message.
usage: python3 scripts/gen/cut-midstream.py IN OUT SKIP   (needs scapy)
made: testdata/ot/iec104/iec104-090813-midstream-cut.pcap from
      iti__pcaps__IEC60870-5-104__090813_diverse.pcap with SKIP=20
"""
import sys
from scapy.all import rdpcap, wrpcap, TCP, Raw, IP
src, dst, skip = sys.argv[1], sys.argv[2], int(sys.argv[3])
pk = list(rdpcap(src))[skip:]
seen = set()
out = []
for p in pk:
    if p.haslayer(TCP) and p.haslayer(Raw):
        k = (p[IP].src, p[TCP].sport)
        if k not in seen:
            seen.add(k)
            data = bytes(p[Raw].load)
            cut = 3 if len(data) > 3 else 0
            p[Raw].load = data[cut:]
            p[TCP].seq += cut
            del p[IP].len; del p[IP].chksum; del p[TCP].chksum
            t = p.time
            p = p.__class__(bytes(p))
            p.time = t
    out.append(p)
wrpcap(dst, out)
