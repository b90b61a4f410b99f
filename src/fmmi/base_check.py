"""The base check: do the rows hold dependence that the Gaussian base does not carry?

Where early stopping leaves every net at its start, the estimate is the Gaussian base's alone: the MI of
a Gaussian with the rows' covariance, in the flow's coordinates (rank-Gaussianised and standardised).
That is the MI of the data's Gaussian copula, blind to any dependence that no Gaussian copula carries
(a correlation whose sign or size changes from one cluster to another, a shared scale, a ring), and the
held-out loss cannot say so: the nets did not learn that dependence, so they do not fit the rows better
than the base. This check asks the rows directly.

If X and Y had a Gaussian copula, the residual of Y after its linear regression on X would be
independent of X. The check tests that independence beyond the linear part on the held-out rows:
both sides are whitened, and the statistic is the Hilbert–Schmidt independence criterion with the
kernel ``(1 + a·b / d)²`` on each side, the features 1, the coordinates and their products, less the
coordinates' cross-covariance term, which the regression sets to zero on these rows. So it reads how
the products of X's coordinates co-vary with the residual's coordinates and their products. Its null
distribution comes from `PERMUTATIONS` re-pairings of the residuals with X. When ``p < BEYOND_BASE_P``
the dependence is there and no net learned it: the estimate may be far off, by an amount the check
cannot measure. Most often it is too low (with X and Y each jointly Gaussian, the Gaussian of the same
covariance has the least MI, so the base is then a lower bound), but where X or Y is not jointly
Gaussian in the flow's coordinates (well-separated clusters in many dimensions) the base can also read
far too high. So the interval is widened to hold every MI from 0 up (`unbounded`) and an
`fmmi.UnderfitWarning` says why.

What it sees and what it cannot (``benchmarks/base_check``): dependence in second moments, such as a
shared scale (Student-t) or a correlation whose sign is set by a hidden label (the sign mixtures, up to
50 × 50); not structure confined to a few directions of many dimensions, where its share of the
statistic drowns in the many products (the rings from 5 × 5 on, the spirals in 25 × 25).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from .result import MIResult

__all__ = ["BASE_CHECK_ROWS", "BEYOND_BASE_P", "PERMUTATIONS", "base_note", "beyond_base", "unbounded"]

BASE_CHECK_ROWS = 2000  # held-out rows read, all splits together
BEYOND_BASE_P = 0.01
PERMUTATIONS = 200


def _whitened(rows: np.ndarray) -> np.ndarray:
    """``rows`` centred and turned to identity covariance (directions of no variance dropped)."""
    rows = rows - rows.mean(axis=0)
    values, vectors = np.linalg.eigh(rows.T @ rows / rows.shape[0])
    keep = values > 1e-10 * max(float(values.max()), 1e-300)
    return rows @ (vectors[:, keep] / np.sqrt(values[keep]))


def _centred(gram: np.ndarray) -> np.ndarray:
    return gram - gram.mean(axis=0) - gram.mean(axis=1)[:, None] + gram.mean()


def beyond_base(x: np.ndarray, y: np.ndarray, seed: int = 0, permutations: int = PERMUTATIONS) -> float:
    """The permutation p-value of the test that the residual of ``y`` (n, dim_y) after its linear regression on
    ``x`` (n, dim_x) is independent of ``x`` beyond the linear part (see the module's description)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    if n < 10:
        raise ValueError(f"the base check needs at least 10 rows, got {n}")
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    residual = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    u, w = _whitened(x), _whitened(residual)
    if u.shape[1] == 0 or w.shape[1] == 0:
        return 1.0
    k = _centred((1 + u @ u.T / u.shape[1]) ** 2)
    gram = _centred((1 + w @ w.T / w.shape[1]) ** 2)
    u, w = u - u.mean(axis=0), w - w.mean(axis=0)
    linear = 4 / (u.shape[1] * w.shape[1])

    def statistic(order: np.ndarray) -> float:
        return float(np.sum(k * gram[np.ix_(order, order)]) - linear * np.sum((u.T @ w[order]) ** 2))

    observed = statistic(np.arange(n))
    rng = np.random.default_rng(seed)
    exceed = sum(statistic(rng.permutation(n)) >= observed for _ in range(permutations))
    return (1 + exceed) / (1 + permutations)


def base_note(method: str, parts: Sequence[tuple[np.ndarray, np.ndarray]], seed: int = 0) -> tuple[str, ...]:
    """The words of an `fmmi.UnderfitWarning` if the pooled held-out rows ``(x, y)`` of the splits, each in its
    split's flow coordinates, hold dependence that the Gaussian base does not carry; () otherwise."""
    if not parts:
        return ()
    x, y = (np.concatenate(p) for p in zip(*parts))
    if x.shape[0] < 10:
        return ()
    p_value = beyond_base(x, y, seed=seed)
    if p_value >= BEYOND_BASE_P:
        return ()
    return (
        f"{method}: every net stayed at its Gaussian base, yet {x.shape[0]} held-out rows hold dependence "
        f"between X and Y that the base does not carry (p = {p_value:.3f}, the base check): the estimate "
        "reads the Gaussian copula alone and may be far off, most often low, by an amount this fit cannot "
        "measure: the interval is widened to hold every MI from 0 up. See 'When to distrust an estimate' in the "
        "documentation",
    )


def unbounded(result: MIResult) -> MIResult:
    """``result`` with its interval widened to ``(min(low, 0), inf)``: every MI from 0 up (value and stderr
    unchanged; the lower end stays below a negative estimate)."""
    return dataclasses.replace(result, interval=(min(result.interval[0], 0.0), math.inf))
