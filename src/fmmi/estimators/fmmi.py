"""FMMI: mutual information from flows matched between ``P_X ⊗ P_Y`` and ``P_XY``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from .._checks import as_matrix, check_pair, refuse_shared_columns
from ..config import MIOptions
from ..coupling import swaps_sides
from ..preprocessing import MarginalGaussianizer
from ..result import MIResult
from ..terms import ConditionalMITerm, EntropyTerm, JointMITerm
from ._base import FlowEstimator

__all__ = ["FMMI", "conditional_mi"]


class FMMI(MIOptions, FlowEstimator):
    """Flow-matching mutual information estimator, ``I(X;Y)`` in nats.

    Variants:

    * ``"joint"`` (jFMMI, default): a velocity ``v(z, t)`` over
      ``z = (x, y)`` is trained by flow matching from the product of
      marginals (t = 0; Y re-paired against X) to the joint (t = 1);
      ``I = -∫_0^1 E[div v(Z_t, t)] dt`` with ``Z_t`` drawn straight from
      the interpolant.
    * ``"conditional"`` (cFMMI): a velocity over y given x, a flow from
      ``P_Y`` to ``P_{Y|X=x}``; ``I = h(Y) - h(Y|X) = -E[div_y v]``.
      ``swap=True`` flows in x given y instead (cheaper when x is smaller).
    * ``"doe"``: difference of entropies ``h(X) + h(Y) - h(X, Y)``, each from
      a flow out of ``N(0, I)``; a comparison, usually less accurate since the
      three errors do not cancel.

    ``reverse=True`` flows from the joint to the product of marginals (the
    sign of the divergence flips); the estimate is the same MI.

    Options are keyword-only, stored unchanged and checked in `fit`; each is
    described once, in `fmmi.config.MIOptions` and `fmmi.config.FlowOptions`
    (path, net, training, interval, divergence, time grid, checkpoints,
    randomness, device). `fmmi.AutoFMMI` (what `fmmi.estimate_mi` runs) adds
    the choice of net on top.

    Attributes:
        net_: The trained net (first term, first split); with the Gaussian
            base it is the residual only.
        velocity_: The full trained velocity ``v(z, t)`` (base + net), in
            standardised units.
        history_: Its training loss per step, shape (steps,).
        flows_: ``[(sign, flow), ...]`` of the first split; ``fold_flows_`` all splits.
            With the folds dealt out to torch.distributed ranks, a rank holds
            only its own: ``fold_flows_`` is None for the others' splits and
            ``flows_`` is this rank's first.
        contributions_: Per-unit values of the estimate from the last
            estimate, all folds together; their mean is the Monte-Carlo
            estimate.
        held_out_losses_: After `fit_estimate`, the flow-matching loss of
            each held-out row under the nets that did not train on it,
            aligned with ``contributions_`` (see `flow_matching_loss`; 4
            draws per row, seeded by the split alone, so two configurations
            fitted with the same ``random_state`` are scored on the same
            draws and their losses can be compared row by row).
        loss_curves_: After `fit_estimate`, per split, one `fmmi.training.LossCurve`
            per term: the net's flow-matching loss on up to 4,096 of the split's
            held-out rows (the same draws each time) at step 0, every 1,000 steps
            and at the end. Step 0 is the Gaussian base alone (the net starts
            at zero). When the end is not lower than step 0 by more than 2
            paired standard errors over every split's rows together, while the nets move the
            estimate by more than 0.1 nats, the fit draws an
            `fmmi.OverfitWarning` (also in ``result.warnings``). None for
            splits of other ranks.
        stopping_: After `fit_estimate`, per split, one `fmmi.curves.EarlyStopping` per term (None
            without ``early_stopping``): its validation curve, ``stopped_step`` (where the training
            stopped) and ``kept_step`` (whose weights the net kept; 0: the Gaussian base alone).
            None for splits of other ranks.
        lowest_result_: After `fit_estimate`, the estimate (same interval kind) with each net that early
            stopping left at its start, over a validation record that was lower but not clearly so, read at
            that record instead; the data could not tell these nets from their Gaussian base. None when
            no net was left so.
        n_train_: Training rows of the first split (validation rows included).
        random_state_: The integer seed used, when one was given or drawn.

    Example:
        >>> import fmmi
        >>> dist = fmmi.distributions.CorrelatedGaussian.from_mi(0.5)
        >>> x, y = dist.sample(2000, random_state=0)
        >>> est = FMMI(steps=600, hidden=128, lr=3e-3, interval="monte_carlo", random_state=0)
        >>> abs(est.fit_estimate(x, y).value - 0.5) < 0.1
        True
    """

    _options: ClassVar[type[MIOptions]] = MIOptions

    def _fit_preprocessing(self, data):
        gaussianize = self.options_.gaussianize
        if not gaussianize:
            return None
        return [MarginalGaussianizer(skip_normal=gaussianize == "auto").fit(a) for a in data]

    def _preprocess(self, state, data):
        if state is None:
            return data
        return tuple(g.transform(a) for g, a in zip(state, data))

    @property
    def method(self) -> str:
        return {"joint": "jFMMI", "conditional": "cFMMI", "doe": "FMDoE"}.get(self.variant, self.variant)

    def _terms(self, data):
        x, y = data
        options = self.options_
        if options.variant == "joint":
            return [(1.0, JointMITerm, (y, x) if swaps_sides(options.coupling, x.shape[1], y.shape[1]) else (x, y))]
        if options.variant == "conditional":
            return [(1.0, ConditionalMITerm, (y, x) if options.swap else (x, y))]
        return [
            (1.0, EntropyTerm, (x,)),
            (1.0, EntropyTerm, (y,)),
            (-1.0, EntropyTerm, (np.hstack([x, y]),)),
        ]

    def fit(self, x: Any, y: Any) -> FMMI:
        """Train on all rows of ``x`` (n, dim_x) and ``y`` (n, dim_y)."""
        self._fit(check_pair(x, y))
        return self

    def estimate(self, x: Any, y: Any) -> MIResult:
        """MI in nats on rows the nets did not train on (Monte-Carlo interval).

        Uses the nets of `fit`, or of the first split of `fit_estimate`.
        """
        return self._estimate(check_pair(x, y))

    def fit_estimate(self, x: Any, y: Any) -> MIResult:
        """Split the rows (K folds, or train / held-out), fit, and estimate on unseen rows."""
        return self._fit_estimate(check_pair(x, y))

    def flow_matching_loss(
        self, x: Any, y: Any, *, n_draws: int = 4, random_state: int | torch.Generator | None = 0
    ) -> np.ndarray:
        """Held-out flow-matching loss per row, shape (n,): a way to compare fitted nets without the true MI.

        The mean over rows of ``|v(z_t, t) - dz_t|²`` (per coordinate), with
        ``t ~ U[0, 1)`` and ``(z_0, z_1)`` drawn from ``x``, ``y`` as in
        training, averaged over ``n_draws`` draws. It equals the squared
        distance of ``v`` to the exact velocity plus a constant that depends
        only on the data and the draws, so on rows none of them trained on,
        a lower mean marks the better fit of the flow. Two estimators with
        the same ``variant``, ``path``, ``coupling``, ``reverse`` and
        preprocessing options (``gaussianize``, ``standardize``) read with
        the same ``random_state`` (the default, 0) see the very same draws,
        so the constant cancels row by row in the difference of their
        losses, and its standard error is that of a paired mean. Losses of
        flows between other distributions (another variant or path) are not
        comparable.

        Uses the nets of `fit` (or of the first split of `fit_estimate`, whose
        held-out rows are not known here): pass rows they did not train on.
        """
        return self._flow_matching_loss(check_pair(x, y), n_draws, random_state)


class _ChainRuleCMI(FMMI):
    """``I(X;Y|Z) = I(X;(Y,Z)) - I(X;Z)``, both terms on the same splits."""

    @property
    def method(self) -> str:
        return f"CMI({super().method})"

    def _terms(self, data):
        x, y, z = data
        with_y = super()._terms((x, np.hstack([y, z])))
        without_y = super()._terms((x, z))
        return with_y + [(-coef, flow, arrays) for coef, flow, arrays in without_y]


def conditional_mi(
    x: Any,
    y: Any,
    z: Any,
    **options: Any,
) -> MIResult:
    """Conditional mutual information ``I(X;Y|Z)`` in nats, by the chain rule.

    ``I(X;Y|Z) = I(X;(Y,Z)) - I(X;Z)``: two MI estimates, trained and read on
    the same splits, so that with the default cross-fitting interval each
    fold's difference carries both terms' errors and their correlation.
    Options are those of `FMMI` (``variant`` picks the MI estimator).

    Args:
        x: (n, dim_x). y: (n, dim_y). z: (n, dim_z); same number of rows.
        **options: Those of `FMMI` (``random_state``, ``device``...; `fmmi.config.MIOptions`).
    """
    x, y = check_pair(x, y)
    z = as_matrix(z, "z")
    if z.shape[0] != x.shape[0]:
        raise ValueError(f"x and z must have the same number of rows, got {x.shape[0]} and {z.shape[0]}")
    refuse_shared_columns(x, z, "x", "z")
    refuse_shared_columns(y, z, "y", "z")
    return _ChainRuleCMI(**options)._fit_estimate((x, y, z))
