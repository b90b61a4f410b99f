"""Estimators behind one contract: ``fit``, ``estimate``, ``fit_estimate`` returning `MIResult`."""

from .baselines import KSG, GaussianMI
from .entropy import FlowEntropy, FlowEntropyDifference, entropy, entropy_difference
from .fmmi import FMMI, conditional_mi, estimate_mi

__all__ = [
    "FMMI",
    "KSG",
    "GaussianMI",
    "FlowEntropy",
    "FlowEntropyDifference",
    "conditional_mi",
    "entropy",
    "entropy_difference",
    "estimate_mi",
]
