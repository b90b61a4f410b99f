"""How the estimate and its interval behave as the rows grow from 500 to 50,000.

Two 2-dimensional Gaussian variables with 1 nat of MI shared by two coordinate pairs, sampled at
each size. Each estimate is the tanh net cross-fitted on five folds (``select=False``) with 2,000
training steps instead of the default's 10,000, to keep the figure's cost to minutes; the interval
is the cross-fitted one. With few rows the interval widens, and a net can learn its training rows:
the fit check then says so (`fmmi.OverfitWarning`; its count is in the title).

    python examples/rows.py --out docs/gallery
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _gallery import command_line, save

import fmmi

SIZES = (500, 1000, 2000, 5000, 10_000, 50_000)


def main(out: Path, quick: bool = False) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    dist = fmmi.distributions.CorrelatedGaussian.paired(2, 1.0)
    sizes = (200, 400) if quick else SIZES
    options = dict(steps=30, hidden=16, n_folds=3) if quick else dict(steps=2000)
    values, intervals, warned = [], [], 0
    for n in sizes:
        x, y = dist.sample(n, random_state=n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fmmi.OverfitWarning)
            result = fmmi.estimate_mi(x, y, random_state=0, select=False, **options)
        values.append(result.value)
        intervals.append(result.interval)
        warned += bool(result.warnings)
    values, intervals = np.array(values), np.array(intervals)
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.fill_between(sizes, intervals[:, 0], intervals[:, 1], alpha=0.3, label="95% cross-fitted interval")
    ax.plot(sizes, values, "o-", label="estimate")
    ax.axhline(dist.mutual_information, color="k", linestyle="--", label="true MI")
    ax.set_xscale("log")
    ax.set_xlabel("rows")
    ax.set_ylabel("I(X;Y), nats")
    ax.set_title(f"2 + 2 Gaussian, 1 nat; fit check warned on {warned} of {len(sizes)}", fontsize=10)
    ax.legend()
    return save(fig, out, "rows")


if __name__ == "__main__":
    command_line(main, __doc__)
