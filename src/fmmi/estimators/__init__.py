"""Estimators behind one contract: ``fit``, ``estimate``, ``fit_estimate`` returning `MIResult`."""

from .entropy import FlowEntropy, FlowEntropyDifference, entropy, entropy_difference
from .fmmi import FMMI, conditional_mi, estimate_mi

__all__ = [
    "FMMI",
    "FlowEntropy",
    "FlowEntropyDifference",
    "conditional_mi",
    "entropy",
    "entropy_difference",
    "estimate_mi",
]
