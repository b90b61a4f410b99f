"""A screen: would a third net among the default's pilots (a deeper tanh net) choose better readings?

For each task, row count and seed, the default's pilots (`fmmi.estimators.selection.fit_pilots`,
every option at its default: one training on half of the rows, early stopping on the other half)
of each net of ``--candidates`` (default: the tanh net, the SiLU net, the tanh net with three
hidden layers), each pilot timed on its own; one record with each pilot's own estimate (nats), kept
step, seconds, and its held-out loss gap against the first (mean paired difference and its
standard error), from which `fmmi.estimators.selection.keep` is replayed for any subset of the
candidates without training again.

    python benchmarks/pilot_candidates/run.py --out FILE [--n 5000] [--seeds 0] [--tasks T1,T2] [--threads 1]
    python benchmarks/pilot_candidates/run.py --out FILE --table

``--table`` prints, per task, the truth, each pilot's reading and gap in standard errors, and what
the rule keeps among the first two candidates (today's default) and among all; then the MAE of the
kept pilots' readings over the tasks, per row count and seed. A pilot's reading is one training on
half the rows: a proxy of the full fit's, the same for every candidate.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from budget.curves import PANEL as BUDGET_PANEL  # noqa: E402
from harness import Records, parser, seeds, setup  # noqa: E402

from fmmi.benchmark import get_task  # noqa: E402
from fmmi.curves import paired_mean  # noqa: E402
from fmmi.estimators.selection import fit_pilots  # noqa: E402

# The budget study's panel (hard and easy cases of BMI v1, bmi v2's mixtures and our own) and four more
# mixtures: where tanh reads well, where SiLU does, where a deeper net lifts (AI, galaxy) and where it
# overshoots (Student-t, sign).
PANEL = (*BUDGET_PANEL, "1v1-X-0.9", "2v1-galaxy-0.5-3.0", "5v1-concentric_gaussians-10", "mixtures-ring-5v5")
CANDIDATES = ({}, {"activation": "silu"}, {"depth": 3})
MARGIN = 2.0  # the default's rule (`fmmi.estimators.selection.keep`)


def measure(task_id: str, n: int, seed: int, candidates: list[dict], steps: int) -> dict:
    """Each candidate's pilot on ``task.sample(n, seed)``: reading, kept steps, seconds, loss gap to the first."""
    task = get_task(task_id)
    x, y = task.sample(n, seed=seed)
    readings, kept, seconds, losses = [], [], [], []
    for candidate in candidates:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (pilot,) = fit_pilots(x, y, [candidate], steps, random_state=seed)
        seconds.append(time.perf_counter() - start)
        readings.append(pilot.result.value)
        kept.append(pilot.result.kept_steps)
        losses.append(np.asarray(pilot.losses))
    gaps = [paired_mean(loss - losses[0]) for loss in losses]
    return {
        "task_id": task_id,
        "n": n,
        "seed": seed,
        "true_mi": task.mutual_information,
        "candidates": candidates,
        "estimates": readings,
        "kept_steps": kept,
        "steps": steps,
        "seconds": seconds,
        "gaps": [g for g, _ in gaps],
        "gap_stderrs": [s for _, s in gaps],
    }


def kept(record: dict, among: int) -> int:
    """The index `keep` chooses among the first ``among`` candidates of a record."""
    gaps, stderrs = record["gaps"][:among], record["gap_stderrs"][:among]
    better = [i for i in range(1, among) if gaps[i] < -MARGIN * stderrs[i]]
    return min(better, key=lambda i: gaps[i]) if better else 0


def table(path: str) -> None:
    records = [json.loads(line) for line in open(path)]
    k = len(records[0]["candidates"])
    groups: dict[tuple[int, int], list[dict]] = {}
    for r in records:
        groups.setdefault((r["n"], r["seed"]), []).append(r)
    for (n, seed), rows in sorted(groups.items()):
        print(f"\nN = {n}, seed {seed}")
        errors = {"first two": [], "all": [], **{f"only {i}": [] for i in range(k)}}
        for r in rows:
            two, every = kept(r, 2), kept(r, k)
            cells = " ".join(
                f"{e:6.3f} ({g / s if s > 0 else 0:+5.1f})"
                for e, g, s in zip(r["estimates"], r["gaps"], r["gap_stderrs"])
            )
            print(f"{r['task_id'][:40]:40s} true {r['true_mi']:6.3f} | {cells} | keep {two} -> {every}")
            truth = r["true_mi"]
            errors["first two"].append(abs(r["estimates"][two] - truth))
            errors["all"].append(abs(r["estimates"][every] - truth))
            for i in range(k):
                errors[f"only {i}"].append(abs(r["estimates"][i] - truth))
        print(f"{len(rows)} tasks, MAE: " + "; ".join(f"{name} {np.mean(v):.3f}" for name, v in errors.items()))
        print("seconds per candidate: " + ", ".join(f"{np.sum([r['seconds'][i] for r in rows]):.0f}" for i in range(k)))


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--n", default="5000", help="comma-separated row counts (default 5000)")
    arguments.add_argument("--tasks", default=",".join(PANEL), help="comma-separated task ids")
    arguments.add_argument("--candidates", default=json.dumps(CANDIDATES), help="JSON list of option dicts")
    arguments.add_argument("--steps", type=int, default=10_000, help="most steps per pilot (default: the default's)")
    arguments.add_argument("--table", action="store_true", help="print the table of the --out records")
    args = arguments.parse_args()
    if args.table:
        table(args.out)
        return
    setup(args)
    records = Records(args.out)
    done = set()
    if os.path.exists(args.out):
        done = {(r["task_id"], r["n"], r["seed"]) for r in map(json.loads, open(args.out))}
    candidates = json.loads(args.candidates)
    for seed in seeds(args):
        for n in [int(v) for v in args.n.split(",")]:
            for task_id in args.tasks.split(","):
                if (task_id, n, seed) in done:
                    continue
                record = measure(task_id, n, seed, candidates, args.steps)
                records.write(record)
                readings = " ".join(f"{e:.3f}" for e in record["estimates"])
                print(f"{task_id} n={n} seed={seed}: true {record['true_mi']:.3f} pilots {readings}", flush=True)


if __name__ == "__main__":
    main()
