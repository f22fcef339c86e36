#!/usr/bin/env bash
# Behaviour-preservation check for refactors: the EVE of every shared
# capture, with 1 and with 3 threads, before and after a change.
#
#   scripts/eve-equiv.sh record DIR [BIN]    # write DIR/{t1.json,t3.norm}
#   scripts/eve-equiv.sh compare DIR [BIN]   # run BIN again, diff against DIR
#
# 1 thread is compared byte for byte; 3 threads after dropping flow_id and
# sorting (event order and flow ids are the documented differences between
# thread counts). BIN defaults to target/release/reefwatch; the captures are
# ../shared/pcaps and ../shared/pcaps-it.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=$1; dir=$2; bin=${3:-target/release/reefwatch}
shared=../shared; [ -d "$shared/pcaps" ] || shared=/work/shared
mkdir -p "$dir"
norm() { python3 -c '
import json, sys
out = []
for line in sys.stdin:
    e = json.loads(line)
    e.pop("flow_id", None)
    out.append(json.dumps(e, sort_keys=True))
out.sort()
sys.stdout.write("\n".join(out) + "\n")
'; }
run() { # threads out
  set +e
  "$bin" analyze "$shared/pcaps" "$shared/pcaps-it" --threads "$1" --eve "$2" -q >/dev/null 2>"$2.err"
  echo "exit $?" >> "$2.err"
  set -e
  # the stats event's uptime is wall-clock seconds: not behaviour
  sed -i -E 's/"uptime":[0-9]+/"uptime":0/' "$2"
}
case $mode in
  record)
    run 1 "$dir/t1.json"; run 3 "$dir/t3.json"
    norm < "$dir/t3.json" > "$dir/t3.norm"; rm "$dir/t3.json"
    wc -l "$dir/t1.json" "$dir/t3.norm" ;;
  compare)
    tmp=$(mktemp -d)
    run 1 "$tmp/t1.json"; run 3 "$tmp/t3.json"
    norm < "$tmp/t3.json" > "$tmp/t3.norm"
    rc=0
    if cmp -s "$dir/t1.json" "$tmp/t1.json"; then echo "1 thread: identical ($(wc -l < "$tmp/t1.json") events)"
    else echo "1 thread: DIFFERENT"; { diff <(head -c 200000000 "$dir/t1.json") "$tmp/t1.json" | head -20; } || true; rc=1; fi
    if cmp -s "$dir/t3.norm" "$tmp/t3.norm"; then echo "3 threads: identical after normalising"
    else echo "3 threads: DIFFERENT"; { diff "$dir/t3.norm" "$tmp/t3.norm" | head -20; } || true; rc=1; fi
    rm -rf "$tmp"; exit $rc ;;
  *) echo "usage: $0 record|compare DIR [BIN]" >&2; exit 2 ;;
esac
