"""Does rank Gaussianisation of the margins (``gaussianize``) help? Four repetitions per distribution.

The coverage benchmark's three distributions, the "small" preset, one 50/50
split per estimate, with and without ``gaussianize``. Prints: distribution,
gaussianize, true MI, the four estimates, the mean error, seconds per estimate.

    python benchmarks/archive/gaussianize.py > benchmarks/archive/results/gaussianize_2026-11-29.txt
"""

from __future__ import annotations

import time

import numpy as np
from coverage import PRESETS, distributions

import fmmi


def main() -> None:
    for name, dist in distributions().items():
        for gaussianize in (False, True):
            values = []
            start = time.perf_counter()
            for rep in range(4):
                x, y = dist.sample(5000, random_state=10_000 + rep)
                result = fmmi.estimate_mi(
                    x,
                    y,
                    random_state=rep,
                    interval="monte_carlo",
                    gaussianize=gaussianize,
                    device="cpu",
                    **PRESETS["small"],
                )
                values.append(result.value)
            print(
                name,
                gaussianize,
                round(dist.mutual_information, 4),
                np.round(values, 4),
                round(np.mean(values) - dist.mutual_information, 4),
                round((time.perf_counter() - start) / 4, 1),
                flush=True,
            )


if __name__ == "__main__":
    main()
