"""Classical MI estimators for comparison: KSG (k nearest neighbours) and the Gaussian plug-in (CCA).

Both follow the `FMMI` contract (``fit_estimate(x, y) -> MIResult``, nats)
but have nothing to train.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from scipy.spatial import cKDTree
from scipy.special import digamma

from .._checks import check_pair, location_scale, make_generator
from ..distributions.gaussian import gaussian_mi
from ..integrate import mean_and_stderr
from ..result import MIResult
from .params import Params

__all__ = ["KSG", "GaussianMI"]


def _standardized(a: np.ndarray) -> np.ndarray:
    mean, scale = location_scale(a)
    return (a - mean) / scale


class KSG(Params):
    """Kraskov–Stögbauer–Grassberger estimator (their algorithm 1), in nats.

    ``I = ψ(k) + ψ(n) - mean(ψ(n_x + 1) + ψ(n_y + 1))``: for each point, ``ε``
    is the distance to its k-th neighbour in the joint space, where the
    distance between two pairs is the larger of their X distance and their Y
    distance; ``n_x`` and ``n_y`` count the other points strictly within ``ε``
    in X and in Y. Columns are standardised first.

    ``metric`` is the distance within X and within Y:

    * ``"euclidean"`` (default): as in the BMI benchmark's KSG
      (``bmi.estimators.KSGEnsembleFirstEstimator``), whose published
      results we compare against. The k-th joint neighbour is found by a
      chunked exact search, O(n²) time, over blocks of at most
      ``chunk_size`` rows and 2²² distances (never an n × n matrix); the
      counts use k-d trees.
    * ``"chebyshev"``: the max-norm over all coordinates (Kraskov et al.'s
      and scikit-learn's choice); k-d trees throughout, O(n log n).

    The two coincide when X and Y are one-dimensional (the k-d trees are then
    used for both). Unlike BMI's, the
    estimate is not clipped at zero.

    The reported ``stderr`` is the standard deviation of the per-point terms
    over sqrt(n) (``interval_kind="per_point"``): a rough guide only, since
    the terms are not independent and the estimator's bias is not in it.

    Args:
        k: Neighbours (5 is the usual choice).
        metric: ``"euclidean"`` or ``"chebyshev"``, see above.
        chunk_size: Rows per block of the exact search (``"euclidean"``).
    """

    method = "KSG"

    def __init__(self, *, k: int = 5, metric: str = "euclidean", chunk_size: int = 256):
        self.k = k
        self.metric = metric
        self.chunk_size = chunk_size

    def fit_estimate(self, x: Any, y: Any) -> MIResult:
        start = time.perf_counter()
        x, y = check_pair(x, y)
        n = x.shape[0]
        if not isinstance(self.k, (int, np.integer)) or not 1 <= self.k < n:
            raise ValueError(f"k must be an integer between 1 and n - 1 = {n - 1}, got {self.k!r}")
        if self.metric not in ("euclidean", "chebyshev"):
            raise ValueError(f"metric must be 'euclidean' or 'chebyshev', got {self.metric!r}")
        if not isinstance(self.chunk_size, (int, np.integer)) or self.chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {self.chunk_size!r}")
        x, y = _standardized(x), _standardized(y)
        # With one column each, the two metrics are the same: use the k-d trees.
        if self.metric == "chebyshev" or x.shape[1] == y.shape[1] == 1:
            p = np.inf
            joint = np.hstack([x, y])
            distances, _ = cKDTree(joint).query(joint, k=self.k + 1, p=p)
            epsilon = distances[:, self.k]
        else:
            p = 2
            epsilon = _kth_joint_distance(x, y, self.k, self.chunk_size)
        # Strictly inside the k-th neighbour's distance; the point itself is excluded.
        radius = np.nextafter(epsilon, 0)
        n_x = cKDTree(x).query_ball_point(x, r=radius, p=p, return_length=True) - 1
        n_y = cKDTree(y).query_ball_point(y, r=radius, p=p, return_length=True) - 1
        terms = digamma(self.k) + digamma(n) - digamma(n_x + 1) - digamma(n_y + 1)
        value, stderr = mean_and_stderr(terms)
        return MIResult.from_mean(
            value,
            stderr,
            n_train=0,
            n_eval=n,
            n_mc=n,
            interval_kind="per_point",
            method=self.method,
            seconds=time.perf_counter() - start,
            options={"k": self.k, "metric": self.metric},
        )


def _kth_joint_distance(x: np.ndarray, y: np.ndarray, k: int, chunk_size: int) -> np.ndarray:
    """For each row, the distance to its k-th neighbour (itself excluded) under max(|Δx|₂, |Δy|₂).

    Blocks of ``chunk_size`` rows against all rows; the neighbours are ranked
    with matrix-product distances, and the k-th one's distance is then
    recomputed exactly, so that it agrees with the k-d tree counts to the bit.
    """
    n = x.shape[0]
    # At most 2**22 distances (32 MiB in float64) per block matrix, whatever n.
    chunk_size = max(1, min(chunk_size, 2**22 // n))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    epsilon = np.empty(n)
    for begin in range(0, n, chunk_size):
        rows = slice(begin, min(begin + chunk_size, n))
        joint = torch.maximum(torch.cdist(xt[rows], xt), torch.cdist(yt[rows], yt))
        # The point itself is its own nearest neighbour; make sure it ranks first.
        joint[torch.arange(joint.shape[0]), torch.arange(rows.start, rows.stop)] = -1.0
        kth = torch.kthvalue(joint, k + 1, dim=1).indices.numpy()
        epsilon[rows] = np.maximum(np.linalg.norm(x[rows] - x[kth], axis=1), np.linalg.norm(y[rows] - y[kth], axis=1))
    return epsilon


class GaussianMI(Params):
    """Gaussian plug-in (canonical correlation) estimate ``½ log(det Σxx det Σyy / det Σ)``, in nats.

    Exact for Gaussian data; for other data it measures only the linear
    dependence. The interval is a percentile bootstrap over rows
    (``n_bootstrap`` resamples).
    """

    method = "CCA"

    def __init__(self, *, n_bootstrap: int = 200, random_state: int | torch.Generator | None = None):
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit_estimate(self, x: Any, y: Any) -> MIResult:
        start = time.perf_counter()
        x, y = check_pair(x, y)
        n, dim_x = x.shape
        if n <= x.shape[1] + y.shape[1]:
            raise ValueError(f"need more rows than dimensions ({x.shape[1] + y.shape[1]}), got {n}")
        generator, seed = make_generator(self.random_state)
        joint = np.hstack([x, y])
        value = gaussian_mi(np.cov(joint, rowvar=False), dim_x)
        draws = np.array(
            [
                gaussian_mi(np.cov(joint[torch.randint(n, (n,), generator=generator).numpy()], rowvar=False), dim_x)
                for _ in range(self.n_bootstrap)
            ]
        )
        stderr = float(draws.std(ddof=1))
        low, high = np.quantile(draws, [0.025, 0.975])
        return MIResult(
            value=float(value),
            stderr=stderr,
            interval=(float(low), float(high)),
            n_train=0,
            n_eval=n,
            n_mc=self.n_bootstrap,
            interval_kind="bootstrap",
            method=self.method,
            seconds=time.perf_counter() - start,
            random_state=seed,
            options={"n_bootstrap": self.n_bootstrap},
        )
