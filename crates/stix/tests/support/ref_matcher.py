# Runs the OASIS reference matcher (stix2-matcher) over cases read from a
# JSON file: [{"pattern": ..., "observations": [...]}, ...]; prints one JSON
# list of outcomes: "match" / "nomatch" / "error".
import json
import sys

from stix2matcher.matcher import match

cases = json.load(open(sys.argv[1], encoding="utf-8"))
out = []
for c in cases:
    try:
        r = "match" if match(c["pattern"], c["observations"], False, "2.1") else "nomatch"
    except Exception:
        r = "error"
    out.append(r)
print(json.dumps(out))
