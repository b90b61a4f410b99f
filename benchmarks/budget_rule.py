"""Would a stopping rule on a held-out flow-matching loss pick a good training budget?

    python benchmarks/budget_rule.py TASKS OUT.jsonl

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

import numpy as np
import torch
from training_curve import prepare

from fmmi.benchmark import get_task
from fmmi.coupling import joint_endpoints
from fmmi.gaussian_base import GaussianBase, ResidualVelocity, mi_moments
from fmmi.integrate import divergence_integrals
from fmmi.nn import VelocityMLP
from fmmi.paths import get_path

ROUND, TOL, PATIENCE, MIN_ROUNDS, MAX_ROUNDS, COOLDOWN, LR = 1000, 5e-4, 2, 2, 20, 1000, 1e-3


def run(task_id: str) -> dict:
    task = get_task(task_id)
    x, y = task.sample(10_000, 0)
    x_tr, x_te = prepare(x[:5000], x[5000:])
    y_tr, y_te = prepare(y[:5000], y[5000:])
    path = get_path("trigonometric")
    gen = torch.Generator().manual_seed(0)
    product, joint, bias = mi_moments(x_tr, y_tr)
    base = GaussianBase(product, joint, path)
    net = VelocityMLP(x.shape[1] + y.shape[1], hidden=512, depth=2, generator=gen)
    model = ResidualVelocity(net, base)
    fit_draw = joint_endpoints(x_tr[:4500], y_tr[:4500])
    val_draw, test_draw = joint_endpoints(x_tr[4500:], y_tr[4500:]), joint_endpoints(x_te, y_te)
    fixed = torch.Generator().manual_seed(1)
    validation = []
    for _ in range(10):
        z_0, z_1, _ = val_draw(torch.randint(500, (512,), generator=fixed), fixed)
        t = torch.rand(512, generator=fixed)
        validation.append(path.sample(z_0, z_1, t) + (t,))
    optimizer = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=0.0)

    def step() -> None:
        z_0, z_1, _ = fit_draw(torch.randint(4500, (512,), generator=gen), gen)
        t = torch.rand(512, generator=gen)
        z_t, goal = path.sample(z_0, z_1, t)
        loss = (model(z_t, t) - goal).square().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    start = time.perf_counter()
    best, stale, rounds, curve = math.inf, 0, 0, []
    while rounds < MAX_ROUNDS:
        for _ in range(ROUND):
            step()
        rounds += 1
        with torch.no_grad():
            val = float(np.mean([(model(z_t, t) - goal).square().mean().item() for z_t, goal, t in validation]))
        curve.append(val)
        stale = 0 if val < best * (1 - TOL) else stale + 1
        best = min(best, val)
        if rounds >= MIN_ROUNDS and stale >= PATIENCE:
            break
    for i in range(COOLDOWN):
        for group in optimizer.param_groups:
            group["lr"] = LR * 0.5 * (1 + math.cos(math.pi * i / COOLDOWN))
        step()
    integrals = divergence_integrals(
        net,
        test_draw,
        5000,
        path=path,
        generator=torch.Generator().manual_seed(2),
        n_mc=5000,
        time_sampling="log_grid",
        n_time=32,
    )
    estimate = -float(np.mean(integrals + base.integral - bias))
    return {
        "task": task_id,
        "truth": task.mutual_information,
        "steps": rounds * ROUND + COOLDOWN,
        "estimate": estimate,
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
