#!/usr/bin/env bash
# Run the cargo-fuzz targets for a while each.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 60 s, every target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain the
# sanitizer flags are unlocked with RUSTC_BOOTSTRAP=1. Seeds come from the
# captures in testdata/ (whole files for the capture reader and the engine,
# TCP/UDP payloads for the protocol targets, via tshark when installed).
# Corpora grow in fuzz/corpus/<target>, crashes land in fuzz/artifacts/.
# Exit status: 0 when no target crashed, 1 otherwise (the log names them).
set -uo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-60}"
shift || true
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || { echo "fuzz.sh: cargo install cargo-fuzz first" >&2; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v '^reefwatch-fuzz$')
fi

seed() {
    local t="$1" dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return
    case "$t" in
        capture_reader|sensor_engine)
            find testdata -name '*.pcap*' ! -name '*.tsv' -size -16k -exec cp {} "$dir/" \; ;;
        rule_parse)
            # one rule (or a few lines) a seed, from the rule fixtures
            local i=0
            while IFS= read -r line; do
                i=$((i + 1))
                printf '%s\n' "$line" > "$dir/seed$i"
            done < <(grep -vh '^#' testdata/rules/*.rules | head -600) ;;
        ot_*|it_*)
            command -v tshark >/dev/null || return
            local d
            case "$t" in
                ot_enip) d=testdata/ot/enip-cip ;;
                ot_*) d="testdata/ot/${t#ot_}" ;;
                *) d=testdata/it ;;
            esac
            local i=0
            for f in "$d"/*.pcap*; do
                case "$f" in *.tsv|*.feed) continue ;; esac
                i=$((i + 1))
                # driver format: byte 0 piece size, byte 1 direction pattern
                tshark -r "$f" -T fields -e tcp.payload -e udp.payload 2>/dev/null | tr -d '\t:\n' |
                    head -c 8000 | python3 -c 'import sys,binascii
h=sys.stdin.read().strip(); h=h[:len(h)//2*2]
sys.stdout.buffer.write(bytes([7,0])+binascii.unhexlify(h))' > "$dir/seed$i" || rm -f "$dir/seed$i"
            done ;;
    esac
}

failed=()
for t in "${targets[@]}"; do
    seed "$t"
    echo "== $t ($SECS s)"
    log="fuzz/$t.log"
    (cd fuzz && cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$SECS" -max_len=16384 \
        -rss_limit_mb=2048 -timeout=10) > "$log" 2>&1
    rc=$?
    grep -E '^Done [0-9]+ runs|^#[0-9]+.*DONE' "$log" | tail -1
    if [ $rc -ne 0 ]; then
        failed+=("$t")
        grep -E 'panicked at|ERROR: libFuzzer|Test unit written' "$log" | head -3
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]}"
    exit 1
fi
echo "no crash in ${#targets[@]} target(s)"
