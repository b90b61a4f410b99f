"""Read one trained net with several time quadratures: is an error in the training or in the reading?

    python benchmarks/archive/time_grid_readings.py TASKS OUT.jsonl [--steps N]

For each task: ``task.sample(10000, seed 0)``, the first 5,000 rows train one
default net (``FMMI(interval="monte_carlo", random_state=0)``), and the other
5,000 are read with each quadrature in ``READINGS`` (Gauss-Legendre in
``u = -log(1 - t)``, the default; Gauss-Legendre in t; more nodes of each).
The training is shared, so differences between the readings come from the
time integral alone: a quadrature that under-resolves a spike of the
integrand at one end of [0, 1] moves the estimate. One JSON line per (task,
reading), with the true MI, the estimate and its Monte-Carlo standard error.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import torch

import fmmi
from fmmi import FMMI
from fmmi.benchmark import get_task
from fmmi.benchmark.runner import source_commit

READINGS = {
    "log_grid_32": ("log_grid", 32),
    "log_grid_128": ("log_grid", 128),
    "grid_32": ("grid", 32),
    "grid_128": ("grid", 128),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks")
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the estimator's)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for task_id in args.tasks.split(","):
        task = get_task(task_id)
        x, y = task.sample(10_000, 0)
        options = {} if args.steps is None else {"steps": args.steps}
        est = FMMI(interval="monte_carlo", random_state=0, device="cpu", **options)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(x[:5000], y[:5000])
        trained = time.perf_counter() - start
        for name, (sampling, n_time) in READINGS.items():
            est.time_sampling, est.n_time = sampling, n_time
            start = time.perf_counter()
            result = est.estimate(x[5000:], y[5000:])
            record = {
                "task": task_id,
                "true": task.mutual_information,
                "reading": name,
                "estimate": result.value,
                "stderr": result.stderr,
                "steps": est.steps,
                "train_s": trained,
                "read_s": time.perf_counter() - start,
                "fmmi": fmmi.__version__,
                "fmmi_commit": source_commit(),
            }
            print(json.dumps(record), flush=True)
            with open(args.out, "a") as handle:
                handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
