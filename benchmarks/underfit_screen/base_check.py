"""Where does the sample check fire on the Gaussian base alone? Its false alarms and its catches, cheaply.

For each task of the suites, `fmmi.FMMI` with ``steps=0`` (each fold reads its Gaussian base alone,
as the default does where its pilot keeps the base) on N rows, and whether an `fmmi.UnderfitWarning`
came with the estimate. Where the base reads the truth, a warning is a false alarm; where it reads
far too low, a warning is what the check is for.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import Records, parser, seeds, setup  # noqa: E402

import fmmi  # noqa: E402
from fmmi.benchmark import get_task, list_tasks  # noqa: E402


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--n", type=int, default=1000, help="rows per task (default 1000)")
    arguments.add_argument("--suites", default="bmi,bmi-v2,mixtures", help="comma-separated suites")
    args = arguments.parse_args()
    setup(args)
    records = Records(args.out)
    for seed in seeds(args):
        for suite in args.suites.split(","):
            for task_id in list_tasks(suite):
                task = get_task(task_id)
                x, y = task.sample(args.n, seed=seed)
                start = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = fmmi.FMMI(steps=0, random_state=seed).fit_estimate(x, y)
                warned = any(issubclass(w.category, fmmi.UnderfitWarning) for w in caught)
                records.write(
                    {
                        "suite": suite,
                        "task_id": task_id,
                        "n": args.n,
                        "seed": seed,
                        "true_mi": task.mutual_information,
                        "estimate": result.value,
                        "underfit_warning": warned,
                        "warnings": list(result.warnings),
                        "seconds": time.perf_counter() - start,
                    }
                )
                flag = "UNDERFIT" if warned else ""
                print(f"{task_id}: {result.value:.3f} (true {task.mutual_information:.3f}) {flag}", flush=True)


if __name__ == "__main__":
    main()
