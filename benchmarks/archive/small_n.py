"""How the training budget behaves with few rows: one training per (task, n, seed, steps).

    python benchmarks/archive/small_n.py OUT.jsonl [--n 1000,2000,5000] [--seeds 0] [--steps 1000,2500,10000] [--tasks T1,T2]
    python benchmarks/archive/small_n.py OUT.jsonl --table

Every run: ``task.sample(n, seed)``, then ``FMMI(interval="monte_carlo",
steps=STEPS, random_state=seed).fit_estimate`` (the ``fmmi-mc`` protocol:
half of the rows train, the other half are read), the other options at
their defaults. ``--steps`` takes numbers of steps or ``default`` (FMMI's
default number). One JSON line per run, appended as it
finishes (estimate, interval, the fit check's warnings, seconds); finished
runs are skipped, so a killed sweep resumes. ``--table`` prints, per task
and n, the mean estimate over the seeds for each budget.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from collections import defaultdict

import numpy as np
import torch

import fmmi
from fmmi import FMMI
from fmmi.benchmark import get_task
from fmmi.benchmark.runner import source_commit

TASKS = (
    "1v1-normal-0.75",
    "multinormal-dense-5-5-0.5",
    "multinormal-sparse-3-3-2-2.0",
    "multinormal-dense-25-25-0.5",
    "student-identity-2-2-1",
    "spiral-normal_cdf-multinormal-sparse-3-3-2-2.0",
    "1v1-additive-0.75",
)


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",")]


def run(out: str, tasks: list[str], ns: list[int], seeds: list[int], budgets: list[str]) -> None:
    done = set()
    if os.path.exists(out):
        with open(out) as handle:
            done = {(r["task"], r["n"], r["seed"], r["steps_option"]) for r in map(json.loads, handle)}
    for task_id in tasks:
        task = get_task(task_id)
        for n in ns:
            for seed in seeds:
                x, y = task.sample(n, seed)
                for budget in budgets:
                    if (task_id, n, seed, budget) in done:
                        continue
                    options = {} if budget == "default" else {"steps": int(budget)}
                    estimator = FMMI(interval="monte_carlo", random_state=seed, device="cpu", **options)
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = estimator.fit_estimate(x, y)
                    record = {
                        "task": task_id,
                        "true": task.mutual_information,
                        "n": n,
                        "seed": seed,
                        "steps_option": budget,
                        "steps": estimator.steps,
                        "estimate": result.value,
                        "interval": list(result.interval),
                        "warnings": list(result.warnings),
                        "seconds": time.perf_counter() - start,
                        "threads": torch.get_num_threads(),
                        "fmmi_version": fmmi.__version__,
                        "fmmi_commit": source_commit(),
                    }
                    print(json.dumps(record), flush=True)
                    with open(out, "a") as handle:
                        handle.write(json.dumps(record) + "\n")


def table(out: str) -> None:
    with open(out) as handle:
        records = [json.loads(line) for line in handle]
    budgets = sorted({r["steps_option"] for r in records}, key=lambda b: (b == "default", int(b) if b.isdigit() else 0))
    cells = defaultdict(list)
    for r in records:
        cells[r["task"], r["n"], r["steps_option"]].append(r)
    print("| task (true MI) | n | " + " | ".join(f"steps {b}" for b in budgets) + " |")
    print("|---|---|" + "---|" * len(budgets))
    for task, n in dict.fromkeys((r["task"], r["n"]) for r in records):
        true = next(r["true"] for r in records if r["task"] == task)
        row = []
        for b in budgets:
            runs = cells[task, n, b]
            if not runs:
                row.append("")
                continue
            mean = np.mean([r["estimate"] for r in runs])
            flagged = sum(bool(r["warnings"]) for r in runs)
            row.append(f"{mean:.3f}" + (f" ({flagged}w)" if flagged else ""))
        print(f"| {task} ({true:.3f}) | {n} | " + " | ".join(row) + " |")
    print("\n(k w): k of the seeds' runs drew a warning (the fit check).")
    for b in budgets:
        for n in sorted({r["n"] for r in records}):
            runs = [r for r in records if r["steps_option"] == b and r["n"] == n]
            if runs:
                mae = np.mean([abs(r["estimate"] - r["true"]) for r in runs])
                print(f"steps {b}, n = {n}: MAE {mae:.3f} over {len(runs)} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--n", default="1000,2000,5000")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--steps", default="1000,2500,10000", help="numbers of steps, or 'default'")
    args = parser.parse_args()
    if args.table:
        table(args.out)
    else:
        run(args.out, args.tasks.split(","), _ints(args.n), _ints(args.seeds), args.steps.split(","))


if __name__ == "__main__":
    main()
