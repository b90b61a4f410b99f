"""Entropy of a correlated 5-D Gaussian from 10,000 samples with the default settings.

python benchmarks/archive/entropy_5d.py
"""

from __future__ import annotations

import math
import time

import numpy as np

import fmmi
from fmmi.distributions import CorrelatedGaussian


def main() -> None:
    cov = 0.5 * np.eye(5) + 0.5 * np.ones((5, 5))
    cov[0] *= 2
    cov[:, 0] *= 2
    truth = 0.5 * np.linalg.slogdet(2 * math.pi * math.e * cov)[1]
    x, y = CorrelatedGaussian(cov, 2).sample(10_000, random_state=0)
    start = time.perf_counter()
    result = fmmi.entropy(np.hstack([x, y]), random_state=0, device="cpu")
    print(f"true h = {truth:.4f} nats")
    print(result)
    print(f"error {result.value - truth:+.4f} nats, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
