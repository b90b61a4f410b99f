"""A benchmark task: a distribution with known MI, a deterministic id and its parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Task"]


@dataclass(frozen=True)
class Task:
    """One benchmark task: ``sample(n, seed) -> (x, y)`` with a known ``mutual_information`` (nats)."""

    id: str
    suite: str
    distribution: Any = field(repr=False, compare=False)
    params: dict = field(default_factory=dict, compare=False)

    @property
    def mutual_information(self) -> float:
        return float(self.distribution.mutual_information)

    @property
    def mutual_information_stderr(self) -> float:
        """The standard error of `mutual_information` (nats): 0 for a closed form, else Monte Carlo's."""
        return float(getattr(self.distribution, "mutual_information_stderr", 0.0))

    @property
    def dim_x(self) -> int:
        return self.distribution.dim_x

    @property
    def dim_y(self) -> int:
        return self.distribution.dim_y

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        return self.distribution.sample(n, random_state=seed)
