"""Trace one net's training: its loss on validation rows and its estimate on fresh rows, every 500 steps.

The question behind it: which rule, reading only the validation loss, would stop each net at a
step whose estimate is close to the truth? One training per task, size and seed, as one fold of the
default's 5-fold cross-fitting does it (the default net, options, rank Gaussianisation and Gaussian
base; 10,000 steps on a cosine schedule), except that a fifth of the fold's training rows are kept
back as validation rows. Every 500 steps (and at step 0, the Gaussian base alone) the script records

* the flow-matching loss of each validation row (4 draws of the re-pairing and of t per row, the
  same draws at every record, so that two records pair row by row), and
* the estimate the net would give at that step, read on 2,000 fresh rows of the task (the same rows
  and draws at every record), so that the step's own error is measured without the noise of a
  small held-out fold.

Rules are then replayed on the records by ``rules.py`` without training again: a rule that stops at
step s (and keeps the weights of step s') gives exactly the estimate recorded at s'.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import Records, parser, seeds, setup  # noqa: E402

from fmmi._checks import check_pair, make_generator, resolve_mixed_precision  # noqa: E402
from fmmi.benchmark import get_task  # noqa: E402
from fmmi.config import MIOptions  # noqa: E402
from fmmi.curves import LossCurve  # noqa: E402
from fmmi.preprocessing import MarginalGaussianizer  # noqa: E402
from fmmi.terms import JointMITerm, Runtime  # noqa: E402

PANEL = (
    "1v1-normal-0.75",
    "multinormal-dense-5-5-0.5",
    "multinormal-dense-25-25-0.5",
    "student-identity-2-2-1",
    "student-identity-5-5-2",
    "spiral-normal_cdf-multinormal-sparse-3-3-2-2.0",
    "1v1-additive-0.75",
    "half_cube-multinormal-sparse-25-25-2-2.0",
    "1v1-AI",
    "2v1-waves-12-5.0-3.0",
    "mixtures-sign-5v5",
    "mixtures-clusters4-5v5",
)
EVERY = 500
FRESH_ROWS = 2000
LOSS_DRAWS = 4


def trace(task_id: str, n: int, seed: int, validation: float, steps: int, overrides: dict | None = None) -> dict:
    task = get_task(task_id)
    x, y = check_pair(*task.sample(n, seed=seed))
    fresh = check_pair(*task.sample(FRESH_ROWS, seed=10_000 + seed))
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    train_rows = order[: int(round(0.8 * n))]  # one fold of five
    n_val = int(round(validation * train_rows.size))
    fit_rows, val_rows = train_rows[n_val:], train_rows[:n_val]
    options = MIOptions(steps=steps, **(overrides or {}))
    gaussianizers = [MarginalGaussianizer(skip_normal=True).fit(a[fit_rows]) for a in (x, y)]

    def prepared(a, b):
        return [g.transform(v) for g, v in zip(gaussianizers, (a, b))]

    generator, _ = make_generator(seed)
    device = torch.device("cpu")
    runtime = Runtime(generator, device, resolve_mixed_precision(options.mixed_precision, device, options.dtype))
    term = JointMITerm(options, runtime)
    draw, n_rows = term.endpoints(term.prepare(prepared(x[fit_rows], y[fit_rows])))
    validation_arrays = prepared(x[val_rows], y[val_rows])
    fresh_arrays = prepared(*fresh)
    estimates: list[float] = []

    def record() -> np.ndarray:
        losses = term.flow_matching_losses(validation_arrays, torch.Generator().manual_seed(0), LOSS_DRAWS)
        own = term.runtime
        term.runtime = dataclasses.replace(own, generator=torch.Generator().manual_seed(1))
        estimates.append(float(term.contributions(fresh_arrays).mean()))
        term.runtime = own
        return losses

    curve = LossCurve(record, every=EVERY)
    start = time.perf_counter()
    term.train(draw, n_rows, curve=curve)
    return {
        "task_id": task_id,
        "n": n,
        "seed": seed,
        "true_mi": task.mutual_information,
        "n_fit": int(fit_rows.size),
        "n_validation": int(n_val),
        "base_mi": term.base_value,
        "steps": curve.steps,
        "estimates": estimates,
        "losses": [v.tolist() for v in curve.values],
        "seconds": time.perf_counter() - start,
        "options": overrides or {},
    }


def _option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` as (key, value), the value read as JSON where it is JSON (numbers, true, null), else text."""
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--n", default="1000,5000", help="comma-separated row counts")
    arguments.add_argument("--tasks", default=",".join(PANEL), help="comma-separated task ids")
    arguments.add_argument("--steps", type=int, default=MIOptions.steps, help="training steps (default: the default's)")
    arguments.add_argument("--validation", type=float, default=0.2, help="validation share of the training rows")
    arguments.add_argument(
        "--option", action="append", default=[], help="KEY=VALUE, an option of the net's training (JSON value)"
    )
    args = arguments.parse_args()
    options = dict(_option(text) for text in args.option)
    setup(args)
    records = Records(args.out)
    for seed in seeds(args):
        for n in [int(v) for v in args.n.split(",")]:
            for task_id in args.tasks.split(","):
                record = trace(task_id, n, seed, args.validation, args.steps, options)
                records.write(record)
                e = record["estimates"]
                print(
                    f"{task_id} n={n} seed={seed}: true {record['true_mi']:.3f} base {record['base_mi']:.3f} "
                    f"start {e[0]:.3f} middle {e[len(e) // 2]:.3f} end {e[-1]:.3f} ({record['seconds']:.0f} s)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
