"""Estimators behind one contract: ``fit``, ``estimate``, ``fit_estimate`` returning `MIResult`."""

from .baselines import KSG, GaussianMI
from .entropy import FlowEntropy, FlowEntropyDifference, entropy, entropy_difference
from .fmmi import FMMI, conditional_mi, estimate_mi
from .minde import MINDE
from .neural import MINE, NWJ, InfoNCE

__all__ = [
    "FMMI",
    "KSG",
    "GaussianMI",
    "InfoNCE",
    "MINDE",
    "MINE",
    "NWJ",
    "FlowEntropy",
    "FlowEntropyDifference",
    "conditional_mi",
    "entropy",
    "entropy_difference",
    "estimate_mi",
]
