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

__all__ = ["KSG", "GaussianMI"]


def _standardized(a: np.ndarray) -> np.ndarray:
    mean, scale = location_scale(a)
    return (a - mean) / scale


class KSG:
    """Kraskov–Stögbauer–Grassberger estimator (their algorithm 1), in nats.

    ``I = ψ(k) + ψ(n) - mean(ψ(n_x + 1) + ψ(n_y + 1))`` with max-norm
    neighbourhoods; columns are standardised first. Neighbour searches use
    scipy's k-d tree (no n × n matrix is ever formed).

    The reported ``stderr`` is the standard deviation of the per-point terms
    over sqrt(n) (``interval_kind="per_point"``): a rough guide only, since
    the terms are not independent and the estimator's bias is not in it.

    Args:
        k: Neighbours (5 is the usual choice).
    """

    method = "KSG"

    def __init__(self, *, k: int = 5):
        self.k = k

    def fit_estimate(self, x: Any, y: Any) -> MIResult:
        start = time.perf_counter()
        x, y = check_pair(x, y)
        n = x.shape[0]
        if not isinstance(self.k, (int, np.integer)) or not 1 <= self.k < n:
            raise ValueError(f"k must be an integer between 1 and n - 1 = {n - 1}, got {self.k!r}")
        x, y = _standardized(x), _standardized(y)
        joint = np.hstack([x, y])
        distances, _ = cKDTree(joint).query(joint, k=self.k + 1, p=np.inf)
        # Strictly inside the k-th neighbour's distance; the point itself is excluded.
        radius = np.nextafter(distances[:, self.k], 0)
        n_x = cKDTree(x).query_ball_point(x, r=radius, p=np.inf, return_length=True) - 1
        n_y = cKDTree(y).query_ball_point(y, r=radius, p=np.inf, return_length=True) - 1
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
            options={"k": self.k},
        )


class GaussianMI:
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
