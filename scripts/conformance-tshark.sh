#!/usr/bin/env bash
# Conformance of reefwatch's OT (and, with their modules, IT) parsers against
# tshark, message by message. See scripts/conformance/compare.py for the
# method and the per-protocol module interface.
#
# usage: scripts/conformance-tshark.sh [--feed] [--only modbus,dnp3] [--show N] [PATH...]
#   PATH: capture files or folders; default: the OT captures of the shared
#   pcaps folder ($PCAPS, else ../shared/pcaps or /work/shared/pcaps).
#   Binary: $REEFWATCH, else target/release/reefwatch, else target/debug/reefwatch.
# Exit: 0 all protocols >= 99.5 % field agreement and nothing tshark decodes
# missed; 1 otherwise; 2 usage/setup error.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
command -v tshark >/dev/null || { echo "tshark not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 not installed" >&2; exit 2; }
if [[ -z "${REEFWATCH:-}" ]]; then
  for c in "$root/target/release/reefwatch" "$root/target/debug/reefwatch"; do
    if [[ -x "$c" ]]; then REEFWATCH="$c"; break; fi
  done
fi
export REEFWATCH="${REEFWATCH:-}"
if [[ -z "${PCAPS:-}" ]]; then
  for c in "$root/../shared/pcaps" /work/shared/pcaps; do
    if [[ -d "$c" ]]; then PCAPS="$(cd "$c" && pwd)"; break; fi
  done
fi
export PCAPS="${PCAPS:-}"
feed=0
for a in "$@"; do [[ "$a" == "--feed" ]] && feed=1; done
if [[ $feed == 0 && -z "$REEFWATCH" ]]; then
  echo "reefwatch binary not found: build it (cargo build --release -p reefwatch) or set REEFWATCH" >&2
  exit 2
fi
has_path=0
skip=0
for a in "$@"; do
  if [[ $skip == 1 ]]; then skip=0; continue; fi
  case "$a" in --only|--show) skip=1 ;; --*) ;; *) has_path=1 ;; esac
done
if [[ $has_path == 0 && -z "$PCAPS" ]]; then
  echo "no PATH given and no shared pcaps folder found (set PCAPS)" >&2
  exit 2
fi
exec python3 "$here/conformance/compare.py" "$@"
