#!/usr/bin/env bash
# The whole test suite: format, lints, unit/integration tests of every
# crate, and the tshark conformance run when tshark is installed.
# (Run scripts/setup.sh first on a new machine.)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
echo "== cargo build (release binary for the integration scripts)"
cargo build --release -q -p reefwatch
echo "== fuzz targets build"
if [ -f fuzz/Cargo.toml ]; then
  (cd fuzz && cargo check -q --bins)
fi
if command -v tshark >/dev/null 2>&1 && [ -x scripts/conformance-tshark.sh ]; then
  echo "== tshark conformance"
  REEFWATCH=target/release/reefwatch scripts/conformance-tshark.sh
fi
echo "== cargo test"
set +e
cargo test --workspace -q > target/test-output.txt 2>&1
rc=$?
set -e
grep -vE '^\s*$|^running [0-9]+ tests?$' target/test-output.txt || true
# one closing line over all test binaries
python3 - "$rc" <<'PY'
import re, sys
rc = int(sys.argv[1])
passed = failed = ignored = 0
for line in open("target/test-output.txt", errors="replace"):
    m = re.search(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", line)
    if m:
        passed += int(m.group(1)); failed += int(m.group(2)); ignored += int(m.group(3))
print(f"{passed} passed, {failed} failed, {ignored} skipped")
sys.exit(1 if rc != 0 or failed or passed == 0 else 0)
PY
