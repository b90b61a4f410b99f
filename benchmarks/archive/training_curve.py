"""How the held-out flow-matching loss and the MI estimate move during one long training.

    python benchmarks/archive/training_curve.py TASK STEPS EVERY OUT.jsonl

The default jFMMI pipeline written out (rank Gaussianisation where a normality
test asks for it, standardisation, Gaussian base, default net), trained on the
first 5,000 of ``task.sample(10000, 0)`` rows with a *constant* learning rate
(1e-3), so that the curve shows the budget alone. Every ``EVERY`` steps it
records: the flow-matching loss on a fixed set of 10,240 (source, target,
time) draws from the other 5,000 rows (the same draws every time, so
differences between checkpoints are not sampling noise), and the MI estimate
on those rows (log grid, 32 nodes, exact divergence). One JSON line per
checkpoint. Question it answers: could a stopping rule on the held-out loss
pick the training budget?

Written before the library zeroed the output layer of a net on a Gaussian
base (``VelocityMLP.zero_output``); this script keeps the random output
layer its records were made with.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from fmmi._checks import location_scale
from fmmi.benchmark import get_task
from fmmi.coupling import joint_endpoints
from fmmi.gaussian_base import GaussianBase, ResidualVelocity, mi_moments
from fmmi.integrate import divergence_integrals
from fmmi.nn import VelocityMLP
from fmmi.paths import get_path
from fmmi.preprocessing import MarginalGaussianizer


def prepare(train: np.ndarray, test: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    g = MarginalGaussianizer(skip_normal=True).fit(train)
    a, b = g.transform(train), g.transform(test)
    mean, scale = location_scale(a)
    return (
        torch.as_tensor((a - mean) / scale, dtype=torch.float32),
        torch.as_tensor((b - mean) / scale, dtype=torch.float32),
    )


class Pipeline:
    """The default jFMMI pipeline on ``task.sample(10000, 0)``: first 5,000 rows to train, the rest to read."""

    def __init__(self, task_id: str, fit_rows: int = 5000):
        self.task = get_task(task_id)
        x, y = self.task.sample(10_000, 0)
        x_tr, x_te = prepare(x[:5000], x[5000:])
        y_tr, y_te = prepare(y[:5000], y[5000:])
        self.path = get_path("trigonometric")
        self.gen = torch.Generator().manual_seed(0)
        product, joint, self.bias, _ = mi_moments(x_tr, y_tr)
        self.base = GaussianBase(product, joint, self.path)
        self.net = VelocityMLP(x.shape[1] + y.shape[1], hidden=512, depth=2, generator=self.gen)
        self.model = ResidualVelocity(self.net, self.base)
        self.fit_rows = fit_rows
        self.train_draw = joint_endpoints(x_tr[:fit_rows], y_tr[:fit_rows])
        self.spare_draw = joint_endpoints(x_tr[fit_rows:], y_tr[fit_rows:]) if fit_rows < 5000 else None
        self.test_draw = joint_endpoints(x_te, y_te)

    def fixed_draws(self, draw, n_rows: int, batches: int) -> list[tuple[torch.Tensor, ...]]:
        """``batches`` batches of 512 (z_t, goal, t), the same at every call (own seed)."""
        fixed = torch.Generator().manual_seed(1)
        out = []
        for _ in range(batches):
            z_0, z_1, _ = draw(torch.randint(n_rows, (512,), generator=fixed), fixed)
            t = torch.rand(512, generator=fixed)
            out.append(self.path.sample(z_0, z_1, t) + (t,))
        return out

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        z_0, z_1, _ = self.train_draw(torch.randint(self.fit_rows, (512,), generator=self.gen), self.gen)
        t = torch.rand(512, generator=self.gen)
        z_t, goal = self.path.sample(z_0, z_1, t)
        loss = (self.model(z_t, t) - goal).square().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    @torch.no_grad()
    def loss(self, draws: list[tuple[torch.Tensor, ...]]) -> float:
        return float(np.mean([(self.model(z_t, t) - goal).square().mean().item() for z_t, goal, t in draws]))

    def estimate(self) -> float:
        """MI on the 5,000 held-out rows: log grid, 32 nodes, exact divergence."""
        integrals = divergence_integrals(
            self.net,
            self.test_draw,
            5000,
            path=self.path,
            generator=torch.Generator().manual_seed(2),
            n_mc=5000,
            time_sampling="log_grid",
            n_time=32,
        )
        return -float(np.mean(integrals + self.base.integral - self.bias))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task")
    parser.add_argument("steps", type=int)
    parser.add_argument("every", type=int)
    parser.add_argument("out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    pipe = Pipeline(args.task)
    held_out = pipe.fixed_draws(pipe.test_draw, 5000, 20)
    optimizer = torch.optim.AdamW(pipe.net.parameters(), lr=1e-3, weight_decay=0.0)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        pipe.step(optimizer)
        if step % args.every:
            continue
        record = {
            "task": args.task,
            "truth": pipe.task.mutual_information,
            "step": step,
            "held_out_loss": pipe.loss(held_out),
            "estimate": pipe.estimate(),
            "s": time.perf_counter() - start,
        }
        print(json.dumps(record), flush=True)
        with open(args.out, "a") as handle:
            handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
