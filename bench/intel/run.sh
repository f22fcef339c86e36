#!/usr/bin/env bash
# Intelligence at scale: load time, resident memory and sensor throughput on
# the smallflows workload with 0, 1M and 10M equality IOCs (+1,000 complex
# patterns). Usage: bench/intel/run.sh [SIZES...]   (default: 0 1000000 10000000)
# COMPLEX=N adds N generated complex patterns (default 1000; 0 = equality only).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${BENCH_DATA:-bench/work}
wl=$data/smallflows.pcap
[ -f "$wl" ] || { echo "missing $wl: run bench/run.sh --only smallflows first (it generates the workload)"; exit 2; }
cargo build --release -q -p reefwatch
bin=target/release/reefwatch
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(0 1000000 10000000)
# analysis time is the summary's wall_seconds (loading the indicators is
# measured separately, on an empty capture)
printf "%-10s %10s %10s %12s %12s %10s\n" indicators load_s rss_MB analyze_s pkts/s vs_none
base=""
mkdir -p "$data/intel"
for n in "${sizes[@]}"; do
  args=()
  load="-"
  if [ "$n" != 0 ]; then
    python3 bench/intel/gen_iocs.py "$data/intel" "$n" 0 >/dev/null
    args=(--intel "$data/intel/iocs-$n.txt")
    if [ "${COMPLEX:-1000}" != 0 ]; then
      python3 bench/intel/gen_iocs.py "$data/intel" 1 "${COMPLEX:-1000}" >/dev/null
      args+=(--intel "$data/intel/complex-${COMPLEX:-1000}.json")
    fi
    # load only (empty capture): load time and memory of the indicator set
    python3 - "$data/intel/empty.pcap" <<'PY'
import struct, sys
open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
PY
    /usr/bin/time -f "%e %M" -o "$data/intel/load.time" $bin analyze "$data/intel/empty.pcap" "${args[@]}" --eve none -q --sightings /dev/null
    read -r load lrss < "$data/intel/load.time"
  fi
  /usr/bin/time -f "%e %M" -o "$data/intel/run.time" $bin analyze "$wl" "${args[@]}" --eve none --summary json \
      --sightings "$data/intel/sightings-$n.json" > "$data/intel/summary-$n.json" 2>/dev/null
  read -r _ rss < "$data/intel/run.time"
  wall=$(python3 -c "import json;print(round(json.load(open('$data/intel/summary-$n.json'))['wall_seconds'],3))")
  pkts=3856887
  pps=$(python3 -c "print(int($pkts/$wall))")
  [ -n "$base" ] || base=$wall
  ratio=$(python3 -c "print(f'{$base/$wall:.2f}')")
  printf "%-10s %10s %10s %12s %12s %10s\n" "$n" "$load" "$((rss/1024))" "$wall" "$pps" "$ratio"
done
