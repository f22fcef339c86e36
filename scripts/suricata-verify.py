#!/usr/bin/env python3
"""Run suricata-verify's alert-checking tests against reefwatch.

usage: scripts/suricata-verify.py [--jobs N] [--show N] [--json] [--only NAME...]
                                  [--suite DIR] [--self-test] [TEST...]
  --suite DIR  the suite (default ../shared/suricata-verify, else
               /work/shared/suricata-verify); TEST: test names (paths under
               tests/) to run instead of all.
  --self-test  the runner's own tests: the check evaluator on made-up events,
               then the two example tests in testdata/rules/sv (copied from
               suricata-verify, testdata/rules/NOTICE) with the binary.
  Binary: $REEFWATCH, else target/release/reefwatch, else target/debug/reefwatch.

What a test is (the suite's README): a directory under tests/ with test.yaml.
This runner takes the alert-checking ones: a pcap (`pcap:`, else input.pcap,
else the directory's only capture), rules in test.rules, and at least one
`filter` check on alerts (match `event_type: alert`, or a key under
`alert.`, in eve.json). It runs

    reefwatch analyze PCAP -S test.rules --eve eve.json -q --rules-verbose

(with the test's classification.config if it has one, else ET Open's, the
same as Suricata's stock one), and evaluates those checks: the count of EVE
lines satisfying every `match:` entry must equal `count:`. Keys are dotted
paths with [i] indexes and the suffixes __len, __contains (membership or
substring), __find, __startswith, __endswith, __gt, __gte, __lt, __lte;
`has-key` / `not-has-key` take a path (or a list); a null is absent; other
values compare equal (a number and its string form are equal, as YAML may
type either). Checks of other kinds (shell, stats, file-compare) and filters
on other event types are not evaluated (counted in the summary).

Skipped, with the reason: `requires:` the runner does not meet (min-version
above 8.0.6, lt-version at or below it, features other than HAVE_JA3 and
HAVE_JA4, lua scripts), a `command:` of its own, IPS mode (--simulate-ips,
stream.inline), --engine-analysis, `pcap: false` or no capture; a check whose
own requires: fail is left out. Other `args:` (Suricata settings) are not
honoured: such a test runs plainly and its failure says so.

Output: one line per failing test with the first failing check (and the rules
that did not load), skip reasons by frequency, pass/fail/skip totals, and
the share of passes among the alert-checking tests Suricata 8.0.6 passes run
plainly (plain-pass.txt; a skip there counts as not passed). Exit 0 when
that share is >= 95% (issue #17), 1 when not, 2 on an error.
"""

import argparse
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter

try:
    import yaml
except ImportError:  # scripts/setup.sh installs it
    print("suricata-verify: needs pyyaml (pip install pyyaml; scripts/setup.sh)", file=sys.stderr)
    sys.exit(2)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
VERSION = (8, 0, 6)  # the Suricata version reefwatch's rule engine follows
FEATURES = {"HAVE_JA3", "HAVE_JA4"}
GOAL = 0.95
CAPTURE_EXT = (".pcap", ".pcapng", ".cap", ".pcap.gz")
OPS = ("__len", "__contains", "__find", "__startswith", "__endswith", "__gte", "__gt", "__lte", "__lt")


def find_binary():
    b = os.environ.get("REEFWATCH")
    if b:
        return b
    for p in ("target/release/reefwatch", "target/debug/reefwatch"):
        p = os.path.join(ROOT, p)
        if os.access(p, os.X_OK):
            return p
    print("suricata-verify: no binary: set REEFWATCH or build target/release/reefwatch", file=sys.stderr)
    sys.exit(2)


# ---- checks -------------------------------------------------------------

_MISSING = object()


def get_path(obj, path):
    """Value at a dotted path with [i] indexes; _MISSING when absent (or null)."""
    cur = obj
    for part in path.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[-?\d+\])*)", part)
        if not m:
            return _MISSING
        name, idx = m.group(1), re.findall(r"\[(-?\d+)\]", m.group(2))
        if name:
            if not isinstance(cur, dict) or name not in cur:
                return _MISSING
            cur = cur[name]
        for i in idx:
            i = int(i)
            if not isinstance(cur, list) or not -len(cur) <= i < len(cur):
                return _MISSING
            cur = cur[i]
        if cur is None:
            return _MISSING
    return cur


def equal(val, want):
    if val == want:
        return True
    if isinstance(val, bool) or isinstance(want, bool):
        return False
    if isinstance(val, (int, float, str)) and isinstance(want, (int, float, str)):
        return str(val) == str(want)
    return False


def match_entry(ev, key, want):
    if key == "has-key":
        return all(get_path(ev, k) is not _MISSING for k in (want if isinstance(want, list) else [want]))
    if key == "not-has-key":
        return all(get_path(ev, k) is _MISSING for k in (want if isinstance(want, list) else [want]))
    op = next((o for o in OPS if key.endswith("." + o)), None)
    path = key[: -len(op) - 1] if op else key
    val = get_path(ev, path)
    if val is _MISSING:
        return False
    if op is None:
        return equal(val, want)
    if op == "__len":
        return hasattr(val, "__len__") and len(val) == want
    if op == "__contains":
        if isinstance(val, list):
            return any(equal(v, want) for v in val)
        return isinstance(val, str) and str(want) in val
    if op == "__find":
        return isinstance(val, str) and val.find(str(want)) != -1
    if op == "__startswith":
        return isinstance(val, str) and val.startswith(str(want))
    if op == "__endswith":
        return isinstance(val, str) and val.endswith(str(want))
    try:
        v, w = float(val), float(want)
    except (TypeError, ValueError):
        return False
    return {"__gt": v > w, "__gte": v >= w, "__lt": v < w, "__lte": v <= w}[op]


def event_matches(ev, match):
    return all(match_entry(ev, k, v) for k, v in (match or {}).items())


def is_alert_filter(f):
    m = f.get("match") or {}
    if f.get("filename", "eve.json") != "eve.json":
        return False
    if m.get("event_type") == "alert":
        return True
    return "event_type" not in m and any(str(k).startswith("alert.") for k in m)


# ---- requirements -------------------------------------------------------

def parse_version(v):
    parts = [int(x) for x in re.findall(r"\d+", str(v))]
    return tuple(parts[:3]) if parts else None


def padded(v, n=3):
    return tuple(list(v) + [0] * (n - len(v)))


def requires_unmet(req):
    """None when met, else the reason."""
    if not req:
        return None
    if not isinstance(req, dict):
        return f"requires: {req!r}"
    for k, v in req.items():
        if k == "min-version":
            want = parse_version(v)
            if want and padded(VERSION) < padded(want):
                return f"min-version {v}"
        elif k == "lt-version":
            want = parse_version(v)
            if want and padded(VERSION) >= padded(want):
                return f"lt-version {v}"
        elif k == "gt-version":
            want = parse_version(v)
            if want and padded(VERSION) <= padded(want):
                return f"gt-version {v}"
        elif k == "version":
            want = parse_version(v)
            if want and VERSION[: len(want)] != want:
                return f"version {v}"
        elif k == "features":
            missing = [f for f in (v or []) if f not in FEATURES]
            if missing:
                return "feature " + ",".join(missing)
        elif k == "script":
            return "lua script"
        elif k == "pcap":
            continue
        elif k == "files":
            continue
        else:
            return f"requires {k}"
    return None


# ---- one test -----------------------------------------------------------

def find_pcap(tdir, y):
    p = y.get("pcap")
    if p is False:
        return None, "pcap: false"
    if isinstance(p, str):
        path = os.path.normpath(os.path.join(tdir, p))
        return (path, None) if os.path.exists(path) else (None, f"pcap {p} not in the suite")
    if os.path.exists(os.path.join(tdir, "input.pcap")):
        return os.path.join(tdir, "input.pcap"), None
    caps = sorted(f for f in os.listdir(tdir) if f.endswith(CAPTURE_EXT))
    if len(caps) == 1:
        return os.path.join(tdir, caps[0]), None
    return None, "no capture" if not caps else "several captures, none named"


def plan(tdir):
    """(kind, info): kind is 'run', 'skip' or 'other' (not alert-checking)."""
    try:
        with open(os.path.join(tdir, "test.yaml")) as f:
            y = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        return "skip", {"reason": f"test.yaml: {e}"}
    checks = y.get("checks") or []
    filters = [c["filter"] for c in checks if isinstance(c, dict) and isinstance(c.get("filter"), dict)]
    alert_filters = [f for f in filters if is_alert_filter(f)]
    rules = os.path.join(tdir, "test.rules")
    if not alert_filters or not os.path.exists(rules):
        return "other", {}
    why = requires_unmet(y.get("requires")) or requires_unmet(y.get("requirements"))
    if why:
        return "skip", {"reason": why}
    if "skip" in y:
        return "skip", {"reason": "skip: in test.yaml"}
    if "command" in y:
        return "skip", {"reason": "command of its own"}
    args = " ".join(str(a) for a in (y.get("args") or []))
    if "--simulate-ips" in args or "stream.inline=true" in args:
        return "skip", {"reason": "IPS mode"}
    if "--engine-analysis" in args:
        return "skip", {"reason": "--engine-analysis"}
    if "--unix-socket" in args:
        return "skip", {"reason": "unix socket"}
    pcap, why = find_pcap(tdir, y)
    if not pcap:
        return "skip", {"reason": why}
    live = []
    left_out = 0
    for f in alert_filters:
        if requires_unmet(f.get("requires")):
            left_out += 1
            continue
        live.append(f)
    if not live:
        return "skip", {"reason": "every alert check requires another version"}
    cls = os.path.join(tdir, "classification.config")
    other_args = [a for a in re.split(r"\s+", args) if a and a not in ("-k", "none")]
    return "run", {
        "pcap": pcap,
        "rules": rules,
        "filters": live,
        "left_out": left_out,
        "not_evaluated": len(checks) - len(alert_filters),
        "classification": cls if os.path.exists(cls) else None,
        "args": other_args,
    }


def run_test(binary, name, info, default_class):
    with tempfile.TemporaryDirectory() as tmp:
        eve = os.path.join(tmp, "eve.json")
        cmd = [binary, "analyze", info["pcap"], "-S", info["rules"], "--eve", eve, "-q", "--rules-verbose"]
        cls = info["classification"] or default_class
        if cls:
            cmd += ["--classification", cls]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120, cwd=tmp)
        except subprocess.TimeoutExpired:
            return {"status": "fail", "reason": "timeout (120 s)"}
        skipped = [ln.split(": ", 1)[1] if ": " in ln else ln
                   for ln in p.stderr.splitlines() if re.search(r":\d+: sid ", ln)]
        if p.returncode != 0:
            tail = p.stderr.strip().splitlines()[-1:] or [""]
            return {"status": "fail", "reason": f"reefwatch exited {p.returncode}: {tail[0][:200]}",
                    "skipped_rules": skipped}
        events = []
        if os.path.exists(eve):
            with open(eve, errors="replace") as f:
                for ln in f:
                    try:
                        events.append(json.loads(ln))
                    except ValueError:
                        pass
    for i, f in enumerate(info["filters"]):
        n = sum(1 for ev in events if event_matches(ev, f.get("match")))
        want = f.get("count")
        if want is None:
            ok = n > 0
        else:
            ok = n == want
        if not ok:
            m = ", ".join(f"{k}={v}" for k, v in (f.get("match") or {}).items())
            reason = f"check {i + 1}: {{{m}}}: {n} events, want {want}"
            if skipped:
                reason += f"; rules not loaded: {'; '.join(skipped[:3])}"
            if info["args"]:
                reason += f"; args not honoured: {' '.join(info['args'])[:120]}"
            return {"status": "fail", "reason": reason, "skipped_rules": skipped}
    return {"status": "pass", "checks": len(info["filters"])}


def all_tests(suite):
    base = os.path.join(suite, "tests")
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        if "test.yaml" in filenames:
            out.append(os.path.relpath(dirpath, base))
    return sorted(out)


def run_suite(binary, suite, names, jobs, default_class):
    base = os.path.join(suite, "tests")
    results = {}
    todo = []
    for n in names:
        kind, info = plan(os.path.join(base, n))
        if kind == "other":
            continue
        if kind == "skip":
            results[n] = {"status": "skip", "reason": info["reason"]}
        else:
            todo.append((n, info))
    with cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        futs = {ex.submit(run_test, binary, n, info, default_class): n for n, info in todo}
        for fu in cf.as_completed(futs):
            results[futs[fu]] = fu.result()
    return results


def reason_class(r):
    """A short class of a failure reason, for the summary."""
    s = r.get("reason", "")
    if "rules not loaded" in s:
        m = re.search(r"rules not loaded: ([^;]*)", s)
        first = m.group(1) if m else ""
        first = re.sub(r"sid \d+: ", "", first)
        return "rule not loaded: " + re.sub(r"[`'\"].*", "", first)[:70]
    if "args not honoured" in s:
        return "needs Suricata args (not honoured)"
    if re.search(r": 0 events, want [1-9]", s):
        return "missing alert(s)"
    if re.search(r": \d+ events, want 0", s):
        return "unexpected alert(s)"
    if re.search(r"events, want", s):
        return "wrong alert count"
    return s[:60]


def report(results, plain, show, as_json):
    c = Counter(r["status"] for r in results.values())
    plain_alert = sorted(n for n in results if n in plain)
    plain_pass = [n for n in plain_alert if results[n]["status"] == "pass"]
    share = len(plain_pass) / len(plain_alert) if plain_alert else 0.0
    out = {
        "tests": len(results),
        "pass": c["pass"],
        "fail": c["fail"],
        "skip": c["skip"],
        "plain_pass_alert_tests": len(plain_alert),
        "plain_pass_passed": len(plain_pass),
        "plain_pass_share": round(100 * share, 1),
        "goal_met": share >= GOAL,
        "results": results,
    }
    if as_json:
        json.dump(out, sys.stdout, indent=1, sort_keys=True)
        print()
        return out
    fails = sorted(n for n, r in results.items() if r["status"] == "fail")
    for n in fails[: show if show >= 0 else None]:
        tag = " [plain-pass]" if n in plain else ""
        print(f"FAIL {n}{tag}: {results[n]['reason']}")
    if fails and 0 <= show < len(fails):
        print(f"... {len(fails) - show} more failures (--show)")
    fr = Counter(reason_class(results[n]) for n in fails)
    if fr:
        print("failure reasons:")
        for k, v in fr.most_common():
            print(f"  {v:4}  {k}")
    sr = Counter(r["reason"] for r in results.values() if r["status"] == "skip")
    if sr:
        print("skip reasons:")
        for k, v in sr.most_common():
            print(f"  {v:4}  {k}")
    pf = Counter(reason_class(results[n]) for n in plain_alert if results[n]["status"] == "fail")
    ps = [n for n in plain_alert if results[n]["status"] == "skip"]
    print(f"alert-checking tests: {len(results)}: {c['pass']} pass, {c['fail']} fail, {c['skip']} skip")
    print(f"of those Suricata 8.0.6 passes plainly: {len(plain_pass)}/{len(plain_alert)} pass "
          f"({100 * share:.1f}%; goal {100 * GOAL:.0f}%); {sum(pf.values())} fail, {len(ps)} skip"
          + (f" ({', '.join(ps)})" if ps else ""))
    return out


# ---- self-test ----------------------------------------------------------

def self_test(binary):
    ev = {"event_type": "alert", "src_port": 80, "alert": {"signature_id": 2, "metadata": {"a": ["x", "y"]}},
          "http": {"hostname": "www.example.com", "headers": [{"n": "Host"}, {"n": "Accept"}]},
          "flow": None, "pcap_cnt": 7}
    cases = [
        ({"event_type": "alert", "alert.signature_id": 2}, True),
        ({"alert.signature_id": "2"}, True),  # YAML may type it a string
        ({"alert.signature_id": 3}, False),
        ({"pcap_cnt.__gt": 6, "pcap_cnt.__lte": 7}, True),
        ({"pcap_cnt.__lt": 7}, False),
        ({"http.headers.__len": 2}, True),
        ({"http.headers[1].n": "Accept"}, True),
        ({"http.headers[2].n": "Accept"}, False),
        ({"alert.metadata.a.__contains": "y"}, True),
        ({"http.hostname.__contains": "example"}, True),
        ({"http.hostname.__startswith": "www."}, True),
        ({"http.hostname.__endswith": ".org"}, False),
        ({"http.hostname.__find": "ample"}, True),
        ({"has-key": "alert.metadata"}, True),
        ({"has-key": "flow"}, False),  # null is absent
        ({"not-has-key": ["flow", "dns"]}, True),
        ({"not-has-key": "http"}, False),
    ]
    bad = 0
    for m, want in cases:
        if event_matches(ev, m) != want:
            print(f"self-test: match {m}: got {not want}, want {want}")
            bad += 1
    if requires_unmet({"min-version": "9"}) is None or requires_unmet({"min-version": "8.0.5"}) is not None:
        print("self-test: min-version")
        bad += 1
    if requires_unmet({"lt-version": "8"}) is None or requires_unmet({"features": ["HAVE_LUA"]}) is None:
        print("self-test: lt-version/features")
        bad += 1
    print(f"self-test: check evaluator: {len(cases) + 2 - bad}/{len(cases) + 2} ok")
    # the example tests, with expected outcomes: both pass, every check
    # evaluated; and a broken copy of one (a check's count off by one) fails
    suite = os.path.join(ROOT, "testdata", "rules", "sv")
    names = all_tests(suite)
    want = {"bug-4503": None, "tls/tls-client-hello-frag-01": None}
    if sorted(names) != sorted(want):
        print(f"self-test: examples: found {names}, want {sorted(want)}")
        return 1
    cls = default_classification()
    res = run_suite(binary, suite, names, 2, cls)
    for n in names:
        r = res.get(n, {})
        ok = r.get("status") == "pass" and (want[n] is None or r.get("checks") == want[n])
        print(f"self-test: {n}: {r.get('status')} ({r.get('checks', r.get('reason'))}){'' if ok else '  UNEXPECTED'}")
        bad += not ok
    kind, info = plan(os.path.join(suite, "tests", "bug-4503"))
    info["filters"] = [dict(f, count=(f.get("count") or 0) + 1) for f in info["filters"]]
    r = run_test(binary, "bug-4503", info, cls)
    if r["status"] != "fail":
        print("self-test: a wrong count was not caught")
        bad += 1
    else:
        print(f"self-test: wrong count caught: {r['reason']}")
    print("self-test: " + ("ok" if not bad else f"{bad} failure(s)"))
    return 0 if not bad else 1


def default_classification():
    for base in (os.path.join(ROOT, "..", "shared"), "/work/shared"):
        p = os.path.join(base, "rules", "et-open-2024", "classification.config")
        if os.path.exists(p):
            return p
    p = os.path.join(ROOT, "testdata", "rules", "classification.config")
    return p if os.path.exists(p) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tests", nargs="*")
    ap.add_argument("--suite")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--show", type=int, default=-1, help="failures listed (default all)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    binary = find_binary()
    if args.self_test:
        return self_test(binary)
    suite = args.suite
    if not suite:
        for base in (os.path.join(ROOT, "..", "shared", "suricata-verify"), "/work/shared/suricata-verify"):
            if os.path.isdir(os.path.join(base, "tests")):
                suite = base
                break
    if not suite or not os.path.isdir(os.path.join(suite, "tests")):
        print("suricata-verify: no suite (../shared/suricata-verify): use --suite", file=sys.stderr)
        return 2
    names = args.tests or all_tests(suite)
    plain = set()
    pp = os.path.join(suite, "plain-pass.txt")
    if os.path.exists(pp):
        plain = {ln.strip() for ln in open(pp) if ln.strip()}
    results = run_suite(binary, suite, names, args.jobs, default_classification())
    out = report(results, plain, args.show, args.json)
    return 0 if out["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
