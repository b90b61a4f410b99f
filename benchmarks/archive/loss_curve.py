"""Does the held-out flow-matching loss rise before the default's 10,000 steps end, and where it does, is the estimate off?

    OMP_NUM_THREADS=1 python benchmarks/archive/loss_curve.py OUT.jsonl SEED TASK [TASK ...]

TASK: a task id of `fmmi bench` (e.g. ``student-identity-5-5-2``) or ``student-10`` /
``student-20`` (BMI's split Student-t with identity dispersion and nu = 2 at
10 + 10 and 20 + 20 columns, `benchmarks/archive/column_limit.py`). Per task, N = 10,000
rows drawn with SEED, one tanh net with the default options trained on half of
them (``FMMI(interval="monte_carlo", random_state=SEED)``, the default's tanh
pilot) while its loss on up to 4,096 of the other half is recorded every
`fmmi.terms.CURVE_EVERY` steps (1,000; 500 in the first 25 records, made before
that constant was set) (`fmmi.training.LossCurve`; the same rows and draws at every record). One
JSON line per task: the estimate (nats), the true MI, the mean loss at each
record, the step of the lowest one, how much higher the last one is (mean
paired difference over the rows and its standard error), the same against
step 0 (the Gaussian base alone), the base's own MI reading, and the
`fmmi.OverfitWarning` the fit gave, if any. Tasks already in OUT
for this seed are skipped.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import torch

from fmmi import FMMI
from fmmi.benchmark.tasks import SplitStudentT, get_task

N = 10000
OWN = {"student-10": 10, "student-20": 20}


def sample(name: str, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    if name in OWN:
        dist = SplitStudentT(np.eye(2 * OWN[name]), OWN[name], 2)
        x, y = dist.sample(N, random_state=seed)
        return x, y, float(dist.mutual_information)
    task = get_task(name)
    x, y = task.sample(N, seed)
    return x, y, task.mutual_information


def main() -> None:
    out, seed, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    done = set()
    if os.path.exists(out):
        with open(out) as f:
            done = {(r["task"], r["seed"]) for r in map(json.loads, filter(str.strip, f))}
    for name in names:
        if (name, seed) in done:
            continue
        x, y, true_mi = sample(name, seed)
        start = time.perf_counter()
        est = FMMI(interval="monte_carlo", random_state=seed, device="cpu")
        result = est.fit_estimate(x, y)
        flow = est.fold_flows_[0][0][1]
        curve = flow.curve
        best, rise, rise_stderr = curve.rise()
        drop, drop_stderr = curve.drop()
        record = {
            "task": name,
            "seed": seed,
            "true_mi": true_mi,
            "estimate": result.value,
            "steps": curve.steps,
            "curve": curve.means().tolist(),
            "best_step": best,
            "rise": rise,
            "rise_stderr": rise_stderr,
            "end_minus_base": -drop,
            "end_minus_base_stderr": drop_stderr,
            "base_mi": flow.base_value,
            "warnings": list(result.warnings),
            "seconds": time.perf_counter() - start,
            "threads": torch.get_num_threads(),
        }
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(
            f"{name} seed {seed}: {result.value:.3f} for {true_mi:.3f}, lowest held-out loss at step {best}, "
            f"last higher by {rise:.5f} ({rise / rise_stderr if rise_stderr else 0:.1f} s.e.), "
            f"{record['seconds']:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
