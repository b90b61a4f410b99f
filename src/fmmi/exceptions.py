"""Every warning and error that fmmi raises of its own (the rest are Python's ValueError and TypeError)."""

from __future__ import annotations

__all__ = ["DiscreteDataWarning", "OverfitWarning", "TrainingDivergedError", "TrainingRecoveredWarning"]


class DiscreteDataWarning(UserWarning):
    """The data has tied values: a discrete part makes differential MI ill-defined (possibly infinite)."""


class OverfitWarning(UserWarning):
    """The trained nets move the estimate, yet fit rows they never saw no better than the Gaussian base.

    Each split's nets trace their flow-matching loss on the split's held-out
    rows while they train (``loss_curves_``); step 0 is the Gaussian base alone
    (the net starts at zero). When in most splits the loss at the end is not
    lower than the base's by more than 2 paired standard errors, while the
    nets move the estimate by more than 0.1 nats from the base's reading,
    what the nets add is not supported by data they did not train on: they
    learned their training rows, and the estimate is not to be trusted (it
    usually reads too high; rows too few for the dimension, see the documentation's
    "When to distrust an estimate"). The same words are kept in
    `MIResult.warnings`. Fits without a Gaussian base are not checked
    (`fmmi.fit_check`).
    """


class TrainingDivergedError(FloatingPointError):
    """The flow-matching loss stayed NaN or infinite after every allowed restart."""


class TrainingRecoveredWarning(RuntimeWarning):
    """Training hit a non-finite loss and went on from a snapshot with a lower learning rate."""
