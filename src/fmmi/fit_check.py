"""The fit check: do a fit's nets fit rows they never saw better than the Gaussian base alone?

Each split's terms trace their flow-matching loss on the split's held-out rows
while they train (`fmmi.curves.LossCurve`); step 0 is the Gaussian base
alone (the net starts at zero). The nets count as no better than their base
unless their held-out loss ends lower than the base's by more than
`OVERFIT_STDERRS` paired standard errors, over the held-out rows of every
split together (one paired test on all of them: with few rows, a test per
split lacks the power to see a real gain); an `fmmi.OverfitWarning` is due
when they are no better and move the estimate by more than `OVERFIT_SHARE`
nats (the mean over the splits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .curves import paired_mean
from .terms import Term

__all__ = ["OVERFIT_SHARE", "OVERFIT_STDERRS", "overfit_note"]

OVERFIT_STDERRS = 2.0
OVERFIT_SHARE = 0.1


def _in_stderrs(mean: float, stderr: float) -> float:
    """``mean / stderr``, or an infinity of the mean's sign when the standard error is 0."""
    return mean / stderr if stderr > 0 else math.copysign(math.inf, mean)


def overfit_note(
    method: str, fold_terms: Sequence[list[tuple[float, Term]] | None], fold_values: Sequence[float]
) -> tuple[str, ...]:
    """The words of an `fmmi.OverfitWarning` for a fit, if it calls for one; () otherwise.

    ``fold_terms`` holds each split's signed terms (None for splits trained by other processes,
    which are not checked); ``fold_values`` each split's estimate, nats. Fits whose terms lack a
    Gaussian base or a loss curve from step 0 are not checked.
    """
    checked = [terms for terms in fold_terms if terms is not None]
    if not checked:
        return ()
    for terms in checked:
        # Step 0 (the base alone) and the end must be on record: a run resumed from a checkpoint
        # without a curve lacks step 0.
        for _, term in terms:
            if term.curve is None or term.base is None or term.curve.steps[:1] != [0] or len(term.curve.steps) < 2:
                return ()
    shares = [
        fold_values[split] - sum(coef * term.base_value for coef, term in terms)
        for split, terms in enumerate(fold_terms)
        if terms is not None
    ]
    share = float(np.mean(shares))
    # How much lower the held-out loss ends than the base's, in paired standard errors over every split's
    # rows (worst term).
    rows = sum(terms[0][1].curve.values[0].size for terms in checked)
    drops = [[term.curve.values[0] - term.curve.values[-1] for _, term in terms] for terms in checked]
    gain = min(_in_stderrs(*paired_mean(np.concatenate(per_term))) for per_term in zip(*drops))
    if gain > OVERFIT_STDERRS or abs(share) <= OVERFIT_SHARE:
        return ()
    if gain >= 0:
        how = f"their held-out loss ends at most {gain:.1f} standard errors below the base's"
    else:
        how = f"their held-out loss ends above the base's, by {-gain:.1f} standard errors"
    return (
        f"{method}: the trained nets move the estimate by {share:+.3f} nats from the Gaussian base's, yet "
        f"they fit the held-out rows no better than the base alone ({how}, over the {rows} held-out rows of "
        f"all {len(checked)} splits): what they add is not supported by rows they did not train on, and the "
        "estimate is not to be trusted (it usually reads too high). More rows or fewer columns help; see 'When "
        "to distrust an estimate' in the documentation",
    )
