"""Estimates before and after a refactoring, to the last digit, through the public API on fixed tasks and seeds.

``--quick``: many code paths at a small budget (seconds each): the default with and without the choice
of net, both intervals, every variant, conditional MI, entropies, fit-then-estimate, every baseline
and the command line. Without it: the default ``fmmi.estimate_mi(x, y, random_state=0)`` on three BMI
tasks and one highmi task at 10,000 rows (minutes each). Run it with ``--threads 1`` at both commits:
one thread makes the float reductions repeat exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import Records, parser, setup  # noqa: E402

import fmmi  # noqa: E402
from fmmi.benchmark.tasks import get_task  # noqa: E402

FULL_TASKS = ("1v1-normal-0.75", "student-identity-2-2-1", "multinormal-dense-25-25-0.5", "highmi-gaussian-1v1-mi10")
SMALL = {"steps": 200, "hidden": 64, "n_folds": 3}


def reading(name: str, result) -> dict:
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
    yield (
        "hutchinson-linear",
        fmmi.FMMI(divergence="hutchinson", path="linear", gaussianize=True, random_state=2, **SMALL).fit_estimate(x, y),
    )
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


def cli_case() -> dict:
    x, y = get_task("1v1-normal-0.75").sample(1000, seed=0)
    flags = ["--steps", "200", "--hidden", "64", "--folds", "3", "--seed", "0", "--json", "--no-progress"]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.npy")
        np.save(path, np.hstack([x, y]))
        command = [sys.executable, "-m", "fmmi", "estimate", path, *flags]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    return {"case": "cli", "value": repr(float(data["value"])), "interval": [repr(float(v)) for v in data["interval"]]}


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--quick", action="store_true", help="many code paths at a small budget")
    args = arguments.parse_args()
    setup(args)
    records = Records(args.out)
    if args.quick:
        for name, result in quick_cases():
            records.write(reading(name, result))
        records.write(cli_case())
        return
    for task_id in FULL_TASKS:
        x, y = get_task(task_id).sample(10000, seed=0)
        result = fmmi.estimate_mi(x, y, random_state=0)
        records.write({**reading(task_id, result), "seconds": result.seconds})


if __name__ == "__main__":
    main()
