"""The default's pilots on non-Gaussian data of 20 and 40 columns, where BMI has no task (the column limit's gap).

    OMP_NUM_THREADS=1 python benchmarks/archive/column_limit.py OUT.jsonl [TASK ...]

Tasks (BMI's constructions at sizes BMI lacks, N = 10,000, seed 0):
``student-10`` and ``student-20`` (split Student-t, identity dispersion,
ν = 2, 10 + 10 and 20 + 20 columns), ``spiral-10`` and ``spiral-20`` (the
sparse Gaussian with two strong pairs of 2 nats, both sides turned by BMI's
spiral). Per task: `fmmi.estimators.selection.fit_pilots` with the default candidates
(tanh, SiLU), 10,000 steps each, ``random_state=0``, then
`fmmi.estimators.selection.keep`'s choice: one JSON line with the loss gap, its
standard error, each pilot's own estimate (one training, Monte-Carlo
interval) and the true MI. Finished tasks are skipped.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import torch

from fmmi.benchmark.tasks import SplitStudentT, Transformed, spiral
from fmmi.config import CANDIDATES
from fmmi.distributions import CorrelatedGaussian
from fmmi.estimators.selection import fit_pilots, keep

N, SEED = 10000, 0


def _student(d: int):
    return SplitStudentT(np.eye(2 * d), d, 2)


def _spiral(d: int):
    return Transformed(CorrelatedGaussian.sparse(d, d, 2, 2.0), spiral(d, plane=(0, 1)), spiral(d, plane=(1, 2)))


TASKS = {
    "student-10": lambda: _student(10),
    "student-20": lambda: _student(20),
    "spiral-10": lambda: _spiral(10),
    "spiral-20": lambda: _spiral(20),
}


def main() -> None:
    out, names = sys.argv[1], sys.argv[2:] or list(TASKS)
    done = set()
    if os.path.exists(out):
        with open(out) as f:
            done = {json.loads(line)["task"] for line in f if line.strip()}
    for name in names:
        if name in done:
            continue
        dist = TASKS[name]()
        x, y = dist.sample(N, random_state=SEED)
        start = time.perf_counter()
        pilots = fit_pilots(x, y, CANDIDATES, 10000, random_state=SEED, device="cpu")
        chosen, gaps, stderrs = keep([p.losses for p in pilots])
        record = {
            "task": name,
            "columns": x.shape[1] + y.shape[1],
            "true_mi": float(dist.mutual_information),
            "chosen": chosen,
            "gap": gaps[1],
            "gap_stderr": stderrs[1],
            "estimates": [p.result.value for p in pilots],
            "seconds": time.perf_counter() - start,
            "threads": torch.get_num_threads(),
        }
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(
            f"{name}: {record['columns']} columns, true {record['true_mi']:.3f}, tanh {record['estimates'][0]:.3f}, "
            f"SiLU {record['estimates'][1]:.3f}, gap {gaps[1] / stderrs[1]:+.1f} s.e., kept {chosen}",
            flush=True,
        )


if __name__ == "__main__":
    main()
