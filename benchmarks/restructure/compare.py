"""Compare two record files of ``run.py`` case by case: the estimate, its standard error and interval, as printed."""

from __future__ import annotations

import json
import sys

FIELDS = ("value", "stderr", "interval", "activation")


def main(before: str, after: str) -> int:
    old = {r["case"]: r for r in map(json.loads, open(before))}
    new = {r["case"]: r for r in map(json.loads, open(after))}
    differ = [case for case in old if case not in new or any(old[case].get(f) != new[case].get(f) for f in FIELDS)]
    commits = {r.get("fmmi_commit") for r in old.values()}, {r.get("fmmi_commit") for r in new.values()}
    print(f"{len(old) - len(differ)} of {len(old)} cases identical to the last digit ({commits[0]} -> {commits[1]})")
    for case in differ:
        print(f"  {case}: {old[case].get('value')} -> {new.get(case, {}).get('value')}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
