"""Distributions with a known mutual information."""

from .gaussian import CorrelatedGaussian, GaussianVelocity, gaussian_mi
from .student import SplitStudentT, student_t_mi_correction
from .transforms import Transformed, half_cube, normal_cdf

__all__ = [
    "CorrelatedGaussian",
    "GaussianVelocity",
    "SplitStudentT",
    "Transformed",
    "gaussian_mi",
    "half_cube",
    "normal_cdf",
    "student_t_mi_correction",
]
