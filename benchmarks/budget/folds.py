"""Three folds instead of five: what do they cost in accuracy and in the interval's coverage?

The default (`fmmi.AutoFMMI`, every option at its default but ``n_folds``) on each task's
``task.sample(n, seed)``, the same samples as ``fmmi bench`` draws, so that the records compare run by
run with a bench folder of the default (five folds). One record per task, row count, seed and fold
count: estimate, interval, fold values, the steps each fold's net kept, seconds. Reruns skip what the
file already holds.

    python benchmarks/budget/folds.py --out FILE [--folds 3] [--n 1000] [--seeds 0] [--tasks T1,T2] [--threads 1]
    python benchmarks/budget/folds.py --out FILE --table BENCH_FOLDER

``--table`` prints, per seed, the MAE, the intervals containing the truth and their mean width for
the records of FILE and for the default's records of BENCH_FOLDER on the same tasks, row count and
seeds, then the tasks whose reading moved most.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import Records, parser, seeds, setup  # noqa: E402

import fmmi  # noqa: E402
from fmmi.benchmark import get_task, list_tasks  # noqa: E402
from fmmi.benchmark.runner import load_records  # noqa: E402


def measure(task_id: str, n: int, seed: int, folds: int) -> dict:
    """The default with ``folds`` folds on ``task.sample(n, seed)``."""
    task = get_task(task_id)
    x, y = task.sample(n, seed)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fmmi.AutoFMMI(n_folds=folds, random_state=seed).fit_estimate(x, y)
    return {
        "task_id": task_id,
        "n": n,
        "seed": seed,
        "n_folds": folds,
        "true_mi": task.mutual_information,
        "estimate": result.value,
        "interval": list(result.interval),
        "fold_values": list(result.fold_values),
        "kept_steps": result.kept_steps,
        "activation": result.options["activation"],
        "warnings": sorted({w.category.__name__ for w in caught}),
        "seconds": time.perf_counter() - start,
    }


def summary(rows: list[dict]) -> str:
    errors = [abs(r["estimate"] - r["true_mi"]) for r in rows]
    inside = sum(r["interval"][0] <= r["true_mi"] <= r["interval"][1] for r in rows)
    width = np.mean([r["interval"][1] - r["interval"][0] for r in rows])
    return f"MAE {np.mean(errors):.3f}, intervals containing the truth {inside}/{len(rows)}, mean width {width:.3f}"


def table(path: str, bench: str) -> None:
    mine = [json.loads(line) for line in open(path)]
    theirs = {(r["task_id"], r["n"], r["seed"]): r for r in load_records(bench) if r["estimator"] == "fmmi-default"}
    pairs = [
        (r, theirs[(r["task_id"], r["n"], r["seed"])]) for r in mine if (r["task_id"], r["n"], r["seed"]) in theirs
    ]
    for n, seed in sorted({(r["n"], r["seed"]) for r, _ in pairs}):
        chosen = [(r, t) for r, t in pairs if (r["n"], r["seed"]) == (n, seed)]
        folds = chosen[0][0]["n_folds"]
        print(f"n={n} seed={seed}, {len(chosen)} tasks")
        print(f"  {folds} folds: {summary([r for r, _ in chosen])}")
        print(f"  5 folds (bench): {summary([t for _, t in chosen])}")
    moved = sorted(pairs, key=lambda p: -abs(p[0]["estimate"] - p[1]["estimate"]))[:10]
    print("largest moves (truth, five folds, fewer folds):")
    for r, t in moved:
        print(
            f"  {r['task_id']} n={r['n']} seed={r['seed']}: {r['true_mi']:.3f} {t['estimate']:.3f} {r['estimate']:.3f}"
        )


def main() -> None:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--folds", type=int, default=3, help="n_folds of the default (default 3)")
    arguments.add_argument("--n", type=int, default=1000, help="rows per task (default 1000)")
    arguments.add_argument("--tasks", help="comma-separated task ids (default: the bmi suite)")
    arguments.add_argument("--table", metavar="BENCH_FOLDER", help="compare FILE with a bench folder; no runs")
    args = arguments.parse_args()
    if args.table:
        table(args.out, args.table)
        return
    setup(args)
    records = Records(args.out)
    done = set()
    if os.path.exists(args.out):
        done = {(r["task_id"], r["n"], r["seed"], r["n_folds"]) for r in map(json.loads, open(args.out))}
    task_ids = args.tasks.split(",") if args.tasks else list_tasks("bmi")
    for seed in seeds(args):
        for task_id in task_ids:
            if (task_id, args.n, seed, args.folds) in done:
                continue
            record = measure(task_id, args.n, seed, args.folds)
            records.write(record)
            print(f"{task_id} seed={seed}: true {record['true_mi']:.3f} read {record['estimate']:.3f}", flush=True)


if __name__ == "__main__":
    main()
