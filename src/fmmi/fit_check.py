"""The fit check: do a fit's nets fit rows they never saw better than the Gaussian base alone?

Each split's terms trace their flow-matching loss on the split's held-out rows
while they train (`fmmi.curves.LossCurve`); step 0 is the Gaussian base
alone (the net starts at zero). A split's nets count as no better than their
base unless their held-out loss ends lower than the base's by more than
`OVERFIT_STDERRS` paired standard errors; an `fmmi.OverfitWarning` is due when
that holds in most splits and the nets move the estimate by more than
`OVERFIT_SHARE` nats (the mean over the splits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

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
    checked = [(split, terms) for split, terms in enumerate(fold_terms) if terms is not None]
    gains, shares = [], []
    for split, terms in checked:
        # Step 0 (the base alone) and the end must be on record: a run resumed from a checkpoint
        # without a curve lacks step 0.
        for _, term in terms:
            if term.curve is None or term.base is None or term.curve.steps[:1] != [0] or len(term.curve.steps) < 2:
                return ()
        # How much lower the held-out loss ends than the base's, in paired standard errors (worst term).
        gains.append(min(_in_stderrs(*term.curve.drop()) for _, term in terms))
        shares.append(fold_values[split] - sum(coef * term.base_value for coef, term in terms))
    no_better = [g for g in gains if not g > OVERFIT_STDERRS]
    share = float(np.mean(shares)) if shares else 0.0
    if 2 * len(no_better) <= len(checked) or abs(share) <= OVERFIT_SHARE:
        return ()
    best = max(no_better)
    if best >= 0:
        how = f"their held-out loss ends at most {best:.1f} standard errors below the base's"
    else:
        how = f"their held-out loss ends above the base's, by {-best:.1f} standard errors or more"
    return (
        f"{method}: the trained nets move the estimate by {share:+.3f} nats from the Gaussian base's, yet "
        f"in {len(no_better)} of {len(checked)} splits they fit the held-out rows no better than the base "
        f"alone ({how}): what they add is not supported by rows they did not train on, and the estimate is "
        "not to be trusted (it usually reads too high). More rows or fewer columns help; see 'When to distrust "
        "an estimate' in the documentation",
    )
