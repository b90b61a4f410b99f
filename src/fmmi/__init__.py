"""fmmi: mutual information estimation by flow matching (FMMI)."""

from . import distributions
from .estimators import FMMI, FlowEntropy, conditional_mi, entropy, entropy_difference, estimate_mi
from .estimators._base import OverfitWarning
from .estimators.fmmi import SELECT_MAX_COLUMNS
from .result import MIResult
from .selection import Selection, select

__all__ = [
    "FMMI",
    "FlowEntropy",
    "MIResult",
    "OverfitWarning",
    "SELECT_MAX_COLUMNS",
    "Selection",
    "conditional_mi",
    "distributions",
    "entropy",
    "entropy_difference",
    "estimate_mi",
    "select",
    "__version__",
]

__version__ = "0.1.0"
