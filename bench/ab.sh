#!/usr/bin/env bash
# A/B timing of two reefwatch binaries on one capture, runs alternated so
# that machine noise hits both alike:
#
#   bench/ab.sh N CAPTURE BIN_A BIN_B [analyze args...]
#
# e.g. bench/ab.sh 5 bench/work/smallflows.pcap old/reefwatch target/release/reefwatch --eve none
# Prints min and median wall and CPU (user+sys) seconds per binary.
set -euo pipefail
N=$1; F=$2; A=$3; B=$4; shift 4
for _ in $(seq "$N"); do
  for bin in "$A" "$B"; do
    /usr/bin/time -f "$bin %e %U %S" "$bin" analyze "$F" "$@" -q 2>&1 | tail -1
  done
done | python3 -c '
import sys, collections, statistics as st
d = collections.defaultdict(list)
for l in sys.stdin:
    p = l.rsplit(None, 3)
    if len(p) != 4:
        continue
    d[p[0]].append((float(p[1]), float(p[2]) + float(p[3])))
for k, v in d.items():
    w = [x[0] for x in v]; c = [x[1] for x in v]
    print(f"{k}: wall min {min(w):.3f} med {st.median(w):.3f}  cpu min {min(c):.3f} med {st.median(c):.3f}  (n={len(v)})")
'
