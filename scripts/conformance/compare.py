#!/usr/bin/env python3
"""Compare reefwatch EVE output with tshark, message by message.

Usage: compare.py [--feed] [--only PROTO[,PROTO]] [--verbose] [--show N] PATH...

For every capture (files, or folders searched recursively for *.pcap,
*.pcapng, *.cap) it runs
  * reefwatch:  `$REEFWATCH analyze FILE --eve - -q --stream-depth 0` (JSON
    lines; the reassembly depth is lifted because tshark decodes whole
    flows; events carry
    `pcap_cnt`, the number of the packet that completed the message), and
  * tshark:     `tshark -r FILE -T pdml -j "<protocols>" -Y <filter>` (PDML
    keeps each PDU of a frame apart, which `-T ek`/`-T fields` do not when a
    frame carries several messages),
joins the messages of both by frame number and compares the fields both
produce. `--feed` replaces reefwatch by the OT crate's development harness
(`ot_feed` example fed with tshark-extracted payloads) for use before the
engine exists.

Protocol modules
----------------
Each `proto_*.py` beside this file describes one protocol; they are
discovered by glob, so adding a protocol means adding a file. A module
defines:

  NAME: str                 report label (e.g. "modbus")
  EVENT_TYPES: tuple[str]   EVE event_type values it reads (e.g. ("modbus",))
  TSHARK_PROTOS: str        space-separated PDML protocol names to keep (-j)
  TSHARK_FILTER: str        display filter selecting frames with messages
  DEFAULT_DIRS: list[str]   folders under the shared captures used when no
                            PATH is given (may be empty)
  tshark_messages(protos) -> list[dict]
        `protos` is the list of (name, Element) PDML <proto> elements of one
        packet, in order; return one dict per message: key -> value (str or
        int). Keys are the comparison keys.
  eve_messages(event) -> list[dict]
        one EVE event (dict) -> its messages with the same keys. Return []
        for events that do not stand for a message on the wire.
Optional:
  TSHARK_ARGS: list[str]    extra tshark options (e.g. decode-as for a port)
  IGNORE_TSHARK(msg) -> str|None
        a reason when tshark's decode of a message is known to be wrong or
        not a message (e.g. tshark malformed-packet markers); such messages
        are reported but not counted as missed.
  reconcile(tshark_msg, reefwatch_msg) -> str|None
        called on each matched pair before comparing; may adjust the pair
        for a documented tshark limitation (e.g. tshark stops decoding at an
        object it does not know) and returns the reason, which the report
        counts; None when nothing was adjusted.
  KNOWN_DIFFERENCES: dict[str, str]
        key -> why values differ by design; those keys are not compared.

Helpers for modules: `fields(elem, name)` returns the `show` values of all
fields named `name` under `elem`; `first(elem, name)`.

Exit status: 1 when any protocol is below TARGET (99.5 %) field agreement or
tshark decodes a message reefwatch misses (not ignored); 2 on usage errors.
"""

import glob
import importlib.util
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

TARGET = 99.5
HERE = os.path.dirname(os.path.abspath(__file__))
EXTS = (".pcap", ".pcapng", ".cap")


def fields(elem, name):
    return [f.get("show") for f in elem.iter("field") if f.get("name") == name]


def first(elem, name, default=None):
    for f in elem.iter("field"):
        if f.get("name") == name:
            return f.get("show")
    return default


def load_modules():
    mods = []
    for path in sorted(glob.glob(os.path.join(HERE, "proto_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        mod.fields = fields
        mod.first = first
        mods.append(mod)
    return mods


def captures(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith(EXTS):
                        out.append(os.path.join(root, f))
        elif os.path.isfile(p):
            out.append(p)
        else:
            print(f"warning: {p}: not found", file=sys.stderr)
    return sorted(set(out))


def run_reefwatch(binary, pcap, feed_cmd):
    try:
        if feed_cmd:
            p = run_feed(feed_cmd, pcap)
        else:
            # full reassembly depth: tshark decodes whole flows
            cmd = [binary, "analyze", pcap, "--eve", "-", "-q", "--stream-depth", "0"]
            p = subprocess.run(cmd, capture_output=True, timeout=900)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    evs = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line.startswith(b"{"):
            continue
        try:
            evs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    err = None
    if p.returncode != 0:
        err = f"exit {p.returncode}: {p.stderr.decode(errors='replace')[-300:]}"
    return evs, err


FEED_FIELDS = ["frame.number", "ip.src", "ipv6.src", "tcp.srcport", "udp.srcport", "ip.dst",
               "ipv6.dst", "tcp.dstport", "udp.dstport", "ip.proto", "tcp.flags.syn",
               "tcp.flags.ack", "tcp.payload", "udp.payload"]


def run_feed(feed_bin, pcap):
    """Development stand-in for the engine: tshark extracts transport
    payloads (retransmissions dropped), the ot_feed example parses them."""
    cmd = ["tshark", "-n", "-r", pcap, "-o", "tcp.analyze_sequence_numbers:TRUE", "-Y",
           "(tcp.len>0 && !tcp.analysis.retransmission) || udp || tcp.flags.syn==1",
           "-T", "fields", "-E", "separator=/t"]
    for f in FEED_FIELDS:
        cmd += ["-e", f]
    t = subprocess.run(cmd, capture_output=True, timeout=900)
    lines = []
    for line in t.stdout.decode(errors="replace").splitlines():
        c = line.split("\t")
        if len(c) < 14:
            continue
        c = [x.split(",")[0] for x in c]
        lines.append("\t".join([c[0], c[1] or c[2], c[3] or c[4], c[5] or c[6], c[7] or c[8],
                                 "17" if c[4] else "6", c[10], c[11], c[12] or c[13]]))
    return subprocess.run([feed_bin], input=("\n".join(lines) + "\n").encode(),
                          capture_output=True, timeout=900)


def protocols_in(pcap, decode_as):
    """Protocol names tshark sees anywhere in the capture (one pass), or
    None when tshark fails (then every module runs)."""
    cmd = ["tshark", "-n", "-r", pcap] + decode_as + ["-T", "fields", "-e", "frame.protocols"]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=900)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode != 0 and not p.stdout:
        return None
    names = set()
    for line in set(p.stdout.decode(errors="replace").splitlines()):
        names.update(line.strip().split(":"))
    return names


def run_tshark(mod, pcap):
    cmd = ["tshark", "-n", "-r", pcap] + list(getattr(mod, "TSHARK_ARGS", [])) + [
        "-Y", mod.TSHARK_FILTER, "-T", "pdml", "-J", "geninfo " + mod.TSHARK_PROTOS,
    ]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {}, "timeout"
    res = {}
    wanted = set(mod.TSHARK_PROTOS.split()) | {"_ws.malformed", "_ws.expert"}
    try:
        for _, pkt in ET.iterparse(_Stream(p.stdout), events=("end",)):
            if pkt.tag != "packet":
                continue
            num = None
            protos = []
            for pr in pkt.findall("proto"):
                n = pr.get("name")
                if n == "geninfo":
                    num = int(first(pr, "num", "0"))
                elif n in wanted:
                    protos.append((n, pr))
            if num is not None:
                msgs = mod.tshark_messages(protos)
                if msgs:
                    res[num] = msgs
            pkt.clear()
    except ET.ParseError as e:
        return res, f"pdml parse error: {e}"
    return res, None


class _Stream:
    """File-like over bytes for iterparse without a temp file."""

    def __init__(self, b):
        self.b = b
        self.i = 0

    def read(self, n=-1):
        if n < 0:
            n = len(self.b) - self.i
        s = self.b[self.i:self.i + n]
        self.i += len(s)
        return s


class Stats:
    def __init__(self):
        self.files = 0
        self.ts_msgs = 0
        self.rw_msgs = 0
        self.missed = 0
        self.ignored = 0
        self.extra = 0
        self.compared = 0
        self.agree = 0
        self.per_key = defaultdict(lambda: [0, 0])
        self.examples = []
        self.ignored_reasons = defaultdict(int)
        self.reconciled = defaultdict(int)
        self.errors = []


def norm(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return f"{v:.6g}"
    s = str(v).strip()
    try:
        if s.lower().startswith("0x"):
            return str(int(s, 16))
        f = float(s)
        if f == int(f) and "e" not in s.lower():
            return str(int(f))
        return f"{f:.6g}"
    except ValueError:
        return s


def compare_file(mod, pcap, events, st, show):
    ts, terr = run_tshark(mod, pcap)
    if terr:
        st.errors.append(f"{os.path.basename(pcap)}: tshark {terr}")
    rw = defaultdict(list)
    for ev in events:
        if ev.get("event_type") not in mod.EVENT_TYPES:
            continue
        n = ev.get("pcap_cnt")
        if not isinstance(n, int):
            continue
        msgs = mod.eve_messages(ev)
        if msgs:
            rw[n].extend(msgs)
    if not ts and not rw:
        return
    st.files += 1
    skip = set(getattr(mod, "KNOWN_DIFFERENCES", {}).keys())
    ignore = getattr(mod, "IGNORE_TSHARK", None)
    for n in sorted(set(ts) | set(rw)):
        t = ts.get(n, [])
        r = list(rw.get(n, []))
        st.rw_msgs += len(r)
        for tm in t:
            reason = ignore(tm) if ignore else None
            if reason:
                st.ignored += 1
                st.ignored_reasons[reason] += 1
                continue
            st.ts_msgs += 1
            # Pair with the reefwatch message of this frame that agrees best.
            best, best_i, best_score = None, -1, -1
            for i, rm in enumerate(r):
                keys = [k for k in tm if k in rm and k not in skip and not k.startswith("_")
                        and tm[k] is not None and rm[k] is not None]
                score = sum(1 for k in keys if norm(tm[k]) == norm(rm[k])) - 0.001 * i
                if score > best_score:
                    best, best_i, best_score = rm, i, score
            if best is None:
                st.missed += 1
                if len(st.examples) < show:
                    st.examples.append(f"{os.path.basename(pcap)} frame {n}: missed {tm}")
                continue
            r.pop(best_i)
            rec = getattr(mod, "reconcile", None)
            if rec:
                best = dict(best)
                why = rec(tm, best)
                if why:
                    st.reconciled[why] += 1
            for k, tv in tm.items():
                if k.startswith("_"):
                    continue
                if k in skip or tv is None or k not in best or best[k] is None:
                    continue
                st.compared += 1
                st.per_key[k][0] += 1
                if norm(tv) == norm(best[k]):
                    st.agree += 1
                    st.per_key[k][1] += 1
                elif len(st.examples) < show:
                    st.examples.append(
                        f"{os.path.basename(pcap)} frame {n}: {k}: tshark={tv!r} reefwatch={best[k]!r}")
        st.extra += len(r)


def main(argv):
    feed = False
    only = None
    verbose = False
    show = 10
    paths = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--feed":
            feed = True
        elif a == "--only":
            i += 1
            only = set(argv[i].split(","))
        elif a == "--verbose":
            verbose = True
        elif a == "--show":
            i += 1
            show = int(argv[i])
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            paths.append(a)
        i += 1
    mods = load_modules()
    if only:
        mods = [m for m in mods if m.NAME in only]
    if not mods:
        print("no protocol modules selected", file=sys.stderr)
        return 2
    binary = os.environ.get("REEFWATCH", "")
    feed_cmd = None
    if feed:
        feed_cmd = os.environ.get("OT_FEED", "")
        if not feed_cmd or not os.path.exists(feed_cmd):
            print("--feed needs OT_FEED=path of the ot_feed example binary "
                  "(cargo build -p reefwatch-ot --example ot_feed)", file=sys.stderr)
            return 2
    elif not binary:
        print("REEFWATCH not set", file=sys.stderr)
        return 2
    if not paths:
        base = os.environ.get("PCAPS", "")
        for m in mods:
            for d in getattr(m, "DEFAULT_DIRS", []):
                paths.append(os.path.join(base, d))
    files = captures(paths)
    if not files:
        print("no captures found", file=sys.stderr)
        return 2
    stats = {m.NAME: Stats() for m in mods}
    decode_as = []
    for m in mods:
        decode_as += list(getattr(m, "TSHARK_ARGS", []))
    for f in files:
        present = protocols_in(f, decode_as)
        events, err = run_reefwatch(binary, f, feed_cmd)
        if events is None:
            for m in mods:
                stats[m.NAME].errors.append(f"{os.path.basename(f)}: reefwatch {err}")
            continue
        if err:
            for m in mods:
                stats[m.NAME].errors.append(f"{os.path.basename(f)}: reefwatch {err}")
        have = {e.get("event_type") for e in events}
        for m in mods:
            # tshark per protocol only where tshark sees it or we logged it
            if present is not None and not (set(m.TSHARK_PROTOS.split()) & present) \
                    and not (set(m.EVENT_TYPES) & have):
                continue
            compare_file(m, f, events, stats[m.NAME], show)
        if verbose:
            print(f"done {f}", file=sys.stderr)
    fail = False
    hdr = f"{'protocol':<10} {'files':>5} {'tshark':>8} {'reefwatch':>9} {'missed':>6} {'extra':>6} {'ignored':>7} {'fields':>8} {'agree%':>8}  verdict"
    print(hdr)
    print("-" * len(hdr))
    for m in mods:
        st = stats[m.NAME]
        if st.files == 0:
            print(f"{m.NAME:<10} {0:>5} {'-':>8} {'-':>9} {'-':>6} {'-':>6} {'-':>7} {'-':>8} {'-':>8}  no messages")
            continue
        pct = 100.0 * st.agree / st.compared if st.compared else 100.0
        ok = pct >= TARGET and st.missed == 0
        fail |= not ok
        print(f"{m.NAME:<10} {st.files:>5} {st.ts_msgs:>8} {st.rw_msgs:>9} {st.missed:>6} {st.extra:>6} "
              f"{st.ignored:>7} {st.compared:>8} {pct:>8.3f}  {'PASS' if ok else 'FAIL'}")
    print()
    for m in mods:
        st = stats[m.NAME]
        if st.files == 0:
            continue
        print(f"[{m.NAME}] per field (compared, agree%): " + ", ".join(
            f"{k} {c} {100.0 * a / c:.2f}%" for k, (c, a) in sorted(st.per_key.items())))
        for k, why in getattr(m, "KNOWN_DIFFERENCES", {}).items():
            print(f"  not compared: {k}: {why}")
        for why, c in st.reconciled.items():
            print(f"  adjusted for tshark ({c}): {why}")
        for why, c in st.ignored_reasons.items():
            print(f"  tshark messages ignored ({c}): {why}")
        for e in st.errors[:5]:
            print(f"  error: {e}")
        for e in st.examples:
            print(f"  diff: {e}")
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
