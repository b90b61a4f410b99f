"""Distributions with a known mutual information."""

from .gaussian import CorrelatedGaussian, GaussianVelocity, gaussian_mi

__all__ = ["CorrelatedGaussian", "GaussianVelocity", "gaussian_mi"]
