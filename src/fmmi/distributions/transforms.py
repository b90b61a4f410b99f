"""MI-preserving transforms: an invertible (or injective) map on X alone and one on Y alone.

Coordinate-wise maps (each strictly increasing, so invertible): `half_cube`,
`normal_cdf`, `asinh`, `wiggly_x`, `wiggly_y`, `bimodal`. Maps of the whole
vector: `spiral` (a rotation by an angle that depends on the norm, invertible),
`waves` (a shear of one coordinate by a sine of the other, invertible) and
`swiss_roll` (a 1-D variable in (0, 1) rolled into 2-D, injective). MI
is unchanged by all of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch
from scipy.special import ndtr

__all__ = [
    "Transformed",
    "asinh",
    "bimodal",
    "compose",
    "half_cube",
    "normal_cdf",
    "spiral",
    "swiss_roll",
    "waves",
    "wiggly_x",
    "wiggly_y",
]

Map = Callable[[np.ndarray], np.ndarray]


def half_cube(a: np.ndarray) -> np.ndarray:
    """``a · sqrt|a|``, coordinate-wise; strictly increasing."""
    return a * np.sqrt(np.abs(a))


def normal_cdf(a: np.ndarray) -> np.ndarray:
    """The standard normal CDF, coordinate-wise; strictly increasing onto (0, 1)."""
    return ndtr(a)


def asinh(a: np.ndarray) -> np.ndarray:
    """``asinh``, coordinate-wise: thins heavy tails to logarithmic ones; strictly increasing."""
    return np.arcsinh(a)


def wiggly_x(a: np.ndarray) -> np.ndarray:
    """``a + 0.4 sin a + 0.2 sin(1.7a + 1) + 0.03 sin(3.3a - 2.5)``; slope at least 0.16, so increasing."""
    return a + 0.4 * np.sin(a) + 0.2 * np.sin(1.7 * a + 1) + 0.03 * np.sin(3.3 * a - 2.5)


def wiggly_y(a: np.ndarray) -> np.ndarray:
    """``a + 0.3 sin(1.3a + 0.5) + 0.1 sin(2.9a - 1)``, a different wiggle for Y; slope at least 0.32."""
    return a + 0.3 * np.sin(1.3 * a + 0.5) + 0.1 * np.sin(2.9 * a - 1)


@functools.lru_cache(maxsize=8)
def _mixture_quantiles(mu: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    grid = np.linspace(-mu - 12 * sigma, mu + 12 * sigma, 200_001)
    cdf = 0.5 * (ndtr((grid + mu) / sigma) + ndtr((grid - mu) / sigma))
    return cdf, grid


def bimodal(mu: float = 1.0, sigma: float = 0.5) -> Map:
    """Coordinate-wise ``F⁻¹(Φ(a))``, F the CDF of ``½ N(-mu, sigma²) + ½ N(mu, sigma²)``.

    A standard normal coordinate becomes bimodal. ``F⁻¹`` is read off a fine
    grid by linear interpolation, which is strictly increasing inside the
    grid, read from the lower tail for both signs by symmetry so that it stays
    strictly increasing for |a| up to about 12 (beyond, where the
    probability is below 1e-32, it is clamped).
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    cdf, grid = _mixture_quantiles(float(mu), float(sigma))

    def transform(a: np.ndarray) -> np.ndarray:
        # The mixture is symmetric: read both halves from the lower tail, where
        # ndtr keeps full relative precision (ndtr(a) rounds to 1 for a > 8.3).
        return np.sign(a) * -np.interp(ndtr(-np.abs(a)), cdf, grid)

    transform.__name__ = f"bimodal({mu:g}, {sigma:g})"
    return transform


def spiral(dim: int, speed: float | None = None, plane: tuple[int, int] = (0, 1)) -> Map:
    """``a ↦ exp(v ‖a‖² A) a``: rotate two coordinates by the angle ``v ‖a‖²``.

    ``A`` generates rotations in the plane of coordinates ``plane = (i, j)``
    (default the first two) and ``v = speed`` (default ``1 / dim``). The
    rotation keeps ``‖a‖``, so the inverse rotates back by the same angle: the
    map is a bijection of R^dim. BMI's spiral tasks rotate X in the plane
    (0, 1) and Y in the plane (1, 2).
    """
    if dim < 2:
        raise ValueError(f"a spiral needs at least 2 coordinates, got {dim}")
    i, j = (int(k) for k in plane)
    if i == j or not (0 <= i < dim and 0 <= j < dim):
        raise ValueError(f"plane must be two different coordinates below dim={dim}, got {plane}")
    v = 1.0 / dim if speed is None else float(speed)

    def transform(a: np.ndarray) -> np.ndarray:
        return _rotate(a, v * np.sum(a * a, axis=1), i, j)

    transform.__name__ = f"spiral({dim}, {v:g}, plane=({i}, {j}))"
    transform.inverse = lambda b: _rotate(b, -v * np.sum(b * b, axis=1), i, j)
    return transform


def waves(amplitude: float = 5.0, frequency: float = 3.0) -> Map:
    """``(a_0, a_1) ↦ (0.1 (a_0 + amplitude · sin(frequency · a_1)) - 0.8, 0.5 a_1)``: BMI v2's waves.

    The first coordinate is shifted by a function of the second, then both are scaled: a bijection of
    R², whose inverse undoes the scaling and subtracts the same shift.
    """

    def transform(a: np.ndarray) -> np.ndarray:
        return np.stack([0.1 * (a[:, 0] + amplitude * np.sin(frequency * a[:, 1])) - 0.8, 0.5 * a[:, 1]], axis=1)

    def inverse(b: np.ndarray) -> np.ndarray:
        second = 2.0 * b[:, 1]
        return np.stack([10.0 * (b[:, 0] + 0.8) - amplitude * np.sin(frequency * second), second], axis=1)

    transform.__name__ = f"waves({amplitude:g}, {frequency:g})"
    transform.inverse = inverse
    return transform


def _rotate(a: np.ndarray, angle: np.ndarray, i: int, j: int) -> np.ndarray:
    out = a.copy()
    c, s = np.cos(angle), np.sin(angle)
    out[:, i] = c * a[:, i] - s * a[:, j]
    out[:, j] = s * a[:, i] + c * a[:, j]
    return out


def swiss_roll(u: np.ndarray) -> np.ndarray:
    """Roll a variable in (0, 1), shape (n, 1), into 2-D: ``(t cos t, t sin t)`` with ``t = 1.5π (1 + 2u)``.

    Injective (``t`` is the distance from the origin), so MI is unchanged;
    the result lies on a curve and has no density in 2-D, which is what makes
    it hard. Compose with `normal_cdf` for a Gaussian input.
    """
    if u.ndim != 2 or u.shape[1] != 1:
        raise ValueError(f"swiss_roll takes one column, got shape {u.shape}")
    t = 1.5 * np.pi * (1 + 2 * u[:, 0])
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1)


def compose(*maps: Map) -> Map:
    """``compose(f, g)(a) = f(g(a))``."""

    def transform(a: np.ndarray) -> np.ndarray:
        for m in reversed(maps):
            a = m(a)
        return a

    transform.__name__ = "∘".join(getattr(m, "__name__", "map") for m in maps)
    return transform


class Transformed:
    """``(f(X), g(Y))`` for a base distribution and injective maps ``f``, ``g``: the same MI.

    ``dim_x`` / ``dim_y`` are those of the base unless a map changes the
    dimension (e.g. `swiss_roll`); then pass the new one.
    """

    def __init__(self, base, x_map: Map | None = None, y_map: Map | None = None, *, dim_x=None, dim_y=None):
        self.base = base
        self.x_map = x_map
        self.y_map = y_map
        self.dim_x = base.dim_x if dim_x is None else int(dim_x)
        self.dim_y = base.dim_y if dim_y is None else int(dim_y)

    @property
    def mutual_information(self) -> float:
        return self.base.mutual_information

    @property
    def mutual_information_stderr(self) -> float:
        """The base's standard error of its true MI (0 for a closed form)."""
        return float(getattr(self.base, "mutual_information_stderr", 0.0))

    def sample(self, n: int, random_state: int | torch.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.base.sample(n, random_state=random_state)
        return (self.x_map(x) if self.x_map else x), (self.y_map(y) if self.y_map else y)
