#!/usr/bin/env bash
# Rule conformance: reefwatch's alerts against Suricata 8.0.6's on the shared
# captures, with ET Open and the ICS keyword rules (scripts/conformance_rules.py
# has the method and options). Exit 0 when >= 99% matched and extra <= 1%,
# 1 otherwise, 2 on an error.
set -euo pipefail
exec python3 "$(dirname "$0")/conformance_rules.py" "$@"
