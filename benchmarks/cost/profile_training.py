"""Where does one training's time go? cProfile of `fmmi.FMMI` (1,000 steps, no early stopping) on 10,000 rows.

Prints the total and the functions that took the most time of their own.
"""

from __future__ import annotations

import cProfile
import pstats
import time

import fmmi
from fmmi.benchmark import get_task


def main() -> None:
    task = get_task("spiral-normal_cdf-multinormal-sparse-3-3-2-2.0")
    x, y = task.sample(10000, seed=0)
    estimator = fmmi.FMMI(steps=1000, interval="monte_carlo", early_stopping=False, random_state=0)
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    estimator.fit_estimate(x, y)
    profile.disable()
    print(f"total {time.perf_counter() - start:.1f} s")
    pstats.Stats(profile).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
