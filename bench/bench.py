#!/usr/bin/env python3
"""Run the reefwatch sensor benchmark (called by bench/run.sh).

For each workload: the read-only floor, `reefwatch analyze` with EVE off
and with full EVE to a file, each on 1 and 2 threads. Every run is wrapped
in `/usr/bin/time -v` for the peak RSS; wall time is measured here around
the process (so it includes start-up, like a user sees it). With --runs N
the median wall time (and the median peak RSS) is reported.

Prints a table and writes the same figures as JSON.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

# Suricata 8.0.6, one worker thread, no rules (../shared/bench/README.md).
SURICATA = {
    "big": {"eve_none": 1.05, "eve_full": 1.56, "rss_mb": 147.0},
    "smallflows": {"eve_none": 3.26, "eve_full": 9.67, "rss_mb": 401.0},
}
# The libpcap floor on the machine Suricata's figures come from (same
# README: 5.0-5.3 Mpps on big, 12.1-12.5 Mpps on smallflows; midpoints):
# Suricata's time over it is a ratio that can be set beside ours measured
# over the libpcap floor of this run, on whatever machine this is.
SURICATA_PCAP_FLOOR_S = {"big": 1.52e6 / 5.15e6, "smallflows": 3.86e6 / 12.3e6}

# each floor config and the key of the ratios over it
FLOORS = [("floor", "x_floor"), ("floor_pcap", "x_pcap_floor")]

CONFIGS = [
    # name, uses EVE, threads (eve_none_parse: EVE off but every flow's
    # transactions parsed, `--app-layer full`, as Suricata's no-EVE run does)
    ("floor", None, None),
    ("floor_pcap", None, None),
    ("eve_none", False, 1),
    ("eve_none_parse", False, 1),
    ("eve_full", True, 1),
    ("eve_none_t2", False, 2),
    ("eve_full_t2", True, 2),
]

FLOOR_RE = re.compile(r":\s*(\d+) packets, (\d+) bytes in ([0-9.]+) s")
RSS_RE = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")
USER_RE = re.compile(r"User time \(seconds\):\s*([0-9.]+)")
SYS_RE = re.compile(r"System time \(seconds\):\s*([0-9.]+)")


def run_once(cmd, time_bin):
    """Run cmd under `time -v`; return (wall s, peak RSS MB, CPU s, stdout)."""
    full = [time_bin, "-v"] + cmd
    t0 = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"bench: command failed ({p.returncode}): {' '.join(cmd)}")
    m = RSS_RE.search(p.stderr)
    rss = int(m.group(1)) / 1024.0 if m else float("nan")
    u, sy = USER_RE.search(p.stderr), SYS_RE.search(p.stderr)
    cpu = float(u.group(1)) + float(sy.group(1)) if u and sy else float("nan")
    return wall, rss, cpu, p.stdout


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="reefwatch binary")
    ap.add_argument("--floor", required=True, help="floor example binary")
    ap.add_argument("--pcap-floor", help="libpcap read loop (bench/floor_libpcap.c), optional")
    ap.add_argument("--data", required=True, help="directory of the workloads")
    ap.add_argument("--workloads", nargs="+", required=True)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--time-bin", default="/usr/bin/time")
    ap.add_argument("--json", required=True)
    ap.add_argument("--configs", default=",".join(c[0] for c in CONFIGS))
    a = ap.parse_args()
    wanted = set(a.configs.split(","))
    if not a.pcap_floor:
        wanted.discard("floor_pcap")

    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "mem_gb": mem_gb(),
        },
        "git_rev": git_rev(),
        "runs": a.runs,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        "suricata": SURICATA,
        "workloads": {},
    }

    for w in a.workloads:
        pcap = os.path.join(a.data, w + ".pcap")
        eve_path = os.path.join(a.data, w + ".eve.json")
        # warm the page cache (not timed): the workloads fit in memory
        _, _, _, out = run_once([a.floor, pcap], a.time_bin)
        m = FLOOR_RE.search(out)
        if not m:
            raise SystemExit(f"bench: cannot parse floor output: {out!r}")
        packets, nbytes = int(m.group(1)), int(m.group(2))
        if "floor_pcap" in wanted:
            _, _, _, out = run_once([a.pcap_floor, pcap], a.time_bin)
            m = FLOOR_RE.search(out)
            if not m or (int(m.group(1)), int(m.group(2))) != (packets, nbytes):
                raise SystemExit(f"bench: libpcap floor disagrees with the floor: {out!r}")
        wres = {"file": pcap, "file_bytes": os.path.getsize(pcap), "packets": packets,
                "captured_bytes": nbytes, "configs": {}}
        results["workloads"][w] = wres
        # Round-robin: every round runs each config once, so a slow or
        # fast phase of the machine hits all configs of that round alike;
        # ratios to the floor are taken per round and their median reported.
        cmds = {}
        for name, eve, threads in CONFIGS:
            if name not in wanted:
                continue
            if name == "floor_pcap":
                cmd = [a.pcap_floor, pcap]
            elif eve is None:
                cmd = [a.floor, pcap]
            else:
                cmd = [a.bin, "analyze", pcap, "--eve", eve_path if eve else "none", "-q"]
                if threads != 1:
                    cmd += ["--threads", str(threads)]
                if name == "eve_none_parse":
                    cmd += ["--app-layer", "full"]
            cmds[name] = (cmd, eve)
        samples = {name: ([], [], []) for name in cmds}
        for i in range(a.runs):
            for name, (cmd, eve) in cmds.items():
                if eve and os.path.exists(eve_path):
                    os.remove(eve_path)
                load = os.getloadavg()[0]
                wall, rss, cpu, _ = run_once(cmd, a.time_bin)
                walls, rsss, cpus = samples[name]
                walls.append(wall)
                rsss.append(rss)
                cpus.append(cpu)
                print(f"  {w:<10} {name:<14} round {i + 1}/{a.runs}: {wall:7.3f} s wall, "
                      f"{cpu:7.2f} s CPU, {rss:7.1f} MB (load {load:.1f})",
                      file=sys.stderr, flush=True)
        for name, (cmd, eve) in cmds.items():
            walls, rsss, cpus = samples[name]
            wall = statistics.median(walls)
            rss = statistics.median(rsss)
            cpu = statistics.median(cpus)
            c = {
                "command": " ".join(cmd),
                "wall_s": round(wall, 4),
                "walls_s": [round(x, 4) for x in walls],
                "cpu_s": round(cpu, 2),
                "cpus_s": [round(x, 2) for x in cpus],
                "kpps": round(packets / wall / 1e3, 1),
                "mbit_s": round(nbytes * 8 / wall / 1e6, 1),
                "peak_rss_mb": round(rss, 1),
            }
            for floor, key in FLOORS:
                if floor in samples:
                    paired = [ratio(x, f) for x, f in zip(walls, samples[floor][0])]
                    c[key + "_rounds"] = [round(x, 2) for x in paired]
            if eve:
                c["eve_bytes"] = os.path.getsize(eve_path)
                with open(eve_path, "rb") as f:
                    c["eve_events"] = sum(1 for _ in f)
            wres["configs"][name] = c
        for name, c in wres["configs"].items():
            for _, key in FLOORS:
                if c.get(key + "_rounds"):
                    c[key] = round(statistics.median(c[key + "_rounds"]), 2)
            floor_cpu = wres["configs"].get("floor", {}).get("cpu_s")
            if floor_cpu:
                c["cpu_x_floor"] = round(ratio(c["cpu_s"], floor_cpu), 2)
            base = name.split("_t")[0].replace("_parse", "")
            s = SURICATA[w].get(base)
            if s:
                c["suricata_s"] = s
                c["x_suricata"] = round(ratio(c["wall_s"], s), 2)
                c["suricata_x_pcap_floor"] = round(s / SURICATA_PCAP_FLOOR_S[w], 2)
                if c.get("x_pcap_floor"):
                    # both over their own machine's libpcap floor
                    c["x_suricata_by_pcap_floor"] = round(
                        c["x_pcap_floor"] / c["suricata_x_pcap_floor"], 2)
            if not name.startswith("floor"):
                c["x_suricata_rss"] = round(ratio(c["peak_rss_mb"], SURICATA[w]["rss_mb"]), 2)
        wres["targets"] = targets(w, wres["configs"])

    with open(a.json, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print_table(results)
    print(f"\nJSON: {a.json}")


def targets(w, cs):
    """The issue's targets, evaluated on this run (None = not measured)."""
    t = {}
    if "eve_full" in cs and w == "smallflows":
        t["eve_full_le_half_suricata"] = cs["eve_full"]["wall_s"] <= SURICATA[w]["eve_full"] / 2
        if cs["eve_full"].get("x_suricata_by_pcap_floor") is not None:
            t["eve_full_le_half_suricata_by_pcap_floor"] = (
                cs["eve_full"]["x_suricata_by_pcap_floor"] <= 0.5)
    if "eve_none" in cs and "floor" in cs:
        t["eve_none_within_2x_floor"] = cs["eve_none"]["x_floor"] <= 2
    if "eve_none" in cs and "floor_pcap" in cs:
        t["eve_none_within_2x_pcap_floor"] = cs["eve_none"]["x_pcap_floor"] <= 2
    for base in ("eve_none", "eve_full"):
        if base in cs and base + "_t2" in cs:
            t[base + "_t2_faster_than_t1"] = cs[base + "_t2"]["wall_s"] < cs[base]["wall_s"]
    rss = [c["peak_rss_mb"] for n, c in cs.items() if not n.startswith("floor")]
    if rss:
        t["peak_rss_below_suricata"] = max(rss) < SURICATA[w]["rss_mb"]
    return t


def print_table(r):
    hdr = (f"{'workload':<11} {'config':<14} {'wall s':>8} {'CPU s':>6} {'kpps':>8} {'Mbit/s':>8} "
           f"{'RSS MB':>8} {'x floor':>8} {'x pcap':>7} {'Suricata s':>10} {'x Suri':>7} "
           f"{'Suri x pcap':>11} {'RSS x Suri':>10}")
    print()
    print(f"reefwatch benchmark ({r['machine']['cpus']} CPUs, {r['machine']['cpu_model']}; "
          f"git {r['git_rev']}; {r['runs']} round(s), configs run round-robin; "
          f"load average at start {r['loadavg_1m_at_start']})")
    print("wall = elapsed time of the process (median); CPU = user+sys; x floor = median over rounds "
          "of wall / the same round's floor wall (floor: reefwatch's reader; x pcap: over the "
          "libpcap loop, the floor of ../shared/bench/README.md); other ratios use the median wall; "
          "Suri x pcap: Suricata's README time over its README libpcap floor")
    print(hdr)
    print("-" * len(hdr))
    for w, wr in r["workloads"].items():
        for n, c in wr["configs"].items():
            print(f"{w:<11} {n:<14} {c['wall_s']:>8.3f} {c['cpu_s']:>6.2f} {c['kpps']:>8.0f} {c['mbit_s']:>8.0f} "
                  f"{c['peak_rss_mb']:>8.1f} {fmt(c.get('x_floor')):>8} "
                  f"{fmt(c.get('x_pcap_floor')):>7} "
                  f"{fmt(c.get('suricata_s')):>10} {fmt(c.get('x_suricata')):>7} "
                  f"{fmt(c.get('suricata_x_pcap_floor')):>11} "
                  f"{fmt(c.get('x_suricata_rss')):>10}")
        print(f"{'':<11} {wr['packets']} packets, {wr['captured_bytes'] / 1e6:.0f} MB captured; "
              f"Suricata peak RSS {SURICATA[w]['rss_mb']:.0f} MB")
        rounds = wr["configs"].get("eve_none", {}).get("x_floor_rounds")
        if rounds:
            print(f"{'':<11} eve_none x floor per round: {', '.join(f'{x:.2f}' for x in rounds)}")
        for k, v in wr["targets"].items():
            print(f"{'':<11} target {k}: {'MET' if v else 'not met'}")


def fmt(x):
    return "-" if x is None else f"{x:.2f}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_gb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def git_rev():
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, cwd=os.path.dirname(os.path.abspath(__file__))
                              ).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
