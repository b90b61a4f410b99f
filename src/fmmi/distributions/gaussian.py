"""Jointly Gaussian (X, Y): closed-form MI and the exact flow-matching velocity."""

from __future__ import annotations

import math

import numpy as np
import torch

from .._checks import make_generator
from ..coupling import COUPLINGS
from ..paths import Path, get_path

__all__ = ["CorrelatedGaussian", "GaussianVelocity", "gaussian_mi"]


def gaussian_mi(cov: np.ndarray, dim_x: int) -> float:
    """``I(X;Y) = ½ log(det Σxx det Σyy / det Σ)`` in nats."""
    cov = np.asarray(cov, dtype=np.float64)
    _, logdet = np.linalg.slogdet(cov)
    _, logdet_x = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, logdet_y = np.linalg.slogdet(cov[dim_x:, dim_x:])
    return 0.5 * (logdet_x + logdet_y - logdet)


class CorrelatedGaussian:
    """Zero-mean Gaussian (X, Y) with covariance ``cov`` and X the first ``dim_x`` coordinates.

    Example:
        >>> dist = CorrelatedGaussian.from_correlation(0.5)
        >>> round(dist.mutual_information, 4)
        0.1438
    """

    def __init__(self, cov: np.ndarray, dim_x: int):
        cov = np.asarray(cov, dtype=np.float64)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
            raise ValueError(f"cov must be a square matrix, got shape {cov.shape}")
        if not 0 < dim_x < cov.shape[0]:
            raise ValueError(f"dim_x must be between 1 and {cov.shape[0] - 1}, got {dim_x}")
        if not np.allclose(cov, cov.T):
            raise ValueError("cov must be symmetric")
        try:
            self._cholesky = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError("cov must be positive definite") from None
        self.cov = cov
        self.dim_x = int(dim_x)
        self.dim_y = cov.shape[0] - self.dim_x

    @classmethod
    def from_correlation(cls, rho: float) -> CorrelatedGaussian:
        """Bivariate standard normal with correlation ``rho``; ``I = -½ log(1 - ρ²)``."""
        if not -1 < rho < 1:
            raise ValueError(f"rho must lie in (-1, 1), got {rho}")
        return cls(np.array([[1.0, rho], [rho, 1.0]]), dim_x=1)

    @classmethod
    def from_mi(cls, mi: float) -> CorrelatedGaussian:
        """Bivariate standard normal with mutual information ``mi`` nats."""
        if mi < 0:
            raise ValueError(f"mi must be non-negative, got {mi}")
        return cls.from_correlation(math.sqrt(-math.expm1(-2 * mi)))

    @classmethod
    def paired(cls, dim: int, mi: float) -> CorrelatedGaussian:
        """``dim × dim``: the i-th coordinates of X and Y correlated, the others independent, ``mi`` nats in all."""
        if dim < 1 or mi < 0:
            raise ValueError(f"need dim >= 1 and mi >= 0, got dim={dim}, mi={mi}")
        rho = math.sqrt(-math.expm1(-2 * mi / dim))
        cov = np.eye(2 * dim)
        cov[np.arange(dim), dim + np.arange(dim)] = rho
        cov[dim + np.arange(dim), np.arange(dim)] = rho
        return cls(cov, dim)

    @classmethod
    def dense(cls, dim_x: int, dim_y: int, correlation: float = 0.5) -> CorrelatedGaussian:
        """Every off-diagonal correlation (within X, within Y and across) equal to ``correlation`` (BMI's *dense*)."""
        cov = np.full((dim_x + dim_y, dim_x + dim_y), float(correlation))
        np.fill_diagonal(cov, 1.0)
        return cls(cov, dim_x)

    @classmethod
    def sparse(cls, dim_x: int, dim_y: int, n_interacting: int = 2, strength: float = 2.0) -> CorrelatedGaussian:
        """BMI's *sparse* latent model, scaled to unit variances as BMI samples it.

        ``X_i = s Z_i + E_i`` and ``Y_i = s Z_i + F_i`` for the first
        ``n_interacting`` coordinates; every other coordinate is its own noise
        plus ``s`` times its own latent. All latents and noises are iid
        N(0, 1), so each interacting pair has correlation ``s² / (1 + s²)``
        (0.8 for s = 2) and MI does not depend on the dimension. Every
        coordinate is then divided by its standard deviation ``sqrt(1 + s²)``
        (BMI's tasks use the model's correlation matrix as the covariance), so
        the covariance returned is that correlation matrix. MI is unchanged by
        the scaling, but the transformed tasks built on it (normal CDF, spiral)
        are not: the spiral's angle grows with the squared norm.
        """
        if not 0 < n_interacting <= min(dim_x, dim_y):
            raise ValueError(f"n_interacting must be between 1 and {min(dim_x, dim_y)}, got {n_interacting}")
        s2 = float(strength) ** 2
        cov = np.eye(dim_x + dim_y)
        pairs = np.arange(n_interacting)
        cov[pairs, dim_x + pairs] = s2 / (1.0 + s2)
        cov[dim_x + pairs, pairs] = s2 / (1.0 + s2)
        return cls(cov, dim_x)

    @property
    def mutual_information(self) -> float:
        """The true MI in nats."""
        return gaussian_mi(self.cov, self.dim_x)

    def sample(self, n: int, random_state: int | torch.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` joint draws as arrays of shape (n, dim_x) and (n, dim_y)."""
        generator, _ = make_generator(random_state)
        noise = torch.randn(n, self.cov.shape[0], generator=generator, dtype=torch.float64).numpy()
        z = noise @ self._cholesky.T
        return z[:, : self.dim_x], z[:, self.dim_x :]

    def correlation(self) -> np.ndarray:
        """The correlation matrix: the covariance after per-column standardisation."""
        scale = np.sqrt(np.diag(self.cov))
        return self.cov / np.outer(scale, scale)

    def velocity(
        self, path: str | Path = "linear", coupling: str = "independent", *, standardized: bool = False
    ) -> GaussianVelocity:
        """The exact marginal velocity of flow matching from ``P_X ⊗ P_Y`` to this joint."""
        cov = self.correlation() if standardized else self.cov
        return GaussianVelocity.for_mi(cov, self.dim_x, path=path, coupling=coupling)


class GaussianVelocity:
    """Exact flow-matching velocity between zero-mean Gaussian endpoints.

    For ``Z_t = α Z_0 + β Z_1`` with target ``D = α' Z_0 + β' Z_1``, the
    marginal velocity is linear: ``v_t(z) = A_t z`` with
    ``A_t = Cov(D, Z_t) Cov(Z_t)^{-1}``; its divergence is ``tr A_t``.

    Args:
        cov_0: Covariance of the source ``Z_0``, (d, d).
        cov_1: Covariance of the target ``Z_1``, (d, d).
        cross: ``E[Z_0 Z_1^T]`` under the coupling, (d, d).
        path: The interpolation path.

    Call it as ``velocity(z, t)`` with z of shape (n, d) and t of shape (n,);
    a ``context`` argument is accepted and ignored.
    """

    def __init__(self, cov_0: np.ndarray, cov_1: np.ndarray, cross: np.ndarray, path: str | Path = "linear"):
        self.cov_0 = torch.as_tensor(cov_0, dtype=torch.float64)
        self.cov_1 = torch.as_tensor(cov_1, dtype=torch.float64)
        self.cross = torch.as_tensor(cross, dtype=torch.float64)
        self.path = get_path(path)

    @classmethod
    def for_mi(cls, cov: np.ndarray, dim_x: int, *, path: str | Path = "linear", coupling: str = "independent"):
        """Velocity from the product of the marginals of ``N(0, cov)`` to the joint."""
        cov = np.asarray(cov, dtype=np.float64)
        cov_0 = cov.copy()
        cov_0[:dim_x, dim_x:] = 0
        cov_0[dim_x:, :dim_x] = 0
        cross = np.zeros_like(cov)
        if coupling == "shared_x":
            cross[:dim_x, :] = cov[:dim_x, :]
        elif coupling != "independent":
            raise ValueError(f"coupling must be one of {COUPLINGS}, got {coupling!r}")
        return cls(cov_0, cov, cross, path)

    def matrix(self, t: torch.Tensor) -> torch.Tensor:
        """``A_t`` for each time, shape (n, d, d)."""
        t = torch.as_tensor(t, dtype=torch.float64)[:, None, None]
        p = self.path
        a, b, da, db = p.alpha(t), p.beta(t), p.d_alpha(t), p.d_beta(t)
        c, ct = self.cross, self.cross.T
        cov_t = a * a * self.cov_0 + a * b * (c + ct) + b * b * self.cov_1
        cov_dt = da * a * self.cov_0 + da * b * c + db * a * ct + db * b * self.cov_1
        # A = cov_dt cov_t^{-1}; cov_t is symmetric, so solve cov_t A^T = cov_dt^T.
        return torch.linalg.solve(cov_t, cov_dt.transpose(-1, -2)).transpose(-1, -2)

    def divergence(self, t: torch.Tensor) -> torch.Tensor:
        """``tr A_t``, the divergence (constant in z), shape (n,)."""
        return torch.diagonal(self.matrix(t), dim1=-2, dim2=-1).sum(-1)

    def __call__(self, z: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        matrix = self.matrix(t.detach()).to(z.dtype)
        return torch.einsum("nij,nj->ni", matrix, z)
