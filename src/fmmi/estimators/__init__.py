"""Estimators behind one contract: ``fit``, ``estimate``, ``fit_estimate``."""

from .fmmi import FMMI, estimate_mi

__all__ = ["FMMI", "estimate_mi"]
