"""The task registry: a task is a distribution with known MI, a deterministic id and its parameters.

Suites available now:

* ``seed``: the seed article's bivariate Gaussian (0.8304 nats).
* ``highmi``: correlated Gaussians, d ∈ {1, 2, 3} per variable, MI ∈ {0, 2, 4,
  6, 8, 10} nats spread evenly over d correlated coordinate pairs.
* ``highdim``: correlated Gaussians with 0.5 nat per coordinate pair, d ∈ {5,
  10, 20, 40, 80, 160} per variable.
* ``bmi-v2``: the 26 tasks of BMI's second benchmark (`fmmi.benchmark.bmi_v2_tasks`): 13 of
  BMI v1's and 13 mixtures, whose true MI is a Monte-Carlo mean with its standard error.
* ``mixtures``: Gaussian mixtures whose dependence lives in the mixture structure
  (`fmmi.benchmark.mixture_tasks`), true MI by Monte Carlo with its standard error.
* ``bmi``: the 40 tasks of BMI v1 (Czyż et al., "Beyond Normal", NeurIPS
  2023) under their published ids, with the same ground truths. The
  distributions follow the published descriptions; the wiggly map for Y and
  the bimodal mixtures are our own increasing maps of the same kind, so
  samples are not bit-identical to the ``bmi`` package's (the MI is).
"""

from __future__ import annotations

import numpy as np

from ..distributions import (
    AdditiveUniform,
    CorrelatedGaussian,
    SplitStudentT,
    Transformed,
    asinh,
    bimodal,
    compose,
    half_cube,
    normal_cdf,
    spiral,
    swiss_roll,
    wiggly_x,
    wiggly_y,
)
from .bmi_v2_tasks import V1_KEPT, bmi_v2_tasks
from .mixture_tasks import mixture_tasks
from .task import Task

__all__ = ["Task", "SUITES", "get_task", "list_tasks", "paired_gaussian"]


def paired_gaussian(dim: int, mi: float) -> CorrelatedGaussian:
    """d × d Gaussian whose i-th coordinates of X and Y are correlated, MI split evenly: ``mi`` nats in all."""
    return CorrelatedGaussian.paired(dim, mi)


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
    tasks.extend(_bmi_tasks())
    tasks.extend(bmi_v2_tasks())
    tasks.extend(mixture_tasks())
    return {task.id: task for task in tasks}


def _bmi_tasks() -> list[Task]:
    normal = CorrelatedGaussian.from_correlation(0.75)
    one = {"dim": 1, "correlation": 0.75}
    tasks = [
        Task("1v1-normal-0.75", "bmi", normal, one),
        Task("normal_cdf-1v1-normal-0.75", "bmi", Transformed(normal, normal_cdf, normal_cdf), one),
        Task("1v1-bimodal-0.75", "bmi", Transformed(normal, bimodal(1.0, 0.5), bimodal(1.5, 0.6)), one),
        Task("wiggly-1v1-normal-0.75", "bmi", Transformed(normal, wiggly_x, wiggly_y), one),
        Task("half_cube-1v1-normal-0.75", "bmi", Transformed(normal, half_cube, half_cube), one),
        Task(
            "swissroll_x-normal_cdf-1v1-normal-0.75",
            "bmi",
            Transformed(normal, compose(swiss_roll, normal_cdf), normal_cdf, dim_x=2),
            one,
        ),
    ]
    for epsilon in (0.1, 0.75):
        tasks.append(Task(f"1v1-additive-{epsilon}", "bmi", AdditiveUniform(epsilon), {"epsilon": epsilon}))
    for d in (2, 3, 5, 25, 50):
        tasks.append(Task(f"multinormal-dense-{d}-{d}-0.5", "bmi", CorrelatedGaussian.dense(d, d, 0.5), {"dim": d}))
    sparse = {d: CorrelatedGaussian.sparse(d, d, 2, 2.0) for d in (2, 3, 5, 25)}
    for d, dist in sparse.items():
        tasks.append(Task(f"multinormal-sparse-{d}-{d}-2-2.0", "bmi", dist, {"dim": d}))
    students = {}
    for d, nu in ((1, 1), (2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3)):
        students[d, nu] = SplitStudentT(np.eye(2 * d), d, nu)
        tasks.append(Task(f"student-identity-{d}-{d}-{nu}", "bmi", students[d, nu], {"dim": d, "nu": nu}))
    for d in (3, 5, 25):
        # As in BMI: X turns in the plane of its coordinates (0, 1), Y in (1, 2), both at speed 1/d.
        spin_x, spin_y = spiral(d, plane=(0, 1)), spiral(d, plane=(1, 2))
        maps = {
            "normal_cdf": (normal_cdf, normal_cdf),
            "half_cube": (half_cube, half_cube),
            "spiral": (spin_x, spin_y),
            "spiral-normal_cdf": (compose(spin_x, normal_cdf), compose(spin_y, normal_cdf)),
        }
        for name, (f, g) in maps.items():
            task_id = f"{name}-multinormal-sparse-{d}-{d}-2-2.0"
            tasks.append(Task(task_id, "bmi", Transformed(sparse[d], f, g), {"dim": d, "transform": name}))
    for d, nu in ((1, 1), (2, 1), (3, 2), (5, 2)):
        task_id = f"asinh-student-identity-{d}-{d}-{nu}"
        tasks.append(Task(task_id, "bmi", Transformed(students[d, nu], asinh, asinh), {"dim": d, "nu": nu}))
    return tasks


_TASKS = _build()
# Each suite's task ids: a task's own suite, and the suites that reuse it (BMI v2 keeps 13 of v1's tasks).
_SUITE_IDS: dict[str, list[str]] = {}
for _task in _TASKS.values():
    _SUITE_IDS.setdefault(_task.suite, []).append(_task.id)
_SUITE_IDS["bmi-v2"] = list(V1_KEPT) + _SUITE_IDS["bmi-v2"]
SUITES = tuple(_SUITE_IDS)


def get_task(task_id: str) -> Task:
    """The task with this id; `list_tasks` names them all."""
    if task_id not in _TASKS:
        raise ValueError(f"no task {task_id!r}; see fmmi.benchmark.list_tasks()")
    return _TASKS[task_id]


def list_tasks(suite: str | None = None) -> list[str]:
    """Ids of the tasks of one suite, or of all suites."""
    if suite is None:
        return list(_TASKS)
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {list(SUITES)}, got {suite!r}")
    return list(_SUITE_IDS[suite])
