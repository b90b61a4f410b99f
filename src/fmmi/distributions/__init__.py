"""Distributions with a known mutual information, and maps that keep it."""

from .gaussian import CorrelatedGaussian, GaussianVelocity, gaussian_mi
from .mixture import GaussianMixture
from .student import SplitStudentT, student_t_mi_correction
from .transforms import (
    Transformed,
    asinh,
    bimodal,
    compose,
    half_cube,
    normal_cdf,
    spiral,
    swiss_roll,
    waves,
    wiggly_x,
    wiggly_y,
)
from .uniform import AdditiveUniform

__all__ = [
    "AdditiveUniform",
    "CorrelatedGaussian",
    "GaussianMixture",
    "GaussianVelocity",
    "SplitStudentT",
    "Transformed",
    "asinh",
    "bimodal",
    "compose",
    "gaussian_mi",
    "half_cube",
    "normal_cdf",
    "spiral",
    "student_t_mi_correction",
    "swiss_roll",
    "waves",
    "wiggly_x",
    "wiggly_y",
]
