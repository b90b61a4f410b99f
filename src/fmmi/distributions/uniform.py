"""Additive uniform noise: ``X ~ U(0, 1)``, ``Y = X + U(-ε, ε)``."""

from __future__ import annotations

import math

import numpy as np
import torch

from .._checks import make_generator

__all__ = ["AdditiveUniform"]


class AdditiveUniform:
    """``X ~ U(0, 1)`` and ``Y = X + N`` with ``N ~ U(-ε, ε)`` independent of X (1 × 1).

    ``I(X;Y) = h(Y) - h(N)``; the density of Y is a trapezoid, which gives
    ``I = ε - log(2ε)`` for ``ε <= 1/2`` and ``1 / (4ε)`` otherwise.

    Example:
        >>> round(AdditiveUniform(0.1).mutual_information, 4), round(AdditiveUniform(0.75).mutual_information, 4)
        (1.7094, 0.3333)
    """

    dim_x = 1
    dim_y = 1

    def __init__(self, epsilon: float):
        if not epsilon > 0:
            raise ValueError(f"epsilon must be positive, got {epsilon}")
        self.epsilon = float(epsilon)

    @property
    def mutual_information(self) -> float:
        """The true MI in nats."""
        e = self.epsilon
        return e - math.log(2 * e) if e <= 0.5 else 1 / (4 * e)

    def sample(self, n: int, random_state: int | torch.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` joint draws as arrays of shape (n, 1) and (n, 1)."""
        generator, _ = make_generator(random_state)
        u = torch.rand(n, 2, generator=generator, dtype=torch.float64).numpy()
        x = u[:, :1]
        return x, x + self.epsilon * (2 * u[:, 1:] - 1)
