#!/usr/bin/env python3
"""Make testdata/it/http-pairing.pcap and http-pairing-reordered.pcap.

Two HTTP/1.1 connections: one keep-alive (GET with a body, HEAD with a
Content-Length and no body, 304, 204, POST with Expect: 100-continue and a
chunked 201, GET), one pipelined (three requests in one segment, three
responses in one). The reordered copy swaps the request for /c with its
response, as a capture from a mirror port can show them.
usage: python3 scripts/gen/http-pairing.py OUTDIR   (needs scapy)
"""
import sys
from scapy.all import Ether, IP, TCP, Raw, wrpcap
pk=[]; t=[1700000000.0]
def conn(cport, exchanges, pipelined=False):
    c,s='10.1.0.2','10.1.0.80'
    cs,ss=1000,5000
    def add(src,dst,sp,dp,flags,seq,ack,data=b''):
        p=Ether()/IP(src=src,dst=dst)/TCP(sport=sp,dport=dp,flags=flags,seq=seq,ack=ack,window=65535)
        if data: p=p/Raw(data)
        t[0]+=0.001; p.time=t[0]; pk.append(p)
    add(c,s,cport,80,'S',cs-1,0); add(s,c,80,cport,'SA',ss-1,cs); add(c,s,cport,80,'A',cs,ss)
    def cl(d):
        nonlocal cs; add(c,s,cport,80,'PA',cs,ss,d); cs+=len(d)
    def sv(d):
        nonlocal ss; add(s,c,80,cport,'PA',ss,cs,d); ss+=len(d)
    if pipelined:
        cl(b''.join(r for r,_ in exchanges))
        sv(b''.join(b''.join(x) for _,x in exchanges))
    else:
        for req,resp in exchanges:
            if isinstance(req,tuple):
                # 100-continue: headers, interim, body, final
                cl(req[0]); sv(resp[0]); cl(req[1]); [sv(x) for x in resp[1:]]
            else:
                cl(req); [sv(x) for x in resp]
    add(c,s,cport,80,'FA',cs,ss); add(s,c,80,cport,'FA',ss,cs+1); add(c,s,cport,80,'A',cs+1,ss+1)
H=b'Host: plc\r\n'
conn(40001,[
 (b'GET /a HTTP/1.1\r\n'+H+b'\r\n',[b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', b'hello']),
 (b'HEAD /b HTTP/1.1\r\n'+H+b'\r\n',[b'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n']),
 (b'GET /c HTTP/1.1\r\n'+H+b'If-None-Match: "x"\r\n\r\n',[b'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n']),
 (b'DELETE /d HTTP/1.1\r\n'+H+b'\r\n',[b'HTTP/1.1 204 No Content\r\n\r\n']),
 ((b'POST /e HTTP/1.1\r\n'+H+b'Expect: 100-continue\r\nContent-Length: 4\r\n\r\n', b'data'),
  [b'HTTP/1.1 100 Continue\r\n\r\n', b'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n', b'3\r\nabc\r\n0\r\n\r\n']),
 (b'GET /f HTTP/1.1\r\n'+H+b'\r\n',[b'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\nabc']),
])
conn(40002,[
 (b'GET /p1 HTTP/1.1\r\n'+H+b'\r\n',[b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']),
 (b'GET /p2 HTTP/1.1\r\n'+H+b'\r\n',[b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n']),
 (b'GET /p3 HTTP/1.1\r\n'+H+b'\r\n',[b'HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 1\r\n\r\nz']),
], pipelined=True)
out = sys.argv[1]
wrpcap(f'{out}/http-pairing.pcap', pk)
idx = [i for i, p in enumerate(pk) if p.haslayer('Raw')
       and (b'/c HTTP' in bytes(p['Raw'].load) or b'304 Not' in bytes(p['Raw'].load))]
i, j = idx
pk[i], pk[j] = pk[j], pk[i]
pk[i].time, pk[j].time = pk[j].time, pk[i].time
wrpcap(f'{out}/http-pairing-reordered.pcap', pk)
