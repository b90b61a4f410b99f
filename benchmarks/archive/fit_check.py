"""The default estimate with its fit check (`fmmi.OverfitWarning`) on split Student-t data of many columns.

    python benchmarks/archive/fit_check.py OUT.jsonl [TASK ...]

TASK: ``student-10`` or ``student-20`` (BMI's split Student-t, identity
dispersion, nu = 2, at 10 + 10 and 20 + 20 columns; true MI 0.711 and 1.012
nats), N = 10,000, seed 0. Per task, `fmmi.estimate_mi(x, y, random_state=0)`
exactly as a user calls it (pilots, then five folds); one JSON line with the
estimate, its interval, the kept net and the warnings it gave.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import torch

import fmmi
from fmmi.benchmark.tasks import SplitStudentT

N, SEED = 10000, 0
TASKS = {"student-10": 10, "student-20": 20}


def main() -> None:
    out, names = sys.argv[1], sys.argv[2:] or list(TASKS)
    for name in names:
        d = TASKS[name]
        dist = SplitStudentT(np.eye(2 * d), d, 2)
        x, y = dist.sample(N, random_state=SEED)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = fmmi.estimate_mi(x, y, random_state=SEED)
        record = {
            "task": name,
            "true_mi": float(dist.mutual_information),
            "estimate": result.value,
            "interval": list(result.interval),
            "activation": result.options.get("activation"),
            "warnings": list(result.warnings),
            "issued": [str(w.message) for w in caught if issubclass(w.category, fmmi.OverfitWarning)],
            "seconds": time.perf_counter() - start,
            "threads": torch.get_num_threads(),
        }
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record, indent=1), flush=True)


if __name__ == "__main__":
    main()
