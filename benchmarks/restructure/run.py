"""Estimates before and after a refactoring, to the last digit: the public API on fixed tasks and seeds.

``--quick`` runs many code paths at a small budget (seconds each); without it, the default
`fmmi.estimate_mi(x, y, random_state=0)` on three BMI tasks and one highmi task (minutes each).
One thread, so that the float reductions are the same from run to run. Each line of ``--out``
is one JSON record with the estimate's repr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

import fmmi
from fmmi.benchmark.tasks import get_task

FULL_TASKS = ("1v1-normal-0.75", "student-identity-2-2-1", "multinormal-dense-25-25-0.5", "highmi-gaussian-1v1-mi10")
SMALL = {"steps": 200, "hidden": 64, "n_folds": 3}


def record(name: str, result) -> dict:
    return {
        "case": name,
        "value": repr(float(result.value)),
        "stderr": repr(float(result.stderr)),
        "interval": [repr(float(v)) for v in result.interval],
        "activation": result.options.get("activation"),
    }


def quick_cases():
    x, y = get_task("student-identity-2-2-1").sample(1200, seed=3)
    z = np.random.default_rng(5).normal(size=(1200, 1))
    yield "estimate_mi", fmmi.estimate_mi(x, y, random_state=0, **SMALL)
    yield "estimate_mi-noselect", fmmi.estimate_mi(x, y, random_state=0, select=False, **SMALL)
    yield "mc", fmmi.estimate_mi(x, y, random_state=0, interval="monte_carlo", **SMALL)
    yield "conditional", fmmi.FMMI(variant="conditional", random_state=1, **SMALL).fit_estimate(x, y)
    yield "doe", fmmi.FMMI(variant="doe", random_state=1, **SMALL).fit_estimate(x, y)
    yield "hutchinson-linear", fmmi.FMMI(
        divergence="hutchinson", path="linear", gaussianize=True, random_state=2, **SMALL
    ).fit_estimate(x, y)
    yield "cmi", fmmi.conditional_mi(x, y, z, random_state=0, **SMALL)
    yield "entropy", fmmi.entropy(x, random_state=0, **SMALL)
    yield "entropy_difference", fmmi.entropy_difference(x, y, random_state=0, **SMALL)
    est = fmmi.FMMI(random_state=4, interval="monte_carlo", **SMALL).fit(x[:600], y[:600])
    yield "fit-then-estimate", est.estimate(x[600:], y[600:])
    for name in ("KSG", "GaussianMI", "InfoNCE", "NWJ", "MINE", "MINDE"):
        cls = getattr(fmmi.estimators, name)
        options = {} if name == "KSG" else {"random_state": 0}
        if name in ("InfoNCE", "NWJ", "MINE", "MINDE"):
            options["steps"] = 100
        yield name, cls(**options).fit_estimate(x, y)


def cli_case():
    x, y = get_task("1v1-normal-0.75").sample(1000, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.npy")
        np.save(path, np.hstack([x, y]))
        out = subprocess.run(
            [sys.executable, "-m", "fmmi", "estimate", path, "--steps", "200", "--hidden", "64", "--folds", "3",
             "--seed", "0", "--json", "--no-progress"],
            capture_output=True, text=True, check=True,
        ).stdout
    data = json.loads(out)
    return {"case": "cli", "value": repr(float(data["value"])), "interval": [repr(float(v)) for v in data["interval"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(args.out, "w") as handle:
        if args.quick:
            for name, result in quick_cases():
                handle.write(json.dumps(record(name, result)) + "\n")
                handle.flush()
            handle.write(json.dumps(cli_case()) + "\n")
            return
        for task_id in FULL_TASKS:
            x, y = get_task(task_id).sample(10000, seed=0)
            handle.write(json.dumps(record(task_id, fmmi.estimate_mi(x, y, random_state=0))) + "\n")
            handle.flush()


if __name__ == "__main__":
    main()
