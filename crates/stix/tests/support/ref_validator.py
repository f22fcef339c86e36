# Runs the OASIS pattern validator (stix2-patterns) on patterns read from a
# JSON file (a list of strings); prints a JSON list of booleans (valid?).
import json
import sys

from stix2patterns.validator import run_validator

pats = json.load(open(sys.argv[1], encoding="utf-8"))
out = []
for p in pats:
    try:
        out.append(len(run_validator(p, stix_version="2.1")) == 0)
    except Exception:
        out.append(False)
print(json.dumps(out))
