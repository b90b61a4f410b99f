"""Replay stopping rules on the traces of ``curves.py``: for each rule, the error and the steps it costs.

A rule reads the validation losses record by record, as training would produce them, and says
when to stop and which record's weights to keep; the estimate it gives is the one recorded at the
kept step (read on fresh rows). Usage: ``python rules.py TRACES.jsonl [...]``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np

from fmmi.curves import paired_mean


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean of a - b over paired rows and its standard error."""
    return paired_mean(np.asarray(a) - np.asarray(b))


def fixed(steps: int):
    def rule(record_steps, losses):
        i = record_steps.index(steps)
        return i, i

    rule.__name__ = f"fixed {steps}"
    return rule


def stop_rule(
    patience: int, z_rise: float, z_base: float, keep: str = "best", min_records: int = 0, rise_from_start=True
):
    """Stop after ``patience`` records with no new lowest mean, or when the loss rises ``z_rise`` s.e.
    above the lowest; keep the lowest record (``keep="best"``) and fall back to step 0 (the base)
    unless the kept one is below step 0 by more than ``z_base`` s.e."""

    def rule(record_steps, losses):
        best, since = 0, 0
        stop = len(losses) - 1
        for i in range(1, len(losses)):
            if np.mean(losses[i]) < np.mean(losses[best]):
                best, since = i, 0
            else:
                since += 1
            rise, se = paired(losses[i], losses[best])
            rising = z_rise and rise > z_rise * se and (rise_from_start or best > 0)
            if i >= min_records and ((patience and since >= patience) or rising):
                stop = i
                break
        kept = best
        if keep == "last-within":  # the latest record not clearly above the lowest
            kept = max(
                i
                for i in range(stop + 1)
                if paired(losses[i], losses[best])[0] <= 2 * paired(losses[i], losses[best])[1]
            )
        if kept:
            drop, se = paired(losses[0], losses[kept])
            if drop <= z_base * se:
                kept = 0
        return stop, kept

    rule.__name__ = f"patience {patience}, rise {z_rise}, base {z_base}, keep {keep}, min {min_records}" + (
        "" if rise_from_start else ", rise once below the start"
    )
    return rule


RULES = [
    fixed(0),
    fixed(1000),
    fixed(2000),
    fixed(5000),
    fixed(10000),
    stop_rule(0, 2.0, 0.0),
    stop_rule(0, 2.0, 2.0),
    stop_rule(4, 0.0, 0.0),
    stop_rule(4, 2.0, 2.0),
    stop_rule(6, 2.0, 2.0),
    stop_rule(4, 2.0, 1.0),
    stop_rule(8, 2.0, 2.0),
    stop_rule(4, 3.0, 2.0),
    stop_rule(2, 2.0, 2.0),
    stop_rule(3, 2.0, 2.0),
    stop_rule(4, 2.0, 2.0, keep="last-within"),
    stop_rule(4, 2.0, 3.0),
    stop_rule(4, 2.0, 2.0, rise_from_start=False),
    stop_rule(3, 2.0, 2.0, rise_from_start=False),
    stop_rule(6, 2.0, 2.0, rise_from_start=False),
    stop_rule(4, 3.0, 2.0, rise_from_start=False),
    stop_rule(4, 2.0, 2.0, min_records=4),
    stop_rule(4, 0.0, 2.0),
    stop_rule(6, 0.0, 2.0),
    stop_rule(8, 0.0, 2.0),
]


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("traces", nargs="+")
    arguments.add_argument("--detail", action="store_true", help="print each task's estimate under each rule")
    args = arguments.parse_args()
    traces = [json.loads(line) for path in args.traces for line in open(path)]
    by_n = defaultdict(list)
    for t in traces:
        by_n[t["n"]].append(t)
    for n, group in sorted(by_n.items()):
        print(f"\n## n = {n} ({len(group)} traces)")
        print("| rule | MAE | worst error | mean steps | over 2x+0.1 |")
        print("|---|---|---|---|---|")
        for rule in RULES:
            errors, steps, over, detail = [], [], 0, []
            for t in group:
                losses = [np.array(v) for v in t["losses"]]
                stop, kept = rule(t["steps"], losses)
                estimate = t["estimates"][kept]
                errors.append(abs(estimate - t["true_mi"]))
                steps.append(t["steps"][stop])
                over += estimate > 2 * t["true_mi"] + 0.1
                detail.append(f"{t['task_id']} {estimate:.3f}/{t['true_mi']:.3f}@{t['steps'][kept]}")
            print(f"| {rule.__name__} | {np.mean(errors):.3f} | {np.max(errors):.3f} | {np.mean(steps):.0f} | {over} |")
            if args.detail:
                print("    " + "; ".join(detail))


if __name__ == "__main__":
    main()
