"""Would a stopping rule on a held-out flow-matching loss pick a good training budget?

    python benchmarks/archive/budget_rule.py TASKS OUT.jsonl

An experiment outside the library (which trains a fixed number of steps).
The default jFMMI pipeline written out as in `training_curve.py`, on the
first 5,000 of ``task.sample(10000, 0)`` rows, of which the last 500 are
kept for validation only. Training runs in rounds of 1,000 steps at a
constant learning rate (1e-3); after each round the flow-matching loss on a
fixed set of 5,120 draws from the validation rows is compared with the best
so far. A round "improves" when it lowers the best by more than a relative
5e-4; after 2 rounds in a row that do not (at least 2 rounds, at most 20),
a cool-down of 1,000 steps takes the learning rate to 0 along a cosine, and
the estimate is read on the other 5,000 rows (log grid, 32 nodes, exact
divergence). One JSON line per task: steps used, estimate, seconds.

Written before the library zeroed the output layer of a net on a Gaussian
base (``VelocityMLP.zero_output``); this script keeps the random output
layer its records were made with.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch
from training_curve import Pipeline

ROUND, TOL, PATIENCE, MIN_ROUNDS, MAX_ROUNDS, COOLDOWN, LR = 1000, 5e-4, 2, 2, 20, 1000, 1e-3


def run(task_id: str) -> dict:
    pipe = Pipeline(task_id, fit_rows=4500)
    validation = pipe.fixed_draws(pipe.spare_draw, 500, 10)
    optimizer = torch.optim.AdamW(pipe.net.parameters(), lr=LR, weight_decay=0.0)
    start = time.perf_counter()
    best, stale, rounds, curve = math.inf, 0, 0, []
    while rounds < MAX_ROUNDS:
        for _ in range(ROUND):
            pipe.step(optimizer)
        rounds += 1
        val = pipe.loss(validation)
        curve.append(val)
        stale = 0 if val < best * (1 - TOL) else stale + 1
        best = min(best, val)
        if rounds >= MIN_ROUNDS and stale >= PATIENCE:
            break
    for i in range(COOLDOWN):
        for group in optimizer.param_groups:
            group["lr"] = LR * 0.5 * (1 + math.cos(math.pi * i / COOLDOWN))
        pipe.step(optimizer)
    return {
        "task": task_id,
        "truth": pipe.task.mutual_information,
        "steps": rounds * ROUND + COOLDOWN,
        "estimate": pipe.estimate(),
        "validation_losses": curve,
        "s": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks")
    parser.add_argument("out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for task_id in args.tasks.split(","):
        record = run(task_id)
        print(json.dumps(record), flush=True)
        with open(args.out, "a") as handle:
            handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
