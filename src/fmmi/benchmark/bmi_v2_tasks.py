"""BMI's second benchmark ("bend and mix"): 26 tasks, 13 of them BMI v1's and 13 new mixtures.

The new tasks follow the published definitions (the ``bmi`` package's mixture tasks), built here as
`fmmi.distributions.GaussianMixture` (seen through an invertible map of X for waves and galaxy), so
their true MI is a Monte-Carlo mean of the pointwise MI with its standard error, as in ``bmi``. Our
samples are not bit-identical to the ``bmi`` package's; the distributions are the same.

* X 1 × 1: two zero-mean components with correlation +0.9 and -0.9.
* AI 1 × 1: six components that draw the letters A and I in the plane of (x, y).
* waves 2 × 1: twelve components along a line, bent by `fmmi.distributions.waves`.
* galaxy 2 × 1: two balls at ±1.5 (1, 1, 1), X twisted by a spiral of speed 0.5.
* concentric Gaussians d × 1: components i = 1..K with X ~ N(0, i² I_d) and Y ≈ i.
* sparse Gaussians with inliers: BMI v1's sparse 2-pair Gaussian mixed with its product of
  marginals (the share of the latter: 20% or 50%).
"""

from __future__ import annotations

import numpy as np

from ..distributions import CorrelatedGaussian, GaussianMixture, Transformed, spiral, waves
from .task import Task

__all__ = ["V1_KEPT", "bmi_v2_tasks"]

SUITE = "bmi-v2"
# The 13 BMI v1 tasks that BMI v2 keeps, under their v1 ids.
V1_KEPT = (
    "1v1-additive-0.75",
    "asinh-student-identity-1-1-1",
    "swissroll_x-normal_cdf-1v1-normal-0.75",
    "multinormal-dense-5-5-0.5",
    "multinormal-dense-25-25-0.5",
    "multinormal-dense-50-50-0.5",
    "multinormal-sparse-5-5-2-2.0",
    "multinormal-sparse-25-25-2-2.0",
    "asinh-student-identity-2-2-1",
    "asinh-student-identity-3-3-2",
    "asinh-student-identity-5-5-2",
    "spiral-multinormal-sparse-3-3-2-2.0",
    "spiral-multinormal-sparse-5-5-2-2.0",
)


def _correlated(rho: float) -> np.ndarray:
    return np.array([[1.0, rho], [rho, 1.0]])


def x_task(correlation: float = 0.9) -> GaussianMixture:
    return GaussianMixture([0.5, 0.5], np.zeros((2, 2)), [_correlated(-correlation), _correlated(correlation)], 1)


def ai_task() -> GaussianMixture:
    var_x, corr = 0.04, 0.95
    cross = np.sqrt(var_x * 0.2) * corr
    means = [[1.0, 0.0], [1.0, 1.0], [1.0, -1.0], [-0.8, -0.2], [-1.2, 0.0], [-0.4, 0.0]]
    covariances = [
        np.diag([0.01, 0.2]),  # the I: its stem and two serifs
        np.diag([0.05, 0.001]),
        np.diag([0.05, 0.001]),
        np.diag([0.03, 0.001]),  # the A: its bar and two legs
        np.array([[var_x, cross], [cross, 0.2]]),
        np.array([[var_x, -cross], [-cross, 0.2]]),
    ]
    return GaussianMixture(np.ones(6), means, covariances, 1)


def waves_task(components: int = 12, amplitude: float = 5.0, frequency: float = 3.0) -> Transformed:
    means = [np.array([k, 0.0, k % 4]) * 1.5 for k in range(components)]
    base = GaussianMixture(np.ones(components), means, np.diag([0.1, 1.0, 0.1]), 2)
    return Transformed(base, waves(amplitude, frequency))


def galaxy_task(speed: float = 0.5, distance: float = 3.0) -> Transformed:
    means = [np.full(3, sign * distance / 2) for sign in (-1, 1)]
    base = GaussianMixture([0.5, 0.5], means, np.eye(3), 2)
    return Transformed(base, spiral(2, speed=speed))


def concentric_task(dim_x: int, components: int) -> GaussianMixture:
    means = [np.r_[np.zeros(dim_x), float(i)] for i in range(1, components + 1)]
    covariances = [np.diag(np.r_[np.full(dim_x, float(i * i)), 1e-4]) for i in range(1, components + 1)]
    return GaussianMixture(np.ones(components), means, covariances, dim_x)


def inliers_task(dim: int, noise_share: float, n_interacting: int = 2, strength: float = 2.0) -> GaussianMixture:
    signal = CorrelatedGaussian.sparse(dim, dim, n_interacting, strength).cov
    product = signal.copy()
    product[:dim, dim:] = product[dim:, :dim] = 0.0
    return GaussianMixture([1 - noise_share, noise_share], np.zeros((2, 2 * dim)), [signal, product], dim)


def bmi_v2_tasks() -> list[Task]:
    """The 13 new tasks of BMI v2 under ``bmi``'s ids (its 13 kept v1 tasks are in `V1_KEPT`)."""
    tasks = [
        Task("1v1-X-0.9", SUITE, x_task(), {"gaussian_correlation": 0.9}),
        Task("1v1-AI", SUITE, ai_task(), {}),
        Task("2v1-waves-12-5.0-3.0", SUITE, waves_task(), {"n_components": 12, "amplitude": 5.0, "frequency": 3.0}),
        Task("2v1-galaxy-0.5-3.0", SUITE, galaxy_task(), {"speed": 0.5, "distance": 3.0}),
    ]
    for dim_x, components in ((3, 5), (5, 5), (3, 10), (5, 10), (25, 5)):
        task_id = f"{dim_x}v1-concentric_gaussians-{components}"
        tasks.append(Task(task_id, SUITE, concentric_task(dim_x, components), {"n_components": components}))
    for dim in (5, 25):
        for share in (0.2, 0.5):
            task_id = f"mult-sparse-w-inliers-{dim}-{dim}-2-2.0-{share}"
            tasks.append(Task(task_id, SUITE, inliers_task(dim, share), {"dim": dim, "inlier_fraction": share}))
    return tasks
