#!/usr/bin/env bash
# Hub benchmark, both backends: ingest rate (envelopes of 1,000 indicators),
# page latency p50/p99 for 1,000-object pages at N stored objects (every page
# walked with `next`, plus first vs deepest page), and concurrent readers
# (random pages of 1,000 over keep-alive connections) for a bounded time.
# Loopback only: the hub runs in-process on 127.0.0.1:0.
#
#   bench/hub/run.sh                       # 1M objects, 32 readers, 10 s, both backends
#   OBJECTS=100000 BACKENDS=sqlite bench/hub/run.sh
#
# PostgreSQL: REEFWATCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/test);
# the run uses and drops a schema of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
OBJECTS=${OBJECTS:-1000000}
READERS=${READERS:-32}
SECS=${SECS:-10}
BACKENDS=${BACKENDS:-"sqlite postgres"}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p reefwatch-hub --example hub_bench
BIN="$CARGO_TARGET_DIR/release/examples/hub_bench"
echo "# reefwatch hub benchmark $(date -u +%FT%TZ) objects=$OBJECTS readers=$READERS secs=$SECS"
echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for b in $BACKENDS; do
    data=$(mktemp -d)
    timeout 1800 "$BIN" --backend "$b" --objects "$OBJECTS" --readers "$READERS" --secs "$SECS" --data "$data/hub" \
        | grep -v '^reefwatch hub:'
    rm -rf "$data"
done
