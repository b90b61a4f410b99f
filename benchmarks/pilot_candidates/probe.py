"""A probe: does a pilot's reading on its own training rows tell a deeper net's gain from its overshoot?

For each task and candidate net, the default's pilot (one `fmmi.FMMI` training on half of
``task.sample(n, seed)``, early stopping on the other half, as `fmmi.estimators.selection.fit_pilots`
runs it), then the fitted net read three ways (nats): on its held-out half (the pilot's reading),
on its training half (twice the reading on all rows less the held-out one: the halves are equal), and
on ``n`` fresh rows of the task (``seed + 1000``), which no choice has touched.

    python benchmarks/pilot_candidates/probe.py --out FILE [--n 5000] [--seeds 0] [--tasks T1,T2] [--threads 1]
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import Records, parser, seeds, setup  # noqa: E402

import fmmi  # noqa: E402
from fmmi.benchmark import get_task  # noqa: E402

TASKS = ("student-identity-5-5-2", "student-identity-2-2-1", "1v1-AI", "2v1-galaxy-0.5-3.0", "mixtures-sign-5v5")
CANDIDATES = ({}, {"depth": 3})


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--n", type=int, default=5000, help="rows per task (default 5000)")
    arguments.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task ids")
    arguments.add_argument("--candidates", default=json.dumps(CANDIDATES), help="JSON list of option dicts")
    args = arguments.parse_args()
    setup(args)
    records = Records(args.out)
    for seed in seeds(args):
        for task_id in args.tasks.split(","):
            task = get_task(task_id)
            x, y = task.sample(args.n, seed=seed)
            fresh_x, fresh_y = task.sample(args.n, seed=seed + 1000)
            for candidate in json.loads(args.candidates):
                start = time.perf_counter()
                pilot = {"interval": "monte_carlo", "validation": "held_out", "sample_check": False}
                estimator = fmmi.FMMI(**candidate, **pilot, random_state=seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    held_out = estimator.fit_estimate(x, y).value
                    every_row = estimator.estimate(x, y).value
                    fresh = estimator.estimate(fresh_x, fresh_y).value
                records.write(
                    {
                        "task_id": task_id,
                        "n": args.n,
                        "seed": seed,
                        "true_mi": task.mutual_information,
                        "candidate": candidate,
                        "held_out": held_out,
                        "train": 2 * every_row - held_out,
                        "fresh": fresh,
                        "seconds": time.perf_counter() - start,
                    }
                )
                print(
                    f"{task_id} {candidate}: true {task.mutual_information:.3f} held-out {held_out:.3f} "
                    f"train {2 * every_row - held_out:.3f} fresh {fresh:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
