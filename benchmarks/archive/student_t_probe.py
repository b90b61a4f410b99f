"""Probe of the 20 x 20 Student-t (nu = 2) overshoot found by benchmarks/archive/column_limit.py: the tanh net on five folds,

    python benchmarks/archive/student_t_probe.py OUT.jsonl

and one training each with the Gaussian base off, every column rank-Gaussianised, none. N = 10,000, seed 0.
"""

import json
import sys
import time

import numpy as np

from fmmi import FMMI
from fmmi.benchmark.tasks import SplitStudentT

dist = SplitStudentT(np.eye(40), 20, 2)
x, y = dist.sample(10000, random_state=0)
out = open(sys.argv[1], "a")
for name, opts in [
    ("default tanh, five folds", {}),
    ("one training, gaussian_base=False", {"interval": "monte_carlo", "gaussian_base": False}),
    ("one training, gaussianize=True", {"interval": "monte_carlo", "gaussianize": True}),
    ("one training, gaussianize=False", {"interval": "monte_carlo", "gaussianize": False}),
]:
    t = time.perf_counter()
    r = FMMI(random_state=0, device="cpu", **opts).fit_estimate(x, y)
    rec = {
        "task": "student-20 (nu=2, 20x20)",
        "true_mi": float(dist.mutual_information),
        "config": name,
        "options": opts,
        "estimate": r.value,
        "interval": list(r.interval),
        "seconds": time.perf_counter() - t,
    }
    out.write(json.dumps(rec) + "\n")
    out.flush()
    print(rec, flush=True)
