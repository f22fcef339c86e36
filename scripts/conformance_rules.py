#!/usr/bin/env python3
"""Rule conformance: reefwatch's alerts against Suricata 8.0.6's on the shared captures.

usage: scripts/conformance-rules.sh [--jobs N] [--only-alerting] [--set et|ics]
                                    [--show N] [--json] [--shared DIR] [DIR...]
  DIR: capture folders (default: ../shared/pcaps and ../shared/pcaps-it, else
  /work/shared/...); only captures listed in the oracle's INDEX.tsv are run.
  Binary: $REEFWATCH, else target/release/reefwatch, else target/debug/reefwatch.

The oracle (../shared/rules/expected/README.md): Suricata 8.0.6's alerts, one
capture at a time, stock suricata.yaml with EXTERNAL_NET "any" (HOME_NET the
default private ranges), modbus/dnp3/enip parsers on, `-k none`. Two sets:
  et   ../shared/rules/et-open-2024-all.rules (24,827 ET Open rules)
       -> expected/et-open/<capture>.jsonl
  ics  ../shared/rules/ics-keywords.rules     (45 ICS keyword rules)
       -> expected/ics-keywords/<capture>.jsonl
We run `reefwatch analyze CAPTURE -S RULES --vars V --eve -` with V holding
EXTERNAL_NET=any (our defaults for the other variables are Suricata's) and
the set's classification.config.

Matching, per capture (an alert is its sid, pcap_cnt and flow; a flow is its
transport and unordered pair of endpoints):
  1. same sid on the same packet (pcap_cnt): matched.
  2. a Suricata alert without pcap_cnt (raised on a stream or flow-end
     pseudo packet, which has no packet number) is matched by one of ours
     with the same sid on the same flow, whatever its packet ("matched on a
     pseudo packet" in the counts).
  3. what is left is missed (Suricata's) or extra (ours), each with a reason:
       unsupported keyword: skipped rule   the rule did not load in reefwatch
       different packet                    same sid on the same flow, another packet
       pseudo packet (no pcap_cnt)         Suricata's alert has no packet and we
                                           had none of that sid on the flow
       ... repeats a packet alert          (missed) Suricata also alerted that sid
                                           on a packet of the flow: its flow-end
                                           raw-stream pass found it again
       threshold                           the rule has threshold/detection_filter
       sid alerted on this flow fewer times by Suricata   (extra) Suricata has
                                           that sid on the flow, fewer times (its
                                           raw-stream inspection alerts once per
                                           inspected chunk, not per packet)
       flow Suricata did not identify as P (ics only, extra) no Suricata alert
                                           of the set on the flow: its parser did
                                           not run (it probes OT protocols on
                                           their standard ports only, and finds
                                           none on some captures). Listed apart,
                                           not counted as extra (issue #17).
       flow identified as P by us, Q by Suricata  app_proto differs
       no alert from reefwatch / no alert from Suricata   otherwise
Tables per rule file (the ET release file a sid comes from) and per protocol
(app_proto, else the transport), then each differing sid with its reasons and
up to --show examples (capture:pcap_cnt).

Goal (issue #17): >= 99% of Suricata's alerts matched and extra alerts <= 1%
of them, in every set run. Exit 0 when met, 1 when not, 2 on an error.
"""

import argparse
import concurrent.futures as cf
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

SETS = {
    # name: (rules file under rules/, expected dir under rules/expected/,
    #        classification, per-file map dir)
    "et": ("et-open-2024-all.rules", "et-open", "et-open-2024/classification.config", "et-open-2024"),
    "ics": ("ics-keywords.rules", "ics-keywords", "et-open-2024/classification.config", None),
}

# Suricata 8's app-layer detection ports for the OT parsers of the ics set
# (suricata.yaml: modbus 502, dnp3 20000, enip 44818 tcp/udp and 2222 udp)
SURICATA_PORTS = {"modbus": {502}, "dnp3": {20000}, "enip": {44818, 2222}}

GOAL_MATCHED = 0.99
GOAL_EXTRA = 0.01


def die(msg):
    print(f"conformance-rules: {msg}", file=sys.stderr)
    sys.exit(2)


def find_binary():
    b = os.environ.get("REEFWATCH")
    if b:
        return b
    for p in ("target/release/reefwatch", "target/debug/reefwatch"):
        p = os.path.join(ROOT, p)
        if os.access(p, os.X_OK):
            return p
    die("no binary: set REEFWATCH or build target/release/reefwatch")


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(s))
    except (ValueError, TypeError):
        return str(s)


def flow_key(ev):
    """Transport and unordered endpoint pair."""
    proto = str(ev.get("proto", "")).upper()
    a = (norm_ip(ev.get("src_ip")), ev.get("src_port", 0) or 0)
    b = (norm_ip(ev.get("dest_ip")), ev.get("dest_port", 0) or 0)
    return (proto,) + tuple(sorted([a, b], key=repr))


def proto_of(ev):
    ap = ev.get("app_proto")
    if ap and ap not in ("failed", "unknown"):
        return ap
    return str(ev.get("proto", "?")).lower()


class Alert:
    __slots__ = ("sid", "pkt", "flow", "proto", "app_proto", "ports")

    def __init__(self, ev, sid):
        self.sid = sid
        self.pkt = ev.get("pcap_cnt")
        self.flow = flow_key(ev)
        self.proto = proto_of(ev)
        self.app_proto = ev.get("app_proto")
        self.ports = {ev.get("src_port"), ev.get("dest_port")}


def load_rules_info(path):
    """sid -> dict(header proto, threshold?, text)."""
    info = {}
    with open(path, errors="replace") as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            m = re.search(r"[(;]\s*sid\s*:\s*(\d+)", s)
            if not m:
                continue
            head = s.split("(", 1)[0].split()
            info[int(m.group(1))] = {
                "proto": head[1] if len(head) > 1 else "?",
                "threshold": bool(re.search(r"\b(threshold|detection_filter)\s*:", s)),
            }
    return info


def sid_files(d):
    """sid -> rule file name of the ET release (active lines first)."""
    out = {}
    if not d or not os.path.isdir(d):
        return out
    for name in sorted(os.listdir(d)):
        if not name.endswith(".rules"):
            continue
        with open(os.path.join(d, name), errors="replace") as f:
            for line in f:
                m = re.search(r"[(;]\s*sid\s*:\s*(\d+)", line)
                if not m:
                    continue
                sid = int(m.group(1))
                active = not line.lstrip().startswith("#")
                if sid not in out or (active and not out[sid][1]):
                    out[sid] = (name, active)
    return {k: v[0] for k, v in out.items()}


def skipped_rules(binary, rules, vars_file, classification):
    """sid -> reason, from `reefwatch rules check`."""
    cmd = [binary, "rules", "check", rules, "--vars", vars_file]
    if classification:
        cmd += ["--classification", classification]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode not in (0, 1):
        die(f"{' '.join(cmd)}: status {p.returncode}: {p.stderr.strip()[:300]}")
    out = {}
    for line in p.stdout.splitlines():
        m = re.match(r".*:\d+: sid (\d+): (.*)$", line)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def read_index(path):
    caps = []
    with open(path) as f:
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if i == 0 or len(parts) < 2:
                continue
            caps.append((parts[0], int(parts[1])))
    return caps


def read_expected(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                ev = json.loads(line)
                out.append(Alert(ev, int(ev["signature_id"])))
    return out


def run_ours(binary, capture, rules, vars_file, classification):
    """Our alerts and our flows' app_proto by flow key; error string or None."""
    cmd = [binary, "analyze", capture, "-S", rules, "--vars", vars_file, "--eve", "-", "-q"]
    if classification:
        cmd += ["--classification", classification]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        return [], {}, f"status {p.returncode}: {p.stderr.strip()[-300:]}"
    alerts, flows = [], {}
    for line in p.stdout.splitlines():
        if '"event_type":"alert"' in line:
            ev = json.loads(line)
            alerts.append(Alert(ev, int(ev["alert"]["signature_id"])))
        elif '"event_type":"flow"' in line:
            ev = json.loads(line)
            ap = ev.get("app_proto")
            if ap:
                flows[flow_key(ev)] = ap
    return alerts, flows, None


def compare(exp, ours, our_flows, rinfo, skipped, set_name):
    """Pair alerts; return list of (kind, alert, reason, detail) where kind is
    matched | pseudo | missed | extra | apart."""
    res = []
    # 1. same sid, same packet
    by_pkt = defaultdict(list)
    for i, a in enumerate(ours):
        by_pkt[(a.sid, a.pkt)].append(i)
    used = set()
    left_exp = []
    for e in exp:
        lst = by_pkt.get((e.sid, e.pkt)) if e.pkt is not None else None
        if lst:
            # prefer the same flow
            j = next((k for k in lst if ours[k].flow == e.flow), lst[0])
            lst.remove(j)
            used.add(j)
            res.append(("matched", e, "", ""))
        else:
            left_exp.append(e)
    left_ours = [i for i in range(len(ours)) if i not in used]
    # 2. pseudo packets: same sid on the same flow
    rest = []
    for e in left_exp:
        if e.pkt is None:
            j = next((k for k in left_ours if ours[k].sid == e.sid and ours[k].flow == e.flow
                      and ours[k].pkt is None), None)
            if j is None:
                j = next((k for k in left_ours if ours[k].sid == e.sid and ours[k].flow == e.flow), None)
            if j is not None:
                left_ours.remove(j)
                res.append(("pseudo", e, "", f"ours on packet {ours[j].pkt}"))
                continue
        rest.append(e)
    # 3. reasons
    exp_sids = Counter(e.sid for e in exp)
    our_sids = Counter(a.sid for a in ours)
    exp_flows = defaultdict(set)  # flow -> app_protos Suricata logged on it
    for e in exp:
        exp_flows[e.flow].add(e.app_proto or "")
    # (sid, flow) Suricata alerted on a real packet / at all
    exp_on_pkt = {(e.sid, e.flow) for e in exp if e.pkt is not None}
    exp_sid_flow = {(e.sid, e.flow) for e in exp}
    pair_ours = defaultdict(list)
    for k in left_ours:
        pair_ours[(ours[k].sid, ours[k].flow)].append(k)
    paired_ours = {}
    for e in rest:
        if e.sid in skipped:
            res.append(("missed", e, "unsupported keyword: skipped rule", skipped[e.sid]))
            continue
        cand = pair_ours.get((e.sid, e.flow))
        if cand:
            k = cand.pop(0)
            paired_ours[k] = e.pkt
            res.append(("missed", e, "different packet", f"ours on packet {ours[k].pkt}"))
            continue
        if e.pkt is None:
            if (e.sid, e.flow) in exp_on_pkt:
                why = "pseudo packet (no pcap_cnt): repeats a packet alert of the flow"
            else:
                why = "pseudo packet (no pcap_cnt)"
            res.append(("missed", e, why, ""))
            continue
        if rinfo.get(e.sid, {}).get("threshold"):
            res.append(("missed", e, "threshold", f"ours {our_sids.get(e.sid, 0)}, Suricata {exp_sids[e.sid]}"))
            continue
        ofl = our_flows.get(e.flow)
        if ofl in ("failed", "unknown"):
            ofl = None
        if e.app_proto and e.app_proto != "failed" and ofl and ofl != e.app_proto:
            res.append(("missed", e, f"flow identified as {ofl} by us, {e.app_proto} by Suricata", ""))
            continue
        if e.app_proto and e.app_proto != "failed" and not ofl:
            res.append(("missed", e, f"flow we did not identify as {e.app_proto}", ""))
            continue
        res.append(("missed", e, "no alert from reefwatch", ""))
    for k in left_ours:
        a = ours[k]
        if k in paired_ours:
            p = paired_ours[k]
            res.append(("extra", a, "different packet", f"Suricata on packet {p if p is not None else '-'}"))
            continue
        if rinfo.get(a.sid, {}).get("threshold") and exp_sids.get(a.sid):
            res.append(("extra", a, "threshold", f"ours {our_sids[a.sid]}, Suricata {exp_sids[a.sid]}"))
            continue
        if (a.sid, a.flow) in exp_sid_flow:
            res.append(("extra", a, "sid alerted on this flow fewer times by Suricata", ""))
            continue
        rproto = rinfo.get(a.sid, {}).get("proto", "?")
        if set_name == "ics" and a.flow not in exp_flows:
            p = a.app_proto or rproto
            std = a.ports & SURICATA_PORTS.get(p, set())
            res.append(("apart", a, f"flow Suricata did not identify as {p}",
                        "standard port" if std else "not on Suricata's port"))
            continue
        sap = {x for x in exp_flows.get(a.flow, set()) if x and x != "failed"}
        if sap and a.app_proto and a.app_proto not in sap:
            res.append(("extra", a, f"flow identified as {a.app_proto} by us, {'/'.join(sorted(sap))} by Suricata", ""))
            continue
        res.append(("extra", a, "no alert from Suricata", ""))
    return res


def run_set(args, set_name, shared, binary, captures_filter, vars_file):
    rules_name, exp_name, class_name, files_dir = SETS[set_name]
    rules = os.path.join(shared, "rules", rules_name)
    exp_dir = os.path.join(shared, "rules", "expected", exp_name)
    classification = os.path.join(shared, "rules", class_name)
    if not os.path.exists(classification):
        classification = None
    for p in (rules, os.path.join(exp_dir, "INDEX.tsv")):
        if not os.path.exists(p):
            die(f"missing {p}")
    rinfo = load_rules_info(rules)
    sfile = sid_files(os.path.join(shared, "rules", files_dir)) if files_dir else {}
    skipped = skipped_rules(binary, rules, vars_file, classification)
    caps = [(c, n) for c, n in read_index(os.path.join(exp_dir, "INDEX.tsv")) if captures_filter(c)]
    if args.only_alerting:
        caps = [(c, n) for c, n in caps if n > 0]
    if not caps:
        die(f"{set_name}: no capture of the oracle's INDEX.tsv under the given folders")

    def one(cn):
        c, n = cn
        exp = read_expected(os.path.join(exp_dir, c + ".jsonl"))
        ours, flows, err = run_ours(binary, os.path.join(shared, c), rules, vars_file, classification)
        return c, exp, ours, flows, err

    results = []
    errors = []
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for c, exp, ours, flows, err in ex.map(one, caps):
            if err:
                errors.append(f"{c}: {err}")
                continue
            for kind, a, reason, detail in compare(exp, ours, flows, rinfo, skipped, set_name):
                results.append((c, kind, a, reason, detail))

    def file_of(sid):
        if set_name == "ics":
            return rules_name
        return sfile.get(sid, "?")

    # tables
    def table(keyf):
        t = defaultdict(Counter)
        for c, kind, a, reason, detail in results:
            k = keyf(a)
            t[k][kind] += 1
            if kind in ("matched", "pseudo", "missed"):
                t[k]["expected"] += 1
        return t

    by_file = table(lambda a: file_of(a.sid))
    by_proto = table(lambda a: a.proto)
    tot = Counter()
    for c, kind, a, reason, detail in results:
        tot[kind] += 1
        if kind in ("matched", "pseudo", "missed"):
            tot["expected"] += 1
    # differing sids
    diffs = defaultdict(lambda: {"missed": Counter(), "extra": Counter(), "apart": Counter(), "ex": defaultdict(list)})
    for c, kind, a, reason, detail in results:
        if kind in ("missed", "extra", "apart"):
            d = diffs[a.sid]
            d[kind][reason] += 1
            ex = d["ex"][(kind, reason)]
            if len(ex) < max(args.show, 0):
                ex.append(f"{c}:{a.pkt if a.pkt is not None else '-'}" + (f" ({detail})" if detail else ""))
    matched = tot["matched"] + tot["pseudo"]
    expected = tot["expected"]
    mpct = matched / expected if expected else 1.0
    xpct = tot["extra"] / expected if expected else (0.0 if tot["extra"] == 0 else 1.0)
    ok = mpct >= GOAL_MATCHED and xpct <= GOAL_EXTRA and not errors
    return {
        "set": set_name,
        "rules": rules,
        "captures": len(caps),
        "skipped_rules": len(skipped),
        "expected": expected,
        "matched": matched,
        "matched_pseudo": tot["pseudo"],
        "missed": tot["missed"],
        "extra": tot["extra"],
        "apart": tot["apart"],
        "matched_pct": round(100 * mpct, 2),
        "extra_pct": round(100 * xpct, 2),
        "goal_met": ok,
        "errors": errors,
        "by_file": {k: dict(v) for k, v in sorted(by_file.items())},
        "by_proto": {k: dict(v) for k, v in sorted(by_proto.items())},
        "diffs": {
            str(sid): {
                "file": file_of(sid),
                "proto": rinfo.get(sid, {}).get("proto", "?"),
                "missed": dict(d["missed"]),
                "extra": dict(d["extra"]),
                "apart": dict(d["apart"]),
                "examples": {f"{k[0]}: {k[1]}": v for k, v in d["ex"].items()},
            }
            for sid, d in sorted(diffs.items())
        },
    }


def print_table(title, t):
    w = max([len(title)] + [len(k) for k in t]) + 1
    print(f"  {title:<{w}} {'expected':>8} {'matched':>8} {'pseudo':>7} {'missed':>7} {'extra':>6} {'apart':>6}")
    for k, c in t.items():
        print(f"  {k:<{w}} {c.get('expected', 0):>8} {c.get('matched', 0) + c.get('pseudo', 0):>8} "
              f"{c.get('pseudo', 0):>7} {c.get('missed', 0):>7} {c.get('extra', 0):>6} {c.get('apart', 0):>6}")


def print_report(r, show):
    print(f"== {r['set']}: {r['rules']} ({r['captures']} captures, {r['skipped_rules']} rules skipped by reefwatch)")
    print_table("rule file", r["by_file"])
    print()
    print_table("protocol", r["by_proto"])
    print()
    print(f"  total: expected {r['expected']}, matched {r['matched']} ({r['matched_pct']}%; "
          f"{r['matched_pseudo']} on pseudo packets), missed {r['missed']}, extra {r['extra']} "
          f"({r['extra_pct']}%), apart {r['apart']} (flows Suricata did not identify)")
    print(f"  goal (>= {100 * GOAL_MATCHED:.0f}% matched, extra <= {100 * GOAL_EXTRA:.0f}%): "
          f"{'met' if r['goal_met'] else 'NOT met'}")
    for e in r["errors"]:
        print(f"  error: {e}")
    if r["diffs"]:
        print("  differing sids:")
    for sid, d in r["diffs"].items():
        parts = []
        for kind in ("missed", "extra", "apart"):
            for reason, n in sorted(d[kind].items(), key=lambda x: -x[1]):
                parts.append(f"{kind} {n}: {reason}")
        print(f"    sid {sid} ({d['file']}, {d['proto']}): " + "; ".join(parts))
        if show > 0:
            for k, ex in d["examples"].items():
                print(f"      {k}: {', '.join(ex)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only-alerting", action="store_true",
                    help="only captures on which Suricata alerted (the fast mode)")
    ap.add_argument("--set", choices=["et", "ics"], action="append",
                    help="rule set (repeatable; default both)")
    ap.add_argument("--show", type=int, default=3, help="examples per differing sid and reason")
    ap.add_argument("--json", action="store_true", help="machine output")
    ap.add_argument("--shared", help="the shared folder (rules/, captures); default: parent of DIR")
    args = ap.parse_args()

    dirs = args.dirs
    if not dirs:
        for base in (os.path.join(ROOT, "..", "shared"), "/work/shared"):
            if os.path.isdir(os.path.join(base, "pcaps")):
                dirs = [os.path.join(base, d) for d in ("pcaps", "pcaps-it")
                        if os.path.isdir(os.path.join(base, d))]
                break
    if not dirs:
        die("no capture folder (../shared/pcaps): give DIR")
    dirs = [os.path.realpath(d) for d in dirs]
    for d in dirs:
        if not os.path.isdir(d):
            die(f"{d}: not a folder")
    shared = os.path.realpath(args.shared) if args.shared else os.path.dirname(dirs[0])
    if not os.path.isdir(os.path.join(shared, "rules", "expected")):
        die(f"{shared}/rules/expected: missing (use --shared)")

    def in_dirs(c):
        p = os.path.realpath(os.path.join(shared, c))
        return any(p == d or p.startswith(d + os.sep) for d in dirs)

    binary = find_binary()
    sets = args.set or ["et", "ics"]
    with tempfile.TemporaryDirectory() as tmp:
        vars_file = os.path.join(tmp, "vars.txt")
        with open(vars_file, "w") as f:
            f.write("EXTERNAL_NET=any\n")
        reports = [run_set(args, s, shared, binary, in_dirs, vars_file) for s in sets]
    if args.json:
        json.dump({"sets": reports, "goal_met": all(r["goal_met"] for r in reports)}, sys.stdout, indent=1)
        print()
    else:
        for r in reports:
            print_report(r, args.show)
            print()
    if any(r["errors"] for r in reports):
        return 2
    return 0 if all(r["goal_met"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
