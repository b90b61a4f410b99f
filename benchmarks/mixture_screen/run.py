"""A screen: which change to the default net reads BMI v2's mixtures closer? One training each.

For each task and variant, one `fmmi.FMMI` training with the Monte-Carlo interval (half the rows
train, half estimate) on N rows of seed 0: the default net (tanh, Gaussian base, ``gaussianize="auto"``),
cFMMI (``variant="conditional"``), no Gaussian base, no rank Gaussianisation, and SiLU units. A screen
to choose what to measure on the whole panel with several seeds, not a result about the default.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import Records, parser, seeds, setup  # noqa: E402

import fmmi  # noqa: E402
from fmmi.benchmark import get_task  # noqa: E402

TASKS = ("1v1-X-0.9", "1v1-AI", "2v1-waves-12-5.0-3.0", "2v1-galaxy-0.5-3.0")
VARIANTS = {
    "default-net": {},
    "conditional": {"variant": "conditional"},
    "no-base": {"gaussian_base": False},
    "no-gaussianize": {"gaussianize": False},
    "silu": {"activation": "silu"},
    "fourier-64-s1": {"fourier": 64, "fourier_scale": 1.0},
    "fourier-64-s0.3": {"fourier": 64, "fourier_scale": 0.3},
    "fourier-64-s3": {"fourier": 64, "fourier_scale": 3.0},
    "depth-3": {"depth": 3},
    "depth-4": {"depth": 4},
    "hidden-1024": {"hidden": 1024},
    "time-log": {"time_density": "log", "time_features": "log"},
    "shared-x": {"coupling": "shared_x"},
    "shared-x-fourier": {"coupling": "shared_x", "fourier": 64},
    "ot": {"coupling": "ot"},
    "ot-no-base": {"coupling": "ot", "gaussian_base": False},
}


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--n", type=int, default=5000, help="rows per task (default 5000)")
    arguments.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task ids")
    arguments.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated variant names")
    args = arguments.parse_args()
    setup(args)
    records = Records(args.out)
    for seed in seeds(args):
        for task_id in args.tasks.split(","):
            task = get_task(task_id)
            x, y = task.sample(args.n, seed=seed)
            for name in args.variants.split(","):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    estimator = fmmi.FMMI(interval="monte_carlo", random_state=seed, **VARIANTS[name])
                    result = estimator.fit_estimate(x, y)
                records.write(
                    {
                        "task_id": task_id,
                        "variant": name,
                        "options": VARIANTS[name],
                        "n": args.n,
                        "seed": seed,
                        "true_mi": task.mutual_information,
                        "estimate": result.value,
                        "stderr": result.stderr,
                        "held_out_loss": float(estimator.held_out_losses_.mean()),
                        "warnings": list(result.warnings),
                        "seconds": time.perf_counter() - start,
                    }
                )
                print(f"{task_id} {name}: {result.value:.3f} (true {task.mutual_information:.3f})", flush=True)


if __name__ == "__main__":
    main()
