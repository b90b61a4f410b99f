"""fmmi: mutual information estimation by flow matching (FMMI)."""

from . import config, distributions, exceptions
from .config import SELECT_MAX_COLUMNS
from .estimators import (
    FMMI,
    AutoFMMI,
    FlowEntropy,
    Selection,
    conditional_mi,
    entropy,
    entropy_difference,
    estimate_mi,
    select,
)
from .exceptions import (
    DiscreteDataWarning,
    OverfitWarning,
    TrainingDivergedError,
    TrainingRecoveredWarning,
    UnderfitWarning,
)
from .result import MIResult

__all__ = [
    "AutoFMMI",
    "DiscreteDataWarning",
    "FMMI",
    "FlowEntropy",
    "MIResult",
    "OverfitWarning",
    "SELECT_MAX_COLUMNS",
    "Selection",
    "TrainingDivergedError",
    "TrainingRecoveredWarning",
    "UnderfitWarning",
    "conditional_mi",
    "config",
    "distributions",
    "entropy",
    "entropy_difference",
    "estimate_mi",
    "exceptions",
    "select",
    "__version__",
]

__version__ = "0.1.0"
