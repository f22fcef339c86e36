#!/usr/bin/env python3
"""Detection matrix: reefwatch's `app_proto` per flow against tshark.

usage: scripts/detection-matrix.py [--jobs N] [--show N] [DIR...]
  DIR: capture folders with a MANIFEST.tsv (default: ../shared/pcaps and
  ../shared/pcaps-it, else /work/shared/...). Binary: $REEFWATCH, else
  target/release/reefwatch, else target/debug/reefwatch.

Method. Every capture listed in each MANIFEST.tsv is read twice, file by
file, N at a time (default 2): by `reefwatch analyze FILE --eve -` (the
`app_proto` of its `flow` events; nothing or "failed" means "no protocol")
and by `tshark -T fields` (per frame: `frame.protocols` and the innermost
addresses and ports). A flow is its transport and unordered pair of
endpoints, within one file. tshark's label of a flow is the set of
dissectors, mapped to our names by TSHARK_TO_OURS below, that it ran on the
payload of the flow's frames: the layers after the innermost tcp/udp.
Frames quoted inside ICMP errors are skipped.

Verdicts per flow (tshark label T, the set above; ours R):
  ok           R in T, or R is none and T has none of our protocols
  missed       R is none, T names one of ours (listed, not a failure)
  FALSE POS.   R is one of ours and R not in T (T is another of ours, or
               a protocol we do not decode, or undissected data)
Exit 1 on any false positive, 0 otherwise, 2 on a setup error.

Exceptions (each is a place where tshark is wrong or guesses by port only;
they are matched on file, flow and both labels, never on a whole class):
EXCEPTIONS below, each with its reason. One stand-in: tshark 4.0 has no
S7comm-plus dissector; a COTP payload that is a whole S7comm-plus frame is
labelled s7comm-plus (S7PLUS_VERSIONS, s7comm_plus() below).

Gate: exit 1 on any false positive (scripts/test.sh gates on it unless
REEFWATCH_DM_GATE=0).
"""

import concurrent.futures as cf
import ipaddress
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict

# tshark dissector (a layer of frame.protocols) -> our app_proto. A layer
# not listed is a protocol we do not decode; it names the flow's tshark
# label in the table ("data" when tshark found no dissector).
TSHARK_TO_OURS = {
    "mbtcp": "modbus",
    "modbus": "modbus",
    "dnp3": "dnp3",
    "104apci": "iec104",
    "104asdu": "iec104",
    "iec60870_104": "iec104",
    "s7comm": "s7comm",
    "s7comm-plus": "s7comm",
    "s7comm_plus": "s7comm",
    "enip": "enip",
    "cip": "enip",
    "bvlc": "bacnet",
    "bacnet": "bacnet",
    "bacapp": "bacnet",
    "opcua": "opcua",
    "mms": "mms",
    "omron": "omron",
    "hart_ip": "hart_ip",
    "ams": "ads",
    "dns": "dns",
    "mdns": "dns",
    "llmnr": "dns",
    "http": "http",
    "tls": "tls",
    "ssl": "tls",
    "ssh": "ssh",
    "dhcp": "dhcp",
    "bootp": "dhcp",
    "ftp": "ftp",
    "snmp": "snmp",
    "rdp": "rdp",
    "smb": "smb",
    "smb2": "smb",
    "ntp": "ntp",
    "nbns": "nbns",
    "telnet": "telnet",
}
OURS = sorted(set(TSHARK_TO_OURS.values()))

# Layers that carry another protocol: skipped when naming a flow that has
# none of ours (so MMS shows as "mms", not "tpkt").
CARRIERS = {"tpkt", "cotp", "ses", "pres", "acse", "nbss", "data-text-lines",
            "vssmonitoring", "eth", "ethertype", "_ws.malformed", "_ws.short",
            "_ws.unreassembled", "_ws.expert"}

# (file suffix, server port or None, tshark label, ours, reason). Each one
# was checked by hand: the bytes, and tshark with Decode As (-d) naming the
# protocol we do.
EXCEPTIONS = [
    # MMS flows seen first from the server (port: the flow's dest_port, the client's)
    ("iec61850-mms/iti__pcaps__IEC61850__iec.pcap", 53413, "tpkt", "mms",
     "MMS picked up mid-association (flow 53413, frames 1-5: session DT SPDUs, presentation "
     "fully-encoded data, then MMS write request/response and conclude); without the CP tshark "
     "knows no presentation context and stops at pres"),
    ("iec61850-goose-sv/iti__pcaps__IEC61850__Sample_File_MMS_and_GOOSE.pcap", 1069, "tpkt", "mms",
     "MMS information reports (a3 a0 ... 'RPT', e.g. frame 3) on associations opened before the "
     "capture; tshark has no presentation context and stops at pres"),
    ("iec61850-goose-sv/iti__pcaps__IEC61850__Sample_File_MMS_and_GOOSE.pcap", 1072, "tpkt", "mms",
     "MMS information reports (a3 a0 ... 'RPT', e.g. frame 3) on associations opened before the "
     "capture; tshark has no presentation context and stops at pres"),
    ("iec61850-goose-sv/iti__pcaps__IEC61850__Sample_File_MMS_and_GOOSE.pcap", 1083, "tpkt", "mms",
     "MMS information reports (a3 a0 ... 'RPT', e.g. frame 3) on associations opened before the "
     "capture; tshark has no presentation context and stops at pres"),
    ("iec61850-goose-sv/iti__pcaps__IEC61850__Sample_File_MMS_and_GOOSE.pcap", 1089, "data", "mms",
     "as above (flow 1089: information reports from frame 260); tshark's first segment of the "
     "flow is a 1-byte keep-alive, so it labels the flow data"),
    ("pcaps-it/ssh/ssh.pcap", 41644, "data", "ssh",
     "SSH on port 41644: banners SSH-2.0-... both ways (frames 49, 51); tshark decodes "
     "SSH only on 22 (-d tcp.port==41644,ssh: ssh)"),
    ("pcaps-it/ssh/ssh.pcap", 2200, "data", "ssh",
     "SSH on port 2200: banners both ways (frames 203, 205); -d tcp.port==2200,ssh: ssh"),
    ("pcaps-it/ssh/ssh_kex_mlkem.pcap", 2299, "data", "ssh",
     "SSH on port 2299: banners both ways (frames 4, 6); -d tcp.port==2299,ssh: ssh"),
    ("pcaps-it/ssh/ssh-on-port-80.pcap", 80, "http", "ssh",
     "SSH on port 80: server banner SSH-2.0-OpenSSH_5.8p1 (frame 4), client SSH-2.0-OpenSSH_5.2 "
     "(frame 6), then binary KEXINIT; tshark labels by port 80; -d tcp.port==80,ssh: ssh"),
    ("pcaps-it/http/get-to-ssh-server.pcap", 22, "ssh", "http",
     "an HTTP client on port 22: frame 4 is 'GET / HTTP/1.1' (tshark's port-22 SSH dissector "
     "takes it; -d tcp.port==22,http: http); the server answers with an SSH banner. We label "
     "the flow by its first detected direction, the request"),
    ("pcaps-it/http/http-to-ssh.pcap", 22, "ssh", "http",
     "curl sending 'GET / HTTP/1.1' to an SSH server (frame 4; -d tcp.port==22,http: http); "
     "the server answers with its banner and 'Invalid SSH identification string.'"),
    ("pcaps-it/tls/https-to-http.pcap", 80, "-", "tls",
     "a TLS ClientHello (16 03 01 02 00 01, frame 4) sent to an HTTP server on port 80: "
     "tshark's HTTP dissector owns port 80, declines it and runs nothing "
     "(-d tcp.port==80,tls: tls)"),
    ("pcaps-it/tls/ssl-to-http-server.pcap", 80, "-", "tls",
     "a TLS ClientHello (16 03 01 00 72 01, frame 3) to an HTTP server on port 80, answered "
     "'HTTP/1.1 400 Bad Request'; -d tcp.port==80,tls: tls on frame 3"),
    ("pcaps-it/ipv6-http-atomic-frag.pcap", 80, "-", "http",
     "four HTTP/0.9 exchanges ('GET /bad.html' without a version, a bare HTML reply) behind "
     "IPv6 extension headers (dstopts, atomic fragment, hopopts, routing); tshark's HTTP "
     "dissector declines version-less requests, even with -d"),
    ("iti__pcaps__openics__EIP-ControlProtocolChangeAttempt.pcap", 44818, "-", "enip",
     "EtherNet/IP SendUnitData (70 00 20 00, session 0x11020100, status 0, options 0, frame 2) "
     "on a connection captured without its handshake: tshark holds the segments as 'TCP "
     "segment of a reassembled PDU' and never dissects them; -d tcp.port==1102,enip: enip:cip"),
    ("iti__pcaps__bro__dnp3__dnp3_read_p20001.pcap", 20001, "data", "dnp3",
     "DNP3 on port 20001 (Zeek's test of DNP3 on a non-standard port): 05 64 start, link "
     "header CRCs valid; -d tcp.port==20001,dnp3: dnp3"),
    ("iti__pcaps__C37.118__C37.118_2PMUsInSync_TCP.pcap", 4989, "data", "dhcp",
     "a DHCPDISCOVER (op 1, htype 1, hlen 6, magic cookie 63 82 53 63, option 53 = 1, "
     "vendor option 43 'OMICRON') broadcast from 0.0.0.0:0 to port 4989 (OMICRON device "
     "discovery, frame 3755); tshark decodes DHCP on 67/68 only (-d udp.port==4989,dhcp: dhcp)"),
    ("icsnpp-opcua__tests__traces__open62541_client-server_mainloop.pcap", 63329, "data", "ntp",
     "an NTPv4 client request (0x23, frame 5) and server reply (0x24, stratum 1, refid LOCL, "
     "frame 6) whose originate timestamp equals the request's transmit timestamp "
     "5945e44a.cccc18d4; tshark decodes NTP on port 123 only (-d udp.port==63329,ntp: ntp)"),
    ("opcua/icsnpp-opcua__pcaps__open62541_client-server_mainloop-not-localhost-non-standard-port.pcap",
     48010, "data", "opcua",
     "OPC UA on port 48010: HEL 'opc.tcp://...' / ACK / OPN with SecurityPolicy#None URI, "
     "tshark decodes OPC UA only on 4840 (-d tcp.port==48010,opcua: opcua on 68 frames)"),
    ("opcua/iti__pcaps__OPC__opc-ua-ap-method-wireshark-freeze.pcap", 12001, "data", "opcua",
     "OPC UA on port 12001 (two connections, HEL frames 4 and 50, ACK, OPN #None, "
     "GetEndpoints ...); -d tcp.port==12001,opcua: opcua on 24 frames"),
]

# tshark 4.0 has no S7comm-plus dissector (it is an out-of-tree plugin), so
# S7comm-plus shows as tpkt:cotp:data. A COTP DT payload that is a whole
# S7comm-plus frame (protocol id 0x72, version 1, 2, 3 or 0x20, data length
# such that header + data (+ the 4-byte trailer 72 vv 00 00) is the payload)
# is labelled s7comm-plus, standing in for the missing dissector.
S7PLUS_VERSIONS = {0x01, 0x02, 0x03, 0x20}


def s7comm_plus(data_hex):
    try:
        b = bytes.fromhex(data_hex.split(",")[0])
    except ValueError:
        return False
    if len(b) < 4 or b[0] != 0x72 or b[1] not in S7PLUS_VERSIONS:
        return False
    n = int.from_bytes(b[2:4], "big")
    if len(b) == 4 + n:
        return n > 0
    return len(b) == 8 + n and b[4 + n] == 0x72 and b[5 + n] == b[1]

FIELDS = ["frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
          "tcp.len", "udp.length", "data.data"]


def last(v):
    return v.split(",")[-1] if v else ""


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def tshark_flows(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
           "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    flows = defaultdict(Counter)
    for line in p.stdout.splitlines():
        c = line.split("\t")
        if len(c) < len(FIELDS):
            continue
        layers = c[0].split(":")
        # innermost transport
        ti = max((i for i, l in enumerate(layers) if l in ("tcp", "udp")), default=-1)
        if ti < 0:
            continue
        if any(l in ("icmp", "icmpv6") for l in layers[:ti]):
            continue  # a header quoted in an ICMP error
        proto = layers[ti].upper()
        ip4 = last(c[1]), last(c[2])
        ip6 = last(c[3]), last(c[4])
        # the innermost IP layer is the one before the transport
        ipl = next((l for l in reversed(layers[:ti]) if l in ("ip", "ipv6")), "ip")
        src, dst = (ip6 if ipl == "ipv6" and ip6[0] else ip4)
        if proto == "TCP":
            sp, dp = last(c[5]), last(c[6])
        else:
            sp, dp = last(c[7]), last(c[8])
        if not sp or not dp or not src:
            continue
        key = (proto, frozenset([(norm_ip(src), int(sp)), (norm_ip(dst), int(dp))]))
        payload = layers[ti + 1:]
        if not payload:
            flows[key]  # seen, no payload
            continue
        # SMB inside NetBIOS datagrams (UDP 138, browser announcements) is
        # not the SMB-over-TCP we decode: the flow is "nbdgm"
        if payload[0] == "nbdgm":
            payload = ["nbdgm"]
        # tshark 4.0 has no dissector for ADS's UDP discovery/route service
        # (port 48899): a datagram starting with its cookie 03 66 14 71 is
        # labelled ads, standing in for it
        if proto == "UDP" and payload == ["data"] and c[11].startswith("03661471"):
            payload = ["ams"]
        if payload == ["tpkt", "cotp", "data"] and s7comm_plus(c[11]):
            payload = ["tpkt", "cotp", "s7comm-plus"]
        ours = [TSHARK_TO_OURS[l] for l in payload if l in TSHARK_TO_OURS]
        if ours:
            flows[key][ours[0]] += 1
        else:
            other = next((l for l in payload if l not in CARRIERS), payload[0])
            flows[key]["~" + other] += 1
    return flows, p.returncode


def reefwatch_flows(binary, path):
    p = subprocess.run([binary, "analyze", path, "--eve", "-", "-q"],
                       capture_output=True, text=True, errors="replace")
    flows = {}
    for line in p.stdout.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event_type") != "flow" or e.get("proto") not in ("TCP", "UDP"):
            continue
        key = (e["proto"], frozenset([(norm_ip(e["src_ip"]), e.get("src_port", 0)),
                                      (norm_ip(e["dest_ip"]), e.get("dest_port", 0))]))
        ap = e.get("app_proto", "")
        if ap == "failed":
            ap = ""
        # a 5-tuple reused within the file: any labelled instance counts
        if ap or key not in flows:
            flows[key] = (ap, e.get("dest_port", 0))
    return flows, p.returncode


def one(binary, path):
    (ts, trc), (rw, rrc) = tshark_flows(path), reefwatch_flows(binary, path)
    return path, ts, rw, trc, rrc


def tshark_label(counter):
    ours = [k for k in counter if not k.startswith("~")]
    if ours:
        return set(ours), max(ours, key=lambda k: counter[k])
    others = [k for k in counter if k.startswith("~")]
    if others:
        return set(), max(others, key=lambda k: counter[k])[1:]
    return set(), "-"  # no payload seen by tshark


def exception_for(path, port, tlabel, ours):
    for suffix, eport, tl, o, reason in EXCEPTIONS:
        if path.endswith(suffix) and (eport is None or eport == port) and tl == tlabel and o == ours:
            return reason
    return None


def main(argv):
    jobs, show, dirs = 2, 40, []
    it = iter(argv)
    for a in it:
        if a == "--jobs":
            jobs = int(next(it))
        elif a == "--show":
            show = int(next(it))
        else:
            dirs.append(a)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not dirs:
        for base in (os.path.join(root, "..", "shared"), "/work/shared"):
            if os.path.isdir(os.path.join(base, "pcaps")):
                dirs = [os.path.join(base, d) for d in ("pcaps", "pcaps-it")]
                break
    if not dirs:
        print("no capture folders found", file=sys.stderr)
        return 2
    binary = os.environ.get("REEFWATCH") or next(
        (b for b in (os.path.join(root, "target", t, "reefwatch") for t in ("release", "debug"))
         if os.access(b, os.X_OK)), None)
    if not binary:
        print("reefwatch binary not found (set REEFWATCH)", file=sys.stderr)
        return 2
    files = []
    for d in dirs:
        with open(os.path.join(d, "MANIFEST.tsv")) as m:
            next(m)
            files += [os.path.join(d, l.split("\t")[0]) for l in m if l.strip()]
    table = Counter()
    fps, missed, excused, errors = [], [], [], []
    with cf.ThreadPoolExecutor(jobs) as ex:
        for path, ts, rw, trc, rrc in ex.map(lambda f: one(binary, f), files):
            rel = os.path.relpath(path, os.path.dirname(dirs[0]))
            if rrc not in (0,):
                errors.append(f"{rel}: reefwatch exit {rrc}")
            for key, (ours, port) in rw.items():
                tset, tname = tshark_label(ts.get(key, Counter()))
                r = ours or "none"
                shown = tname if tname in OURS else (f"({tname})" if tname != "-" else "-")
                table[(shown, r)] += 1
                if ours and ours not in tset:
                    reason = exception_for(rel, port, tname, ours)
                    ends = sorted(f"{a}:{p}" for a, p in key[1])
                    item = f"{rel}  {key[0]} {' '.join(ends)}  tshark={tname} ours={ours}"
                    (excused if reason else fps).append(item + (f"  [{reason}]" if reason else ""))
                elif not ours and tset:
                    ends = sorted(f"{a}:{p}" for a, p in key[1])
                    missed.append(f"{rel}  {key[0]} {' '.join(ends)}  tshark={tname}")
    rows = sorted({t for t, _ in table})
    cols = [c for c in OURS if any(r == c for _, r in table)] + ["none"]
    w = max(len(r) for r in rows + ["tshark \\ ours"]) + 1
    print(f"detection matrix: {len(files)} captures, {sum(table.values())} TCP/UDP flows; "
          "rows: tshark's label (parenthesised: a protocol we do not decode), columns: reefwatch's app_proto")
    print("tshark \\ ours".ljust(w) + "".join(c.rjust(8) for c in cols))
    for t in rows:
        print(t.ljust(w) + "".join((str(table[(t, c)]) if table[(t, c)] else ".").rjust(8) for c in cols))
    print(f"\nmissed (tshark names one of ours, we name none): {len(missed)}")
    for m in missed[:show]:
        print("  missed:", m)
    print(f"excused by a documented exception: {len(excused)}")
    for m in excused:
        print("  excused:", m)
    for e in errors:
        print("  error:", e)
    print(f"FALSE POSITIVES: {len(fps)}")
    for m in fps[:max(show, 200)]:
        print("  fp:", m)
    return 1 if fps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
