"""Does a SiLU net that fits the held-out rows better also read more MI on its own training rows? A guard for `select`.

    python benchmarks/archive/overfit_guard.py TASK:SEED[,TASK:SEED ...] OUT.jsonl [--steps 10000]
    python benchmarks/archive/overfit_guard.py --table OUT.jsonl

`fmmi.select` keeps SiLU over tanh when SiLU's held-out flow-matching loss
is lower by more than 2 paired standard errors. On some BMI tasks SiLU
passes that test and still overshoots the MI (``benchmarks/archive/README.md``,
"Choosing on pilots"); a net that has memorised its training pairs reads
more MI on them than on new rows (``benchmarks/archive/train_vs_heldout.py``). This
script measures both on one split, to see whether the second flags the
overshoots the first lets through.

Per TASK:SEED: ``task.sample(10000, seed)``; the first 5,000 rows train,
the other 5,000 are held out. For tanh (the default net) and SiLU, each
``FMMI(activation=..., random_state=seed)`` with every other option at its
default: `FMMI.fit` on the training rows, `FMMI.estimate` on the held-out
rows and on the training rows (per-row contributions, nats), and
`FMMI.flow_matching_loss` on the held-out rows (the same draws for both
nets). One JSON line per task and seed, appended to OUT, with:

* ``loss_gap`` / ``loss_gap_se``: mean paired held-out loss difference,
  SiLU minus tanh, and its standard error (`fmmi.estimators.selection.keep`'s inputs);
* ``held_out`` / ``on_train``: each net's estimate on the held-out and on
  its training rows;
* ``overfit_gap`` / ``overfit_gap_se``: SiLU's (on_train - held_out) minus
  tanh's, from the row-paired differences of the two nets' contributions on
  each half (the halves are independent, so their variances add).

One thread per process; run two processes side by side on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch

from fmmi import FMMI
from fmmi.benchmark import get_task
from fmmi.benchmark.runner import source_commit
from fmmi.estimators.selection import keep
from fmmi.integrate import mean_and_stderr

NETS = {"tanh": {}, "silu": {"activation": "silu"}}
N_ROWS = 10_000


def run(task_id: str, seed: int, steps: int | None) -> dict:
    task = get_task(task_id)
    x, y = task.sample(N_ROWS, seed)
    half = N_ROWS // 2
    train, held_out = (x[:half], y[:half]), (x[half:], y[half:])
    start = time.perf_counter()
    record: dict = {"task": task_id, "seed": seed, "true_mi": task.mutual_information, "steps": steps}
    rows: dict = {}
    for name, options in NETS.items():
        if steps is not None:
            options = {**options, "steps": steps}
        net = FMMI(**options, random_state=seed).fit(*train)
        on_held_out = net.estimate(*held_out)
        rows[name, "held_out"] = net.contributions_
        on_train = net.estimate(*train)
        rows[name, "on_train"] = net.contributions_
        rows[name, "loss"] = net.flow_matching_loss(*held_out)
        record[name] = {
            "held_out": on_held_out.value,
            "held_out_se": on_held_out.stderr,
            "on_train": on_train.value,
            "loss": float(rows[name, "loss"].mean()),
        }
    chosen, gaps, stderrs = keep([rows["tanh", "loss"], rows["silu", "loss"]])
    # Row-paired differences of the two nets' contributions, on each half.
    train_gap, train_se = mean_and_stderr(rows["silu", "on_train"] - rows["tanh", "on_train"])
    held_gap, held_se = mean_and_stderr(rows["silu", "held_out"] - rows["tanh", "held_out"])
    record.update(
        chosen=chosen,
        loss_gap=gaps[1],
        loss_gap_se=stderrs[1],
        overfit_gap=train_gap - held_gap,
        overfit_gap_se=math.hypot(train_se, held_se),
        seconds=time.perf_counter() - start,
        threads=torch.get_num_threads(),
        fmmi_commit=source_commit(),
    )
    return record


def table(path: str) -> None:
    with open(path) as f:
        records = [json.loads(line) for line in f]
    print(
        "| task (true MI) | seed | tanh held-out (on train) | SiLU held-out (on train) "
        "| loss gap / s.e. | overfit gap (s.e.) |"
    )
    print("|---|---|---|---|---|---|")
    for r in records:
        t, s = r["tanh"], r["silu"]
        print(
            f"| {r['task']} ({r['true_mi']:.3f}) | {r['seed']} | {t['held_out']:.3f} ({t['on_train']:.3f}) "
            f"| {s['held_out']:.3f} ({s['on_train']:.3f}) | {r['loss_gap'] / r['loss_gap_se']:+.1f} "
            f"| {r['overfit_gap']:+.3f} ({r['overfit_gap_se']:.3f}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="?", help="comma-separated TASK:SEED pairs")
    parser.add_argument("out", help="JSON-lines file (appended to; read with --table)")
    parser.add_argument("--steps", type=int, help="training steps of each net (default: FMMI's)")
    parser.add_argument("--table", action="store_true", help="print the table of OUT")
    args = parser.parse_args()
    if args.table:
        table(args.out)
        return
    if not args.runs:
        parser.error("give TASK:SEED pairs, or --table")
    torch.set_num_threads(1)
    for item in args.runs.split(","):
        task_id, seed = item.rsplit(":", 1)
        record = run(task_id, int(seed), args.steps)
        print(json.dumps(record), flush=True)
        with open(args.out, "a") as f:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
