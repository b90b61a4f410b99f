"""The task registry: a task is a distribution with known MI, a deterministic id and its parameters.

Suites available now:

* ``seed``: the seed article's bivariate Gaussian (0.8304 nats).
* ``highmi``: correlated Gaussians, d ∈ {1, 2, 3} per variable, MI ∈ {0, 2, 4,
  6, 8, 10} nats spread evenly over d correlated coordinate pairs.
* ``highdim``: correlated Gaussians with 0.5 nat per coordinate pair, d ∈ {5,
  10, 20, 40, 80, 160} per variable.

(The BMI v1 suite is not registered yet.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..distributions import CorrelatedGaussian

__all__ = ["Task", "SUITES", "get_task", "list_tasks", "paired_gaussian"]


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
    def dim_x(self) -> int:
        return self.distribution.dim_x

    @property
    def dim_y(self) -> int:
        return self.distribution.dim_y

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        return self.distribution.sample(n, random_state=seed)


def paired_gaussian(dim: int, mi: float) -> CorrelatedGaussian:
    """d × d Gaussian whose i-th coordinates of X and Y are correlated, MI split evenly: ``mi`` nats in all."""
    rho = np.sqrt(-np.expm1(-2 * mi / dim))
    cov = np.eye(2 * dim)
    cov[np.arange(dim), dim + np.arange(dim)] = rho
    cov[dim + np.arange(dim), np.arange(dim)] = rho
    return CorrelatedGaussian(cov, dim)


def _number(value: float) -> str:
    return f"{value:g}"


def _build() -> dict[str, Task]:
    tasks = [Task("seed-gaussian-1v1", "seed", CorrelatedGaussian.from_mi(0.8304), {"mi": 0.8304})]
    for dim in (1, 2, 3):
        for mi in (0, 2, 4, 6, 8, 10):
            tasks.append(
                Task(
                    f"highmi-gaussian-{dim}v{dim}-mi{_number(mi)}",
                    "highmi",
                    paired_gaussian(dim, mi),
                    {"dim": dim, "mi": mi},
                )
            )
    for dim in (5, 10, 20, 40, 80, 160):
        mi = 0.5 * dim
        tasks.append(
            Task(
                f"highdim-gaussian-{dim}v{dim}-mi{_number(mi)}",
                "highdim",
                paired_gaussian(dim, mi),
                {"dim": dim, "mi": mi},
            )
        )
    return {task.id: task for task in tasks}


_TASKS = _build()
SUITES = tuple(dict.fromkeys(task.suite for task in _TASKS.values()))


def get_task(task_id: str) -> Task:
    """The task with this id; `list_tasks` names them all."""
    if task_id not in _TASKS:
        raise ValueError(f"no task {task_id!r}; see fmmi.benchmark.list_tasks()")
    return _TASKS[task_id]


def list_tasks(suite: str | None = None) -> list[str]:
    """Ids of the tasks of one suite, or of all suites."""
    if suite is not None and suite not in SUITES:
        raise ValueError(f"suite must be one of {list(SUITES)}, got {suite!r}")
    return [task_id for task_id, task in _TASKS.items() if suite is None or task.suite == suite]
