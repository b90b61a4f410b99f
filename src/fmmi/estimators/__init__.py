"""Estimators behind one contract: keyword-only options, ``fit_estimate`` returning `fmmi.MIResult` (nats)."""

from .auto import AutoFMMI, estimate_mi
from .baselines import KSG, GaussianMI
from .entropy import FlowEntropy, FlowEntropyDifference, entropy, entropy_difference
from .fmmi import FMMI, conditional_mi
from .minde import MINDE
from .neural import MINE, NWJ, InfoNCE
from .selection import Selection, select

__all__ = [
    "AutoFMMI",
    "FMMI",
    "KSG",
    "GaussianMI",
    "InfoNCE",
    "MINDE",
    "MINE",
    "NWJ",
    "FlowEntropy",
    "FlowEntropyDifference",
    "Selection",
    "conditional_mi",
    "entropy",
    "entropy_difference",
    "estimate_mi",
    "select",
]
