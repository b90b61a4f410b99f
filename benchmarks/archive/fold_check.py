"""The fit check fold by fold: one net's five folds (`FMMI()`, what the default fits when it keeps that net).

    OMP_NUM_THREADS=1 python benchmarks/archive/fold_check.py OUT.jsonl SEED TASK [TASK ...]
    OMP_NUM_THREADS=1 python benchmarks/archive/fold_check.py OUT.jsonl SEED TASK --activation silu

TASK: a task id of `fmmi bench`, or ``student-10`` / ``student-20`` (see
`benchmarks/archive/loss_curve.py`). N = 10,000 rows drawn with SEED,
``FMMI(random_state=SEED).fit_estimate`` (tanh; ``--activation silu`` fits the
SiLU net, what the default fits where its pilots keep SiLU, and records
``activation``); one JSON line per task with the
estimate, the warnings, and per fold the support of its nets on the fold's
2,000 held-out rows (how far the loss at the end lies below the Gaussian
base's at step 0, in paired standard errors) and what they add to the
fold's estimate over the base's reading (nats). The one-split version of
this is `benchmarks/archive/loss_curve.py`.
"""

from __future__ import annotations

import json
import sys
import time

import torch
from loss_curve import sample  # benchmarks/archive/ is on the path when this script runs

from fmmi import FMMI


def main() -> None:
    args = sys.argv[1:]
    options = {}
    if "--activation" in args:
        at = args.index("--activation")
        if at + 1 >= len(args):
            raise SystemExit("--activation wants a name (tanh or silu)")
        options["activation"] = args[at + 1]
        del args[at : at + 2]
    out, seed, names = args[0], int(args[1]), args[2:]
    for name in names:
        x, y, true_mi = sample(name, seed)
        start = time.perf_counter()
        est = FMMI(random_state=seed, device="cpu", **options)
        result = est.fit_estimate(x, y)
        support, added = [], []
        for value, flows, (curve,) in zip(result.fold_values, est.fold_flows_, est.loss_curves_):
            drop, stderr = curve.drop()
            support.append(drop / stderr)
            added.append(value - flows[0][1].base_value)
        record = {
            "task": name,
            "seed": seed,
            **options,
            "true_mi": true_mi,
            "estimate": result.value,
            "interval": list(result.interval),
            "support_stderrs": support,
            "added_nats": added,
            "warnings": list(result.warnings),
            "seconds": time.perf_counter() - start,
            "threads": torch.get_num_threads(),
        }
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
