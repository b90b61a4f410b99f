"""Gaussian mixtures over (X, Y): the density in closed form, the MI by Monte Carlo of the pointwise MI.

A mixture's marginals are mixtures of the components' marginals, so the pointwise MI
``log p(x, y) - log p(x) - log p(y)`` has a closed form at every point, and
``I(X;Y) = E[log p(X, Y) - log p(X) - log p(Y)]`` is its mean under the joint. No closed form
exists for that mean; it is estimated from a fixed number of the mixture's own samples drawn with
a fixed seed, and its standard error is kept beside it (``mutual_information_stderr``).
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.special import logsumexp

from .._checks import make_generator

__all__ = ["GaussianMixture"]

# Samples and seed of the Monte-Carlo estimate of the true MI (its standard error is reported with it).
MI_SAMPLES = 200_000
MI_SEED = 20261203
# Rows per block when densities are evaluated (bounds memory for many components in many dimensions).
BLOCK = 20_000


class _Gaussians:
    """Log densities of K Gaussians (means (K, d), covariances (K, d, d)) at many points."""

    def __init__(self, means: np.ndarray, covariances: np.ndarray):
        self.means = means
        self.cholesky = np.linalg.cholesky(covariances)
        diagonal = np.diagonal(self.cholesky, axis1=1, axis2=2)
        self.log_norm = -np.log(diagonal).sum(axis=1) - 0.5 * means.shape[1] * math.log(2 * math.pi)
        # One covariance for all: whiten the points once, and the means once.
        self.shared = bool(np.all(covariances == covariances[:1]))
        if self.shared:
            self.whitened_means = np.linalg.solve(self.cholesky[0], means.T).T

    def log_pdf(self, points: np.ndarray) -> np.ndarray:
        """Shape (n, K): the log density of each component at each point."""
        if self.shared:
            whitened = np.linalg.solve(self.cholesky[0], points.T).T
            squared = (
                np.einsum("ij,ij->i", whitened, whitened)[:, None]
                - 2 * whitened @ self.whitened_means.T
                + np.einsum("ij,ij->i", self.whitened_means, self.whitened_means)[None, :]
            )
            return self.log_norm[None, :] - 0.5 * np.maximum(squared, 0.0)
        out = np.empty((points.shape[0], self.means.shape[0]))
        for k, (mean, factor) in enumerate(zip(self.means, self.cholesky)):
            whitened = np.linalg.solve(factor, (points - mean).T)
            out[:, k] = self.log_norm[k] - 0.5 * np.einsum("ij,ij->j", whitened, whitened)
        return out


class GaussianMixture:
    """``(X, Y) ~ Σ_k w_k N(μ_k, Σ_k)`` with X the first ``dim_x`` coordinates; MI in nats by Monte Carlo.

    Args:
        weights: Component weights, shape (K,), positive (normalised here).
        means: Component means of the joint vector, shape (K, dim_x + dim_y).
        covariances: Component covariances, shape (K, d, d), or (d, d) shared by every component.
        dim_x: Number of coordinates of X.

    Example:
        >>> mixture = GaussianMixture([0.5, 0.5], [[-2.0, -2.0], [2.0, 2.0]], np.eye(2) * 0.25, dim_x=1)
        >>> round(mixture.mutual_information, 2)  # which component a point came from: log 2
        0.69
    """

    def __init__(self, weights: ArrayLike, means: ArrayLike, covariances: ArrayLike, dim_x: int):
        weights = np.asarray(weights, dtype=np.float64)
        means = np.atleast_2d(np.asarray(means, dtype=np.float64))
        covariances = np.asarray(covariances, dtype=np.float64)
        if weights.ndim != 1 or weights.size != means.shape[0] or not np.all(weights > 0):
            raise ValueError(f"weights must be {means.shape[0]} positive numbers, one per mean, got {weights}")
        d = means.shape[1]
        if covariances.ndim == 2 and covariances.shape == (d, d):
            covariances = np.broadcast_to(covariances, (weights.size, d, d))
        if covariances.shape != (weights.size, d, d):
            raise ValueError(f"covariances must have shape ({weights.size}, {d}, {d}), got {covariances.shape}")
        if not 0 < dim_x < d:
            raise ValueError(f"dim_x must be between 1 and {d - 1}, got {dim_x}")
        if not np.allclose(covariances, np.swapaxes(covariances, 1, 2)):
            raise ValueError("covariances must be symmetric")
        try:
            self._joint = _Gaussians(means, covariances)
            self._x = _Gaussians(means[:, :dim_x], covariances[:, :dim_x, :dim_x])
            self._y = _Gaussians(means[:, dim_x:], covariances[:, dim_x:, dim_x:])
        except np.linalg.LinAlgError:
            raise ValueError("every covariance must be positive definite") from None
        self.weights = weights / weights.sum()
        self.means = means
        self.covariances = covariances
        self.dim_x = int(dim_x)
        self.dim_y = d - self.dim_x

    def sample(self, n: int, random_state: int | torch.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` joint samples: ``x`` of shape (n, dim_x) and ``y`` of shape (n, dim_y)."""
        points = self._sample(n, random_state)
        return points[:, : self.dim_x], points[:, self.dim_x :]

    def _sample(self, n: int, random_state) -> np.ndarray:
        generator, _ = make_generator(random_state)
        labels = torch.multinomial(torch.as_tensor(self.weights), n, replacement=True, generator=generator).numpy()
        noise = torch.randn(n, self.means.shape[1], generator=generator, dtype=torch.float64).numpy()
        points = np.empty_like(noise)
        for k in range(self.weights.size):
            rows = labels == k
            points[rows] = self.means[k] + noise[rows] @ self._joint.cholesky[k].T
        return points

    def _log_mixture(self, gaussians: _Gaussians, points: np.ndarray) -> np.ndarray:
        return logsumexp(gaussians.log_pdf(points) + np.log(self.weights), axis=1)

    def pointwise_mi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``log p(x, y) - log p(x) - log p(y)`` at each row, shape (n,), nats."""
        x, y = np.atleast_2d(x), np.atleast_2d(y)
        out = np.empty(x.shape[0])
        for start in range(0, x.shape[0], BLOCK):
            xs, ys = x[start : start + BLOCK], y[start : start + BLOCK]
            joint = self._log_mixture(self._joint, np.hstack([xs, ys]))
            out[start : start + BLOCK] = joint - self._log_mixture(self._x, xs) - self._log_mixture(self._y, ys)
        return out

    @cached_property
    def _mi_estimate(self) -> tuple[float, float]:
        x, y = self.sample(MI_SAMPLES, random_state=MI_SEED)
        values = self.pointwise_mi(x, y)
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))

    @property
    def mutual_information(self) -> float:
        """``I(X;Y)`` in nats: the mean pointwise MI over `MI_SAMPLES` samples drawn with a fixed seed."""
        return self._mi_estimate[0]

    @property
    def mutual_information_stderr(self) -> float:
        """The Monte-Carlo standard error of `mutual_information`, nats."""
        return self._mi_estimate[1]
