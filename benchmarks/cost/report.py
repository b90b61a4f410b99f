"""Seconds per estimate of the default beside KSG and InfoNCE, from one `fmmi bench` sweep, and their ratios.

Usage: ``python benchmarks/cost/report.py SWEEP_FOLDER`` (the folder of ``fmmi bench --out``). Prints one
row per task (the seconds of each estimator, the default's error and the steps its nets kept) and the
medians, with the default's median as a multiple of InfoNCE's and KSG's.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

from fmmi.benchmark.runner import load_records

ESTIMATORS = ("fmmi-default", "infonce", "ksg")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("sweep", help="folder of an fmmi bench sweep")
    args = arguments.parse_args()
    seconds: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    rows: dict[str, dict] = {}
    for record in load_records(args.sweep):
        if record["estimator"] in ESTIMATORS and record.get("success"):
            seconds[record["task_id"]][record["estimator"]].append(record["seconds"])
            if record["estimator"] == "fmmi-default":
                rows[record["task_id"]] = record
    print("| task | dims | " + " | ".join(f"{e} s" for e in ESTIMATORS) + " | default's error | kept steps |")
    print("|---|---|" + "---|" * len(ESTIMATORS) + "---|---|")
    for task, by in sorted(seconds.items(), key=lambda item: (rows.get(item[0], {}).get("dim_x", 0), item[0])):
        record = rows.get(task, {})
        cells = [f"{statistics.median(by[e]):.1f}" if by.get(e) else "" for e in ESTIMATORS]
        error = f"{record['estimate'] - record['true_mi']:+.3f}" if record else ""
        dims = f"{record.get('dim_x', '')} x {record.get('dim_y', '')}" if record else ""
        kept = ",".join(str(s) for s in record.get("kept_steps", [])) if record else ""
        print(f"| {task} | {dims} | " + " | ".join(cells) + f" | {error} | {kept} |")
    medians = {
        e: statistics.median(s for by in seconds.values() for s in by.get(e, []))
        for e in ESTIMATORS
        if any(by.get(e) for by in seconds.values())
    }
    print("\nmedian seconds: " + ", ".join(f"{e} {m:.1f}" for e, m in medians.items()))
    if "fmmi-default" in medians:
        slowest = max(s for by in seconds.values() for s in by.get("fmmi-default", []))
        print(f"slowest default: {slowest:.1f} s")
        for other in ("infonce", "ksg"):
            if other in medians:
                print(f"default / {other} (medians): {medians['fmmi-default'] / medians[other]:.1f}")


if __name__ == "__main__":
    main()
