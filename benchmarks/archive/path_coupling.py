"""Which interpolation path and coupling are more accurate? One seed per cell, default net.

Correlated Gaussians with coordinate pairs correlated (known MI), every
combination of path ("linear", "trigonometric") and coupling ("independent",
"shared_x"), one 50/50 split each. Prints one line per run:
case, path, coupling, true MI, estimate, Monte-Carlo s.e., seconds.

    python benchmarks/archive/path_coupling.py > benchmarks/archive/results/path_coupling_2026-11-29.txt
"""

from __future__ import annotations

import time

import numpy as np
import torch

import fmmi
from fmmi.benchmark.tasks import paired_gaussian as pairs
from fmmi.distributions import CorrelatedGaussian

CASES = [
    ("1d", CorrelatedGaussian.from_mi(0.8304), 30_000),
    ("5+5", pairs(5, 1.0), 20_000),
    ("10+10", pairs(10, 5.0), 20_000),
    ("indep2+1", CorrelatedGaussian(np.eye(3), 2), 10_000),
]


def main() -> None:
    torch.set_num_threads(2)
    for name, dist, n in CASES:
        x, y = dist.sample(n, random_state=100)
        for path in ("linear", "trigonometric"):
            for coupling in ("independent", "shared_x"):
                start = time.perf_counter()
                result = fmmi.FMMI(coupling=coupling, path=path, interval="monte_carlo", random_state=0).fit_estimate(
                    x, y
                )
                seconds = time.perf_counter() - start
                print(
                    name,
                    path,
                    coupling,
                    round(dist.mutual_information, 4),
                    round(result.value, 4),
                    round(result.stderr, 4),
                    round(seconds, 1),
                    flush=True,
                )


if __name__ == "__main__":
    main()
