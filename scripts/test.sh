#!/usr/bin/env bash
# The whole test suite: format, lints, unit/integration tests of every
# crate, the fuzz targets' build, and the tshark conformance report.
# (Run scripts/setup.sh first on a new machine.)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
echo "== fuzz targets build (cargo check)"
(cd fuzz && CARGO_TARGET_DIR=../target cargo check -q --bins)

echo "== cargo test"
set +e
cargo test --workspace -q > target/test-output.txt 2>&1
rc=$?
set -e
grep -vE '^\s*$|^running [0-9]+ tests?$' target/test-output.txt || true

# tshark conformance: field agreement per protocol against tshark on the
# shared captures (when present). The OT set gates: a protocol below 99.5%
# or a message tshark decodes and we miss fails the suite. The IT set is a
# report (its known misses, tunnels and STARTTLS/CONNECT upgrades, are
# listed in the report and the closing notes).
# the OT protocols whose tshark conformance gates (those tshark decodes)
OT_GATE="modbus,dnp3,iec104,s7comm,enip,bacnet,opcua,mms,omron,hart_ip,ads"
conf_fail=0
if command -v tshark >/dev/null 2>&1 && [ -x target/debug/reefwatch ]; then
  for set in "$OT_GATE" "dns,http,tls"; do
    paths=()
    [ "$set" = "dns,http,tls" ] && for d in ../shared/pcaps-it /work/shared/pcaps-it; do [ -d "$d" ] && { paths=("$d"); break; }; done
    if [ "$set" = "dns,http,tls" ] && [ ${#paths[@]} -eq 0 ]; then continue; fi
    gate=0; [ "$set" = "$OT_GATE" ] && gate=1
    echo "== tshark conformance ($set; $([ $gate = 1 ] && echo gating || echo report only))"
    set +e
    REEFWATCH=target/debug/reefwatch timeout 1500 scripts/conformance-tshark.sh --only "$set" --show "$([ $gate = 1 ] && echo 20 || echo 0)" "${paths[@]}" \
      > target/conformance.txt 2>&1
    crc=$?
    set -e
    grep -E '^(protocol|[a-z0-9_]+ +[0-9-])' target/conformance.txt || true
    case $crc in
      0) echo "(every protocol at target)" ;;
      1) if [ $gate = 1 ]; then
           echo "(FAIL: some protocol below target or with missed messages)"
           grep -E '^  diff:' target/conformance.txt | head -20 || true
           conf_fail=1
         else
           echo "(some protocol below target or with missed messages: reported, not gating)"
         fi ;;
      *) echo "(conformance run did not complete: status $crc)"; tail -5 target/conformance.txt; if [ $gate = 1 ]; then conf_fail=1; fi ;;
    esac
  done
fi

# detection matrix: every flow's app_proto against tshark's dissector on
# all shared captures (when present). It gates: any false positive fails the
# suite (issue #15); REEFWATCH_DM_GATE=0 makes it a report only. A run that
# does not complete always fails it.
dm_fail=0
if command -v tshark >/dev/null 2>&1 && [ -x target/debug/reefwatch ] && { [ -d ../shared/pcaps ] || [ -d /work/shared/pcaps ]; }; then
  echo "== detection matrix ($([ "${REEFWATCH_DM_GATE:-1}" = 0 ] && echo "report only (REEFWATCH_DM_GATE=0)" || echo "gating: 0 false positives"))"
  set +e
  REEFWATCH=target/debug/reefwatch timeout 900 python3 scripts/detection-matrix.py --jobs 2 > target/detection-matrix.txt 2>&1
  dmc=$?
  set -e
  grep -vE '^  (missed|excused):' target/detection-matrix.txt | head -120 || true
  case $dmc in
    0) echo "(0 false positives)" ;;
    1) if [ "${REEFWATCH_DM_GATE:-1}" = 0 ]; then echo "(false positives: reported, not gating: REEFWATCH_DM_GATE=0)"
       else echo "(FAIL: false positives)"; dm_fail=1; fi ;;
    *) echo "(FAIL: detection matrix did not complete: status $dmc)"; tail -5 target/detection-matrix.txt; dm_fail=1 ;;
  esac
fi

# rule conformance (report only): our alerts against Suricata 8.0.6's with
# ET Open and the ICS keyword rules, on the captures Suricata alerted on (the
# fast mode), when the shared captures are present. Release binary if built,
# else debug; bounded to 5 minutes.
rc_bin=""
for b in target/release/reefwatch target/debug/reefwatch; do [ -x "$b" ] && { rc_bin=$b; break; }; done
if [ -n "$rc_bin" ] && [ -d ../shared/rules/expected ] && [ -d ../shared/pcaps ]; then
  echo "== rule conformance (report only; $rc_bin, alerting captures)"
  set +e
  REEFWATCH=$rc_bin timeout 300 scripts/conformance-rules.sh --only-alerting --jobs 2 --show 0 \
    > target/conformance-rules.txt 2>&1
  rcc=$?
  set -e
  grep -E '^(==|  total:|  goal)' target/conformance-rules.txt || true
  case $rcc in
    0) echo "(rule conformance at target)" ;;
    1) echo "(rule conformance below target: reported, not gating; target/conformance-rules.txt)" ;;
    *) echo "(rule conformance did not complete: status $rcc)"; tail -3 target/conformance-rules.txt ;;
  esac
fi

# suricata-verify (report only): the alert-checking tests of
# ../shared/suricata-verify; the runner's self-test first. Bounded to 5 min.
sv_bin=""
for b in target/release/reefwatch target/debug/reefwatch; do [ -x "$b" ] && { sv_bin=$PWD/$b; break; }; done
if [ -n "$sv_bin" ] && python3 -c 'import yaml' 2>/dev/null; then
  echo "== suricata-verify (report only; $sv_bin)"
  REEFWATCH=$sv_bin timeout 120 python3 scripts/suricata-verify.py --self-test | tail -1 || echo "(suricata-verify self-test FAILED: reported, not gating)"
  if [ -d ../shared/suricata-verify/tests ]; then
    set +e
    REEFWATCH=$sv_bin timeout 300 python3 scripts/suricata-verify.py --jobs 2 > target/suricata-verify.txt 2>&1
    svc=$?
    set -e
    tail -2 target/suricata-verify.txt
    [ $svc -le 1 ] || echo "(suricata-verify did not complete: status $svc)"
  fi
fi

# one closing line over all test binaries
python3 - "$rc" "$conf_fail" "$dm_fail" <<'PY'
import re, sys
rc = int(sys.argv[1])
conf_fail = int(sys.argv[2])
dm_fail = int(sys.argv[3])
passed = failed = ignored = 0
for line in open("target/test-output.txt", errors="replace"):
    m = re.search(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", line)
    if m:
        passed += int(m.group(1)); failed += int(m.group(2)); ignored += int(m.group(3))
print(f"{passed} passed, {failed} failed, {ignored} skipped"
      + ("; OT tshark conformance FAILED" if conf_fail else "")
      + ("; detection matrix FAILED (false positives)" if dm_fail else ""))
sys.exit(1 if rc != 0 or failed or passed == 0 or conf_fail or dm_fail else 0)
PY
