"""Fused AdamW against the per-tensor loop: seconds and estimate of one training of the default net.

    python benchmarks/archive/fused_adamw.py OUT.jsonl [--tasks multinormal-dense-5-5-0.5,student-identity-5-5-2]
        [--steps 10000] [--reps 2] [--seed 0]

Per task of the BMI suite, ``task.sample(10000, seed)`` and then, ``--reps``
times, one ``FMMI(interval="monte_carlo", steps=STEPS, random_state=seed)``
estimate (one training on half of the rows, read on the other half: the
``fmmi-mc`` protocol) with each optimiser in turn, "loop" (PyTorch's
per-tensor AdamW, what fmmi used before 2026-12-01's last session) and
"fused" (`fmmi.training.adamw`, one fused kernel per step where PyTorch
has one), alternating so that both see the same load on the machine. The
loop is put back by replacing `fmmi.training.adamw` with its ``fused=False``
form for its runs. One JSON
line per run: task, optimiser, repetition, wall seconds of the whole
estimate, the estimate (nats), the threads and the commit. Then, per task,
the fastest run of each optimiser and the largest difference between the
two optimisers' estimates.
"""

from __future__ import annotations

import argparse
import functools
import json
import time

import torch

import fmmi
import fmmi.training
from fmmi.benchmark import get_task
from fmmi.benchmark.runner import source_commit

N = 10000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="JSON lines file to append to")
    parser.add_argument("--tasks", default="multinormal-dense-5-5-0.5,student-identity-5-5-2")
    parser.add_argument("--steps", type=int, default=fmmi.FMMI().steps)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    fused = fmmi.training.adamw
    summary = []
    for task_id in args.tasks.split(","):
        x, y = get_task(task_id).sample(N, args.seed)
        runs: dict[str, list[tuple[float, float]]] = {"loop": [], "fused": []}
        for rep in range(args.reps):
            for name, make in (("loop", functools.partial(fused, fused=False)), ("fused", fused)):
                fmmi.training.adamw = make
                try:
                    estimator = fmmi.FMMI(interval="monte_carlo", steps=args.steps, random_state=args.seed)
                    start = time.perf_counter()
                    value = estimator.fit_estimate(x, y).value
                    seconds = time.perf_counter() - start
                finally:
                    fmmi.training.adamw = fused
                runs[name].append((seconds, value))
                record = dict(
                    task=task_id, optimizer=name, rep=rep, steps=args.steps, seed=args.seed, seconds=seconds,
                    estimate=value, threads=torch.get_num_threads(), torch=torch.__version__,
                    fmmi_commit=source_commit(),
                )  # fmt: skip
                print(json.dumps(record), flush=True)
                with open(args.out, "a") as f:
                    f.write(json.dumps(record) + "\n")
        values = [v for pairs in runs.values() for _, v in pairs]
        summary.append(
            f"{task_id}: fastest loop {min(s for s, _ in runs['loop']):.1f} s, fused "
            f"{min(s for s, _ in runs['fused']):.1f} s; estimates differ by at most {max(values) - min(values):.2e} nats"
        )
    print("\n".join(summary))


if __name__ == "__main__":
    main()
