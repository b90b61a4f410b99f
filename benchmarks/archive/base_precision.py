"""The Gaussian base in float32 against bfloat16 under mixed-precision training: estimate and seconds.

    python benchmarks/archive/base_precision.py OUT.jsonl [--tasks T1,T2] [--steps 10000] [--seed 0]

Until 2026-12-01 the Gaussian base velocity ``A_t z`` under the net ran
inside the training step's bfloat16 autocast, so its matrix products were
rounded to bfloat16 (about 0.4% of the velocity, which near t = 1 at high
MI is large); since then `fmmi.gaussian_base.GaussianBase.forward` turns
autocast off and stays in float32. Per task (``task.sample(10000, seed)``),
one ``FMMI(interval="monte_carlo", steps=STEPS, random_state=seed)``
estimate (the ``fmmi-mc`` protocol) with the base in bfloat16 (the old
forward, put back for that run) and one with the base in float32, on the
same data, split and seed. Mixed precision as the default chooses it: on
a CPU without bfloat16 units nothing is autocast and the two runs agree.
One JSON line per run (task, base precision, seconds, estimate, truth,
whether the training ran under bfloat16, commit); then a table.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

import fmmi
from fmmi.benchmark import get_task
from fmmi.benchmark.runner import source_commit
from fmmi.gaussian_base import GaussianBase

N = 10000
TASKS = (
    "highmi-gaussian-1v1-mi10,highmi-gaussian-3v3-mi10,multinormal-dense-5-5-0.5,student-identity-5-5-2,"
    "spiral-multinormal-sparse-3-3-2-2.0"
)


def _autocast_forward(self: GaussianBase, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The forward before the change: under autocast its products run in bfloat16."""
    w = z @ self.inverse_map.T.to(z.dtype)
    return (w * self.rates(t).to(z.dtype)) @ self.forward_map.T.to(z.dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="JSON lines file to append to")
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--steps", type=int, default=fmmi.FMMI().steps)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    float32_forward = GaussianBase.forward
    rows = []
    for task_id in args.tasks.split(","):
        task = get_task(task_id)
        x, y = task.sample(N, args.seed)
        values = {}
        for precision, forward in (("bfloat16", _autocast_forward), ("float32", float32_forward)):
            GaussianBase.forward = forward
            try:
                estimator = fmmi.FMMI(interval="monte_carlo", steps=args.steps, random_state=args.seed)
                start = time.perf_counter()
                result = estimator.fit_estimate(x, y)
                seconds = time.perf_counter() - start
            finally:
                GaussianBase.forward = float32_forward
            values[precision] = (result.value, seconds)
            record = dict(
                task=task_id, base=precision, steps=args.steps, seed=args.seed, seconds=seconds, estimate=result.value,
                stderr=result.stderr, true_mi=task.mutual_information, mixed_precision=estimator.mixed_precision_,
                threads=torch.get_num_threads(), torch=torch.__version__, fmmi_commit=source_commit(),
            )  # fmt: skip
            print(json.dumps(record), flush=True)
            with open(args.out, "a") as f:
                f.write(json.dumps(record) + "\n")
        rows.append((task_id, task.mutual_information, values))
    print("| task | true MI | base in bfloat16: estimate (s) | base in float32: estimate (s) |")
    print("|---|---|---|---|")
    for task_id, truth, values in rows:
        cells = [f"{values[p][0]:.4f} ({values[p][1]:.0f})" for p in ("bfloat16", "float32")]
        print(f"| {task_id} | {truth:.3f} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
