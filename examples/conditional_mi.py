"""Conditional MI: is the dependence between X and Y explained by Z?

Two Gaussian chains with Z in the middle. In the first, X and Y each depend on Z only, so they are
dependent (I(X;Y) > 0) but independent given Z: I(X;Y|Z) = 0. In the second, Y also depends on X
directly, and I(X;Y|Z) > 0. Both truths are in closed form. `fmmi.conditional_mi` estimates
I(X;(Y,Z)) - I(X;Z) with both terms on the same splits; one training per term here
(``interval="monte_carlo"``).

    python examples/conditional_mi.py --out docs/gallery
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _gallery import command_line, save

import fmmi


def gaussian_cmi(cov: np.ndarray, x: list[int], y: list[int], z: list[int]) -> float:
    """I(X;Y|Z) of a Gaussian with covariance ``cov``, nats."""

    def logdet(idx):
        return np.linalg.slogdet(cov[np.ix_(idx, idx)])[1] if idx else 0.0

    return 0.5 * (logdet(x + z) + logdet(y + z) - logdet(z) - logdet(x + y + z))


def chain(rows: int, direct: float, seed: int):
    """Samples of (x, y, z) and the covariance: z -> x, z -> y, and x -> y with weight ``direct``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=rows)
    x = z + 0.6 * rng.normal(size=rows)
    y = z + direct * x + 0.6 * rng.normal(size=rows)
    # Exact covariance of (x, y, z).
    a = np.array([[1.0, 0.6, 0.0, 0.0], [1.0 + direct, 0.6 * direct, 0.6, 0.0], [1.0, 0.0, 0.0, 0.0]])
    return x[:, None], y[:, None], z[:, None], a @ a.T


def main(out: Path, quick: bool = False) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rows = 600 if quick else 10_000
    options = dict(steps=30, hidden=16) if quick else {}
    labels, truths, estimates, errors = [], [], [], []
    for direct, label in ((0.0, "X ← Z → Y"), (0.8, "X ← Z → Y, X → Y")):
        x, y, z, cov = chain(rows, direct, seed=1)
        result = fmmi.conditional_mi(x, y, z, random_state=0, interval="monte_carlo", **options)
        labels.append(label)
        truths.append(gaussian_cmi(cov, [0], [1], [2]))
        estimates.append(result.value)
        errors.append([result.value - result.interval[0], result.interval[1] - result.value])
    fig, ax = plt.subplots(figsize=(5, 3))
    positions = np.arange(len(labels))
    ax.errorbar(estimates, positions, xerr=np.array(errors).T, fmt="o", capsize=4, label="fmmi, 95% interval")
    ax.scatter(truths, positions, marker="x", color="k", zorder=3, label="true I(X;Y|Z)")
    ax.set_yticks(positions, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlabel("I(X;Y|Z), nats")
    ax.legend(loc="lower right", fontsize=8)
    return save(fig, out, "conditional_mi")


if __name__ == "__main__":
    command_line(main, __doc__)
