"""fmmi: mutual information estimation by flow matching (FMMI)."""

from . import distributions
from .estimators import FMMI, estimate_mi
from .result import MIResult

__all__ = ["FMMI", "MIResult", "distributions", "estimate_mi", "__version__"]

__version__ = "0.1.0"
