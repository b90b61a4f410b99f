"""The default estimator: `AutoFMMI`, what `fmmi.estimate_mi`, ``fmmi estimate`` and ``fmmi bench`` run."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import torch

from .. import distributed
from .._checks import check_pair, resolve_device, resolve_mixed_precision
from ..config import ESCALATE_FROM, SELECT_MAX_COLUMNS, DefaultOptions, MIOptions, net_candidates, option_values
from ..result import MIResult
from .fmmi import FMMI
from .params import Params
from .selection import choose

__all__ = ["AutoFMMI", "estimate_mi"]


class AutoFMMI(DefaultOptions, Params):
    """The default MI estimator, ``I(X;Y)`` in nats: `FMMI` with the net chosen on the data.

    In two steps:

    1. Choose the net. One training of each net of `fmmi.config.net_candidates`
       (the tanh net, then the SiLU net; where the flow moves a single column
       given the other side, also a tanh net of four hidden layers, tried only
       where a two-layer pilot learned beyond its Gaussian base,
       `fmmi.config.ESCALATE_FROM`), each on half of the rows and of
       ``pilot_steps`` steps (by default as many as the full fit), is scored
       by its flow-matching loss on the other half;
       another net replaces the first only if its loss is lower by more than
       2 paired standard errors, the lowest of those winning (`fmmi.select`).
    2. Fit the kept net as `FMMI` does: by default 5-fold cross-fitting, five
       nets each trained on four fifths of the rows and read on the fifth it
       never saw, with an interval that covers the data's and the training's
       variability.

    Each net stops early, by default, when its loss on validation rows kept back
    from its own training rows stops falling (``early_stopping``), and keeps the
    weights of its lowest validation loss, or its start (the Gaussian base
    alone) when that is not clearly lower. When the kept pilot's net stayed at
    its start, step 2 trains no net: each fold reads its Gaussian base alone
    (``result.options["steps"]`` is then 0), and where a pilot's net had a
    lower validation record than its start, not clearly lower, the interval is
    widened to hold that net read at that record, a fit the held-out rows could
    not tell from the base (`fmmi.estimators.selection.widened`), and where the held-out rows
    hold dependence that the base does not carry, it is widened to every MI
    from 0 up (`fmmi.base_check`); when it learned beyond its base,
    the folds do not ask that again on their fewer validation rows: each keeps
    its lowest validation record (``stopping_margin=0``). So the cost follows the data: two
    short pilots where a Gaussian describes the dependence, up to seven
    trainings of ``steps`` where the nets keep learning. Which rows decide
    what: the pilots' choices (the net, whether to train) are made on the
    pilots' held-out half, which the folds also read (it also decides when
    each pilot stops, `fmmi.config.FlowOptions.validation`); each fold's
    stopping step on validation rows taken from its own training rows, which
    no estimate reads.

    The choice is made when ``select`` is ``"auto"``
    and no ``activation`` is given, the variant is jFMMI (the choice was
    measured on it alone), there are at most `fmmi.config.SELECT_MAX_COLUMNS`
    columns in all and the run is a single process; otherwise the tanh net
    (or ``activation``'s) is fitted alone, after one pilot of it that decides
    only whether the folds train (`gates_on_pilot`: the same conditions less
    the number of columns and the activation, with the crossfit interval;
    ``select=False`` fits `FMMI` directly, no pilot). With ``interval="monte_carlo"``
    the kept net is trained once more on the pilots' training half, stopped
    on its own validation rows (three trainings in all; two without
    ``early_stopping``, when the kept pilot is the estimate), and not at all
    when the kept pilot stayed at its Gaussian base. Why these nets and this rule: ``benchmarks/archive/README.md``,
    "Choosing on pilots".

    Options: those of `FMMI` (`fmmi.config.MIOptions`), with ``activation``,
    ``select`` and ``pilot_steps`` as in `fmmi.config.DefaultOptions`.

    Attributes:
        estimator_: The fitted `FMMI` when no pilot ran (None otherwise).
        selection_: The `fmmi.Selection` when pilots ran (None otherwise): one per candidate net, or
            the one net's pilot; ``selection_.result`` is the estimate.
        device_: The torch device that ``device`` resolved to, where every net of the fit trained.
        mixed_precision_: What ``mixed_precision`` resolved to on this machine.

    Example:
        >>> import numpy as np, fmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=2000)
        >>> y = x + rng.normal(size=2000)          # true MI = ½ log 2 ≈ 0.347 nats
        >>> est = fmmi.AutoFMMI(steps=600, hidden=128, lr=3e-3, n_folds=3, random_state=0)
        >>> r = est.fit_estimate(x, y)
        >>> r.unit, r.interval_kind, r.options["activation"], abs(r.value - 0.3466) < 0.1
        ('nats', 'crossfit', 'tanh', True)
    """

    def _pilots_measured(self) -> bool:
        """Where pilots were measured, so where ``select="auto"`` runs them: jFMMI in a single process."""
        return self.select == "auto" and self.variant == "joint" and not distributed.is_distributed()

    def chooses_net(self, n_columns: int) -> bool:
        """Whether a fit on data of ``n_columns`` columns in all (dim_x + dim_y) chooses the net."""
        if self.select != "auto":
            return bool(self.select)
        return self._pilots_measured() and self.activation is None and n_columns <= SELECT_MAX_COLUMNS

    def gates_on_pilot(self) -> bool:
        """Whether a fit of one net (no choice of net) first trains one pilot of it, which decides whether the
        folds train at all: with ``select="auto"``, jFMMI, a Gaussian base, early stopping, the crossfit
        interval, a positive ``steps`` and a single process."""
        return (
            self._pilots_measured()
            and self.gaussian_base
            and self.early_stopping
            and self.interval == "crossfit"
            and self.steps > 0
        )

    def trains_pilots(self, n_columns: int) -> bool:
        """Whether a fit on data of ``n_columns`` columns in all trains pilots (``pilot_steps`` each): the two
        that choose the net (`chooses_net`), or the one net's pilot (`gates_on_pilot`)."""
        return self.chooses_net(n_columns) or self.gates_on_pilot()

    def fit_estimate(self, x: Any, y: Any) -> MIResult:
        """Choose the net if called for, fit it on the rows of ``x`` (n, dim_x) and ``y`` (n, dim_y), estimate.

        ``result.seconds`` counts the pilots too; the kept net is ``result.options["activation"]``.
        """
        self.check()
        x, y = check_pair(x, y)
        start = time.perf_counter()
        options = self.mi_options()
        self.estimator_, self.selection_ = None, None
        self.device_ = resolve_device(self.device)
        self.mixed_precision_ = resolve_mixed_precision(self.mixed_precision, self.device_, self.dtype)
        escalate_from = None
        if self.chooses_net(x.shape[1] + y.shape[1]):
            candidates = net_candidates(self.coupling, x.shape[1], y.shape[1], self.depth)
            escalate_from = min(ESCALATE_FROM, len(candidates))
        else:
            if options.activation is None:
                options.activation = MIOptions.activation
            if not self.gates_on_pilot():
                self.estimator_ = FMMI(**option_values(options))
                return self.estimator_._fit_estimate((x, y))
            candidates = ({"activation": options.activation},)
        seed = self.random_state
        if isinstance(seed, torch.Generator):  # one integer, so that every candidate gets the same rows and draws
            seed = int(torch.randint(2**62, (1,), generator=seed))
        shared = {k: v for k, v in option_values(options).items() if k not in ("activation", "random_state")}
        self.selection_ = choose(
            x,
            y,
            candidates,
            pilot_steps=self.pilot_steps or self.steps,
            escalate_from=escalate_from,
            random_state=seed,
            **shared,
        )
        return dataclasses.replace(self.selection_.result, seconds=time.perf_counter() - start)


def estimate_mi(
    x: Any,
    y: Any,
    **options: Any,
) -> MIResult:
    """Mutual information ``I(X;Y)`` in nats, with a 95% interval: ``AutoFMMI(**options).fit_estimate(x, y)``.

    Args:
        x: Samples of X, shape (n_samples, dim_x) or (n_samples,). Numpy array,
            torch tensor, list or pandas object.
        y: Paired samples of Y, shape (n_samples, dim_y) or (n_samples,).
        **options: Those of `AutoFMMI` (`fmmi.config.DefaultOptions`): ``random_state`` (an integer
            seed for a repeatable run: same seed, same value on CPU; a generator gives the choice of
            net one integer seed drawn from it), ``device``, ``select``, ``pilot_steps`` and every
            option of `FMMI`.

    Returns:
        `MIResult`; ``float(result)`` is the estimate, ``result.interval_kind``
        names what its interval covers.

    Raises:
        ValueError: for unusable data, named in the message: different row
            counts, NaN or infinite values, constant columns, too few rows
            for the split, or a continuous column that x and y both hold
            (its MI with itself is infinite); for an option out of range.
        TypeError: for non-numeric data or an unknown option.

    Example:
        >>> import numpy as np, fmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=2000)
        >>> y = x + rng.normal(size=2000)          # true MI = ½ log 2 ≈ 0.347 nats
        >>> r = fmmi.estimate_mi(x, y, steps=600, hidden=128, lr=3e-3, n_folds=3, random_state=0)
        >>> r.unit, r.interval_kind, r.options["activation"], abs(r.value - 0.3466) < 0.1
        ('nats', 'crossfit', 'tanh', True)
    """
    return AutoFMMI(**options).fit_estimate(x, y)
