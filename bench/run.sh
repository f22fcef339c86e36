#!/usr/bin/env bash
# reefwatch sensor benchmark: see bench/README.md.
#
#   bench/run.sh [--only smallflows|big] [--runs N] [--no-build]
#
# Environment:
#   BENCH_DATA        where the workloads and EVE outputs go (default bench/work)
#   REEFWATCH_SHARED  the shared data folder (default ../shared next to the repo)
#   CARGO_TARGET_DIR  cargo's target dir (default target/ of the repo)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${REEFWATCH_SHARED:-$REPO/../shared}"
DATA="${BENCH_DATA:-$REPO/bench/work}"
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
RUNS=1
ONLY=""
BUILD=1

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --only) ONLY="${2:-}"; shift 2 ;;
        --only=*) ONLY="${1#--only=}"; shift ;;
        --runs) RUNS="${2:-}"; shift 2 ;;
        --runs=*) RUNS="${1#--runs=}"; shift ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage 2 ;;
    esac
done

case "$ONLY" in
    "") WORKLOADS=(big smallflows) ;;
    big|smallflows) WORKLOADS=("$ONLY") ;;
    *) echo "run.sh: --only takes smallflows or big" >&2; exit 2 ;;
esac
case "$RUNS" in
    ''|*[!0-9]*|0) echo "run.sh: --runs takes a positive integer" >&2; exit 2 ;;
esac

# /usr/bin/time -v gives the peak RSS
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "run.sh: installing GNU time" >&2
        apt-get install -y -qq time >/dev/null
    else
        echo "run.sh: /usr/bin/time is missing (Debian: apt-get install time)" >&2
        exit 2
    fi
fi

mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd)"

# --- start generating missing workloads in the background --------------
gen_args() {
    case "$1" in
        big) echo "--size-mb 1000 --seed 1" ;;
        smallflows) echo "--size-mb 1000 --seed 2 --scale 0.05" ;;
    esac
}

GEN_PID=""
missing=()
for w in "${WORKLOADS[@]}"; do
    [ -s "$DATA/$w.pcap" ] || missing+=("$w")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ ! -f "$SHARED/bench/gen_pcap.py" ]; then
        echo "run.sh: $SHARED/bench/gen_pcap.py not found (set REEFWATCH_SHARED)" >&2
        exit 2
    fi
    python3 -c 'import cryptography' 2>/dev/null ||
        echo "run.sh: note: python3 'cryptography' missing, TLS certificates will be placeholders (pip install cryptography)" >&2
    echo "run.sh: generating ${missing[*]} into $DATA (takes minutes) ..." >&2
    (
        for w in "${missing[@]}"; do
            # shellcheck disable=SC2046
            python3 "$SHARED/bench/gen_pcap.py" "$DATA/$w.pcap.tmp" $(gen_args "$w") \
                --bait "$SHARED/bench/bait.json" >"$DATA/$w.gen.log" 2>&1
            mv "$DATA/$w.pcap.tmp" "$DATA/$w.pcap"
        done
    ) &
    GEN_PID=$!
    # if we stop early (build failure, ^C), stop the generator too
    trap 'if [ -n "$GEN_PID" ]; then pkill -P "$GEN_PID" 2>/dev/null; kill "$GEN_PID" 2>/dev/null; fi' EXIT
fi

# --- meanwhile, build the sensor and the read-only floor -----------------
if [ "$BUILD" = 1 ]; then
    echo "run.sh: building reefwatch and the floor (release) ..." >&2
    (cd "$REPO" && cargo build --release -q -p reefwatch &&
        cargo build --release -q -p reefwatch-capture --example floor)
fi
BIN="$TARGET/release/reefwatch"
FLOOR="$TARGET/release/examples/floor"
for b in "$BIN" "$FLOOR"; do
    [ -x "$b" ] || { echo "run.sh: $b not built" >&2; exit 2; }
done

# The floor ../shared/bench/README.md gives Suricata's figures against: a
# minimal libpcap read loop, built here in the same run (gcc, libpcap-dev).
# Optional: without it the table has no "x pcap" column.
PCAP_FLOOR="$TARGET/bench/floor_libpcap"
if [ ! -f /usr/include/pcap/pcap.h ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing libpcap-dev (for the libpcap floor)" >&2
    apt-get install -y -qq libpcap-dev >/dev/null 2>&1 || true
fi
mkdir -p "$TARGET/bench"
if command -v gcc >/dev/null && [ -f /usr/include/pcap/pcap.h ] &&
    gcc -O2 -o "$PCAP_FLOOR" "$REPO/bench/floor_libpcap.c" -lpcap; then
    PCAP_ARGS=(--pcap-floor "$PCAP_FLOOR")
else
    echo "run.sh: note: libpcap floor not built (needs gcc and libpcap-dev)" >&2
    PCAP_ARGS=()
fi

if [ -n "$GEN_PID" ]; then
    echo "run.sh: waiting for workload generation ..." >&2
    if ! wait "$GEN_PID"; then
        echo "run.sh: workload generation failed, see $DATA/*.gen.log" >&2
        exit 1
    fi
    GEN_PID=""
fi

python3 "$REPO/bench/bench.py" --bin "$BIN" --floor "$FLOOR" "${PCAP_ARGS[@]}" --data "$DATA" \
    --workloads "${WORKLOADS[@]}" --runs "$RUNS" --json "$DATA/results.json"
