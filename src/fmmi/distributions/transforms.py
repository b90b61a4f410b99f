"""MI-preserving transforms: an invertible map on X alone and one on Y alone."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.special import ndtr

__all__ = ["Transformed", "half_cube", "normal_cdf"]

Map = Callable[[np.ndarray], np.ndarray]


def half_cube(a: np.ndarray) -> np.ndarray:
    """``a · sqrt|a|``, coordinate-wise; strictly increasing."""
    return a * np.sqrt(np.abs(a))


def normal_cdf(a: np.ndarray) -> np.ndarray:
    """The standard normal CDF, coordinate-wise; strictly increasing onto (0, 1)."""
    return ndtr(a)


class Transformed:
    """``(f(X), g(Y))`` for a base distribution and invertible maps ``f``, ``g``: the same MI."""

    def __init__(self, base, x_map: Map | None = None, y_map: Map | None = None):
        self.base = base
        self.x_map = x_map
        self.y_map = y_map
        self.dim_x, self.dim_y = base.dim_x, base.dim_y

    @property
    def mutual_information(self) -> float:
        return self.base.mutual_information

    def sample(self, n: int, random_state: int | torch.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.base.sample(n, random_state=random_state)
        return (self.x_map(x) if self.x_map else x), (self.y_map(y) if self.y_map else y)
