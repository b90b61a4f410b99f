"""Split multivariate Student-t (X, Y): heavy tails, closed-form MI."""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import digamma, gammaln

from .._checks import make_generator
from .gaussian import CorrelatedGaussian, gaussian_mi

__all__ = ["SplitStudentT", "student_t_mi_correction"]


def student_t_mi_correction(nu: float, dim_x: int, dim_y: int) -> float:
    """The MI a shared chi-square scale adds to a Gaussian's, in nats.

    ``I = I_Gauss(Σ) + c(ν, m, n)`` for ``(X, Y) = G / sqrt(W / ν)`` with
    ``G ~ N(0, Σ)`` and ``W ~ χ²_ν`` (m = dim_x, n = dim_y).
    """
    m, n = dim_x, dim_y
    return float(
        gammaln(nu / 2)
        + gammaln((nu + m + n) / 2)
        - gammaln((nu + m) / 2)
        - gammaln((nu + n) / 2)
        + (nu + m) / 2 * digamma((nu + m) / 2)
        + (nu + n) / 2 * digamma((nu + n) / 2)
        - (nu + m + n) / 2 * digamma((nu + m + n) / 2)
        - nu / 2 * digamma(nu / 2)
    )


class SplitStudentT:
    """Multivariate Student-t with ``nu`` degrees of freedom and dispersion ``dispersion``, split into X and Y.

    Example:
        >>> round(SplitStudentT(np.eye(2), dim_x=1, nu=1).mutual_information, 4)
        0.2242
    """

    def __init__(self, dispersion: np.ndarray, dim_x: int, nu: float):
        if not nu > 0:
            raise ValueError(f"nu must be positive, got {nu}")
        self._gaussian = CorrelatedGaussian(dispersion, dim_x)
        self.dispersion = self._gaussian.cov
        self.dim_x, self.dim_y, self.nu = self._gaussian.dim_x, self._gaussian.dim_y, float(nu)

    @property
    def mutual_information(self) -> float:
        """The true MI in nats."""
        return gaussian_mi(self.dispersion, self.dim_x) + student_t_mi_correction(self.nu, self.dim_x, self.dim_y)

    def sample(self, n: int, random_state: int | torch.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` joint draws as arrays of shape (n, dim_x) and (n, dim_y)."""
        generator, _ = make_generator(random_state)
        x, y = self._gaussian.sample(n, random_state=generator)
        # numpy draws the chi-square, seeded from the one torch generator.
        rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=generator)))
        chi2 = rng.chisquare(self.nu, size=n)
        scale = np.sqrt(self.nu / chi2)[:, None]
        return x * scale, y * scale
