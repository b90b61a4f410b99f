"""The ``mixtures`` suite: Gaussian mixtures whose dependence lives in the mixture structure.

Every task is a `fmmi.distributions.GaussianMixture`, its true MI a Monte-Carlo mean of the pointwise
MI with its standard error. Five kinds, each at d = 1, 5, 25 and 50 coordinates per variable; above
one coordinate the structure is spread over all of them by a fixed random rotation of X and another of
Y (each invertible, so the MI is unchanged), so that no single coordinate holds it:

* ``sign``: two equally likely components with the same paired correlation but opposite signs. Both
  marginals are standard normal and the overall correlation is zero: the whole dependence is in
  which component a point came from, and a Gaussian fit sees none of it.
* ``ring``: 32 small components around a circle in the plane of (x_1, y_1); X and Y are uncorrelated,
  and knowing x pins y to one of two arcs.
* ``clusters``: K well-separated components at random points of the joint space; I(X;Y) approaches
  log K, the information in the cluster label.
* ``permuted``: X and Y have the very same marginal, a mixture of 8 clusters, and the joint pairs the
  cluster of X with a permuted cluster of Y: the components share marginals but not joints.
* ``correlated-clusters``: 16 clusters each with its own paired correlation of alternating sign, up
  to about 8 nats: cluster identity and within-cluster dependence together.
"""

from __future__ import annotations

import math

import numpy as np

from ..distributions import GaussianMixture
from .task import Task

__all__ = ["DIMS", "mixture_tasks"]

DIMS = (1, 5, 25, 50)
SUITE = "mixtures"


def _rotation(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal matrix (identity in one dimension)."""
    if dim == 1:
        return np.eye(1)
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


def _rotated(weights, means, covariances, dim: int, seed: int) -> GaussianMixture:
    """The mixture with X and Y each turned by its own fixed random rotation."""
    rng = np.random.default_rng(seed)
    turn = np.zeros((2 * dim, 2 * dim))
    turn[:dim, :dim] = _rotation(dim, rng)
    turn[dim:, dim:] = _rotation(dim, rng)
    means = np.asarray(means) @ turn.T
    covariances = turn @ np.asarray(covariances) @ turn.T
    return GaussianMixture(weights, means, (covariances + np.swapaxes(covariances, -1, -2)) / 2, dim_x=dim)


def _paired(dim: int, rho) -> np.ndarray:
    """Covariance of (X, Y) with unit variances and the i-th coordinates of X and Y correlated by ``rho[i]``."""
    cov = np.eye(2 * dim)
    index = np.arange(dim)
    cov[index, dim + index] = cov[dim + index, index] = rho
    return cov


def _rho(nats: float, pairs: int) -> float:
    """The correlation of one Gaussian pair that carries ``nats / pairs``."""
    return math.sqrt(-math.expm1(-2 * nats / pairs))


def _sign(dim: int) -> GaussianMixture:
    rho = _rho(min(1.0 + dim / 10, 4.0), dim)  # the components' own MI: 1.1 to 4 nats
    covariances = np.stack([_paired(dim, rho), _paired(dim, -rho)])
    return _rotated([0.5, 0.5], np.zeros((2, 2 * dim)), covariances, dim, seed=dim)


def _ring(dim: int, components: int = 32, width: float = 0.08) -> GaussianMixture:
    angles = 2 * math.pi * np.arange(components) / components
    means = np.zeros((components, 2 * dim))
    means[:, 0], means[:, dim] = np.cos(angles), np.sin(angles)
    cov = np.eye(2 * dim)
    cov[0, 0] = cov[dim, dim] = width**2
    return _rotated(np.ones(components), means, cov, dim, seed=100 + dim)


def _clusters(dim: int, count: int, spread: float = 4.0) -> GaussianMixture:
    rng = np.random.default_rng(200 + 7 * count + dim)
    means = spread * rng.standard_normal((count, 2 * dim)) / math.sqrt(min(dim, 2))
    return GaussianMixture(np.ones(count), means, np.eye(2 * dim), dim_x=dim)


def _permuted(dim: int, count: int = 8, spread: float = 4.0) -> GaussianMixture:
    rng = np.random.default_rng(300 + dim)
    centres = spread * rng.standard_normal((count, dim)) / math.sqrt(min(dim, 2))
    means = np.hstack([centres, centres[rng.permutation(count)]])
    return _rotated(np.ones(count), means, np.eye(2 * dim), dim, seed=400 + dim)


def _correlated_clusters(dim: int, count: int = 16, spread: float = 4.0) -> GaussianMixture:
    rng = np.random.default_rng(500 + dim)
    means = spread * rng.standard_normal((count, 2 * dim)) / math.sqrt(min(dim, 2))
    rho = _rho(min(1.0 + dim / 5, 5.5), dim)  # within a cluster: 1.2 to 5.5 nats
    covariances = np.stack([_paired(dim, rho * (-1) ** k) for k in range(count)])
    return _rotated(np.ones(count), means, covariances, dim, seed=600 + dim)


def mixture_tasks() -> list[Task]:
    """The tasks of the ``mixtures`` suite, ids ``mixtures-KIND-DvD``."""
    kinds = {
        "sign": _sign,
        "ring": _ring,
        "clusters4": lambda d: _clusters(d, 4),
        "clusters16": lambda d: _clusters(d, 16),
        "permuted": _permuted,
        "correlated-clusters": _correlated_clusters,
    }
    return [
        Task(f"{SUITE}-{kind}-{d}v{d}", SUITE, make(d), {"kind": kind, "dim": d})
        for kind, make in kinds.items()
        for d in DIMS
    ]
