"""Every warning and error that fmmi raises of its own (the rest are Python's ValueError and TypeError)."""

from __future__ import annotations

__all__ = [
    "DiscreteDataWarning",
    "OverfitWarning",
    "TrainingDivergedError",
    "TrainingRecoveredWarning",
    "UnderfitWarning",
]


class DiscreteDataWarning(UserWarning):
    """The data has tied values: a discrete part makes differential MI ill-defined (possibly infinite)."""


class OverfitWarning(UserWarning):
    """The trained nets move the estimate, yet fit rows they never saw no better than the Gaussian base.

    Each split's nets trace their flow-matching loss on the split's held-out
    rows while they train (``loss_curves_``); step 0 is the Gaussian base alone
    (the net starts at zero). When the loss at the end, over the held-out rows
    of every split together, is not lower than the base's by more than 2
    paired standard errors, while the
    nets move the estimate by more than 0.1 nats from the base's reading,
    what the nets add is not supported by data they did not train on: they
    learned their training rows, and the estimate is not to be trusted (it
    usually reads too high; rows too few for the dimension, see the documentation's
    "When to distrust an estimate"). The same words are kept in
    `MIResult.warnings`. Fits without a Gaussian base are not checked
    (`fmmi.fit_check`).
    """


class UnderfitWarning(UserWarning):
    """Samples of the trained flow are told apart from held-out rows: the nets missed much of the dependence.

    In each split, re-paired held-out rows (the product of marginals) are carried by the trained
    flow to t = 1 and compared with other held-out rows of the joint by a nearest-neighbour
    two-sample statistic; the warning is due when the two are told apart (p < 0.01) and by more
    than half of the margin that tells the product of marginals apart (`fmmi.sample_check`). The
    estimate then rests on a flow that does not reproduce the data and may be far off (mostly low,
    but a Gaussian base on clustered data in many columns reads high). Read
    for jFMMI (not reversed) only; silent, not sure, in many dimensions. The same words are kept
    in `MIResult.warnings`.
    """


class TrainingDivergedError(FloatingPointError):
    """The flow-matching loss stayed NaN or infinite after every allowed restart."""


class TrainingRecoveredWarning(RuntimeWarning):
    """Training hit a non-finite loss and went on from a snapshot with a lower learning rate."""
