"""Does a net left to train learn what the pilots kept at the base? One training, its validation curve.

For one task, one `fmmi.FMMI` training with the Monte-Carlo interval on N rows, with the options given
as JSON (e.g. ``{"patience": 10000}``: early stopping never stops, and the net keeps its lowest
validation record if that is clearly below its start). Prints the estimate, the kept and stopping
steps, and the validation loss at each record minus its start's (negative: the net fits the
validation rows better than its Gaussian base).
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


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--task", required=True, help="a task id")
    arguments.add_argument("--n", type=int, default=5000, help="rows (default 5000)")
    arguments.add_argument("--options", default="{}", help="FMMI options as JSON")
    args = arguments.parse_args()
    setup(args)
    records = Records(args.out)
    options = json.loads(args.options)
    task = get_task(args.task)
    for seed in seeds(args):
        x, y = task.sample(args.n, seed=seed)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator = fmmi.FMMI(interval="monte_carlo", random_state=seed, **options)
            result = estimator.fit_estimate(x, y)
        (stopping,) = estimator.stopping_[0]
        means = stopping.means()
        record = {
            "task_id": args.task,
            "n": args.n,
            "seed": seed,
            "options": options,
            "true_mi": task.mutual_information,
            "estimate": result.value,
            "kept_step": stopping.kept_step,
            "stopped_step": stopping.stopped_step,
            "steps": list(stopping.steps),
            "loss_minus_start": [float(m - means[0]) for m in means],
            "seconds": time.perf_counter() - start,
        }
        records.write(record)
        print(
            f"{args.task} seed {seed} {options}: {result.value:.3f} (true {task.mutual_information:.3f}), "
            f"kept step {stopping.kept_step}",
            flush=True,
        )


if __name__ == "__main__":
    main()
