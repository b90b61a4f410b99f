"""The base check: do the rows hold dependence that the Gaussian base does not carry?

Where early stopping leaves every net at its start, the estimate is the Gaussian base's alone: the MI of
a Gaussian with the rows' covariance, in the flow's coordinates (rank-Gaussianised and standardised).
That is the MI of the data's Gaussian copula, blind to any dependence that no Gaussian copula carries
(a correlation whose sign or size changes from one cluster to another, a shared scale, a ring), and the
held-out loss cannot say so: the nets did not learn that dependence, so they do not fit the rows better
than the base. This check asks the rows directly.

If X and Y had a Gaussian copula, the residual of Y after its linear regression on X would be
independent of X. The check tests that independence beyond the linear part on the held-out rows, with
both sides whitened, by two statistics of how the coordinates and their products of two on one side
co-vary with those on the other: the Hilbert–Schmidt independence criterion with the kernel
``(1 + a·b / d)²`` on each side, less the coordinates' own cross-covariance term (which the regression
sets to zero on these rows), which sums every such co-variation and sees dependence spread over many
of them; and, where each side has at most about a quarter as many products as there are rows, their
largest canonical correlation, which sees dependence confined to a few directions. Their null
distributions come from the same re-pairings of the residuals with X (up to `PERMUTATIONS`), and the
test's p-value is the smaller of their two times two (Bonferroni). When it is below `BEYOND_BASE_P`
the dependence is there and no net learned it: the estimate may be far off, by an amount the check
cannot measure. Most often it is too low (with X and Y each jointly Gaussian, the Gaussian of the
same covariance has the least MI, so the base is then a lower bound), but where X or Y is not jointly
Gaussian in the flow's coordinates (well-separated clusters in many dimensions) the base can also
read far too high. So the interval is widened to hold every MI from 0 up (`unbounded`) and an
`fmmi.UnderfitWarning` says why.

What it sees and what it cannot (``benchmarks/base_check``): dependence in second moments, such as a
shared scale (Student-t) or a correlation whose sign is set by a hidden label (the sign mixtures, up to
50 × 50), and, up to about 30 columns a side on 2,000 rows, structure in a few directions (a ring);
not structure confined to a few directions of more dimensions, where its share of the kernel
statistic drowns in the many products.
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
PERMUTATIONS = 400


def _whitened(rows: np.ndarray) -> np.ndarray:
    """``rows`` centred and turned to identity covariance (directions of no variance dropped)."""
    rows = rows - rows.mean(axis=0)
    values, vectors = np.linalg.eigh(rows.T @ rows / rows.shape[0])
    keep = values > 1e-10 * max(float(values.max()), 1e-300)
    return rows @ (vectors[:, keep] / np.sqrt(values[keep]))


def _centred(gram: np.ndarray) -> np.ndarray:
    return gram - gram.mean(axis=0) - gram.mean(axis=1)[:, None] + gram.mean()


def _products(rows: np.ndarray) -> np.ndarray:
    """The coordinates of ``rows`` and their products of two (each pair once, squares included)."""
    i, j = np.triu_indices(rows.shape[1])
    return np.hstack([rows, rows[:, i] * rows[:, j]])


def _kernel_statistic(u: np.ndarray, w: np.ndarray):
    """The kernel statistic of ``u`` against ``w`` re-paired by an order of the rows."""
    k = _centred((1 + u @ u.T / u.shape[1]) ** 2)
    gram = _centred((1 + w @ w.T / w.shape[1]) ** 2)
    u, w = u - u.mean(axis=0), w - w.mean(axis=0)
    linear = 4 / (u.shape[1] * w.shape[1])  # the coordinates' cross-covariance term, zero on the rows as paired
    return lambda order: float(np.sum(k * gram[np.ix_(order, order)]) - linear * np.sum((u.T @ w[order]) ** 2))


def _canonical_statistic(u: np.ndarray, w: np.ndarray):
    """The largest canonical correlation between the coordinates and products of ``u`` and those of ``w``
    re-paired by an order of the rows."""
    f, g = _whitened(_products(u)), _whitened(_products(w))
    return lambda order: float(np.linalg.svd(f.T @ g[order], compute_uv=False)[0]) / f.shape[0]


def beyond_base(
    x: np.ndarray, y: np.ndarray, seed: int = 0, permutations: int = PERMUTATIONS, level: float = BEYOND_BASE_P
) -> float:
    """The permutation p-value of the test that the residual of ``y`` (n, dim_y) after its linear regression on
    ``x`` (n, dim_x) is independent of ``x`` beyond the linear part (see the module's description).

    Each statistic's p-value counts the re-pairings (up to ``permutations``) at least as large as the rows as
    paired, and the test's is the smallest times the number of statistics (Bonferroni). The re-pairings stop
    as soon as that can no longer fall below ``level``, so a value below ``level`` is the full test's and one
    above it may come from fewer re-pairings (most of all where there is nothing to find: a few seconds less).
    """
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
    statistics = [_kernel_statistic(u, w)]
    if max(u.shape[1], w.shape[1]) ** 2 <= n / 2:  # about n / 4 products a side at most
        statistics.append(_canonical_statistic(u, w))
    observed = np.array([statistic(np.arange(n)) for statistic in statistics])
    # A statistic can bring the test below ``level`` only while its count of larger re-pairings is below this.
    most = level * (1 + permutations) / len(statistics) - 1
    rng = np.random.default_rng(seed)
    exceed, drawn = np.zeros(len(statistics)), 0
    while drawn < permutations and np.any(exceed < most):
        order = rng.permutation(n)
        exceed += [statistic(order) >= value for statistic, value in zip(statistics, observed)]
        drawn += 1
    return min(1.0, len(statistics) * float((1 + exceed.min()) / (1 + drawn)))


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
