"""Choosing between configurations of `FMMI` on the data itself, by the held-out flow-matching loss.

No single net suits every dependence: a SiLU net fits sharp, low-dimensional
dependence (spirals) that the default tanh net underestimates, and overshoots
some Gaussian and heavy-tailed dependence that tanh reads well
(``benchmarks/archive/README.md``, "Held-out flow-matching loss"). The true MI is unknown in use, but the
flow-matching loss on rows a net did not train on is not: it is the squared
distance of the net's velocity to the exact one, plus a constant set by the
data. `select` fits each candidate with the same seed (so the same folds and
the same loss draws), pairs the candidates' losses row by row, and keeps the
first candidate unless another fits clearly better. With ``pilot_steps``, the
comparison is made on one training per candidate instead (a pilot) and only
the kept candidate is fitted in full.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from .._checks import check_pair, check_positive_int, make_generator
from ..checkpoints import recorded_seed
from ..config import CANDIDATES, problem_options
from ..curves import paired_mean
from ..exceptions import OverfitWarning, UnderfitWarning
from ..result import MIResult
from .fmmi import FMMI

__all__ = ["SHARED_OPTIONS", "Pilot", "Selection", "choose", "fit_pilots", "keep", "pilot_losses", "select", "widened"]

# Options that define the flow-matching problem (endpoints, path, preprocessing, folds, seed): with
# different ones the losses would measure fits of different flows on different rows, so every
# candidate must share them (`fmmi.config.problem_options`).
SHARED_OPTIONS = problem_options()

T = TypeVar("T")


@dataclass(frozen=True)
class Selection:
    """What `select` fitted and which configuration it kept.

    Attributes:
        result: The kept candidate's estimate (`MIResult`, nats).
        chosen: Its index in ``candidates``.
        candidates: The options of each candidate (on top of the shared ones); with
            ``escalate_from``, those piloted only (the others were not tried).
        results: Every candidate's estimate, in order (with ``pilot_steps``,
            only the kept one was fitted in full; the others are None).
        losses: Mean held-out flow-matching loss of each candidate (with
            ``pilot_steps``, of its pilot).
        gaps: Mean paired loss difference of each candidate against the
            first (0 for the first; negative: a better fit).
        gap_stderrs: Standard errors of ``gaps`` (of a paired mean over the rows).
        pilot_steps: Training steps of the pilots the choice was made on, or
            None when every candidate was fitted in full.
        pilot_results: With ``pilot_steps``, each pilot's own estimate (one
            training, Monte-Carlo interval, nats); None otherwise.
        lowest_results: When the kept pilot stayed at its Gaussian base, each
            pilot's estimate with its net read at its lowest validation record
            (`Pilot.lowest`; None for a pilot with no lower record than its
            start, or one that learned), whose intervals ``result``'s was widened
            to hold; None otherwise.
    """

    result: MIResult
    chosen: int
    candidates: tuple[dict, ...]
    results: tuple[MIResult | None, ...]
    losses: tuple[float, ...]
    gaps: tuple[float, ...]
    gap_stderrs: tuple[float, ...]
    pilot_steps: int | None = None
    pilot_results: tuple[MIResult, ...] | None = None
    lowest_results: tuple[MIResult | None, ...] | None = None


@dataclass(frozen=True)
class Pilot:
    """One pilot of `fit_pilots`: its estimate (`MIResult`, nats), its per-row held-out losses, whether
    early stopping left every net of it at the start (its Gaussian base alone), and the warnings of its
    fit checks, held back (`OverfitWarning`, `UnderfitWarning`; raised only if the pilot is the estimate).
    ``lowest``: for a pilot left at its base over a lower validation record that was not clearly lower, its
    estimate with its net read at that record; None otherwise (also where no record was lower than the start's)."""

    result: MIResult
    losses: np.ndarray
    base_only: bool = False
    held: tuple[warnings.WarningMessage, ...] = ()
    lowest: MIResult | None = None


def keep(losses: Sequence[np.ndarray], margin: float = 2.0) -> tuple[int, list[float], list[float]]:
    """The rule of `select` on per-row held-out losses paired across candidates (the first is the reference).

    Returns the kept index, each candidate's mean paired loss difference against the first, and its
    standard error; another candidate replaces the first only if its mean is lower by more than
    ``margin`` standard errors, and among those the lowest mean wins.
    """
    gaps, stderrs = [], []
    for loss in losses:
        gap, stderr = paired_mean(np.asarray(loss) - np.asarray(losses[0]))
        gaps.append(gap)
        stderrs.append(stderr)
    better = [i for i in range(1, len(losses)) if gaps[i] < -margin * stderrs[i]]
    return (min(better, key=lambda i: gaps[i]) if better else 0), gaps, stderrs


def widened(result: MIResult, other: MIResult) -> MIResult:
    """``result`` with its interval widened, where needed, to hold ``other``'s (value and stderr unchanged).

    What `choose` does to the Gaussian base's estimate when the kept pilot's net was not clearly better than
    its base, once per pilot with a lower record than its start: the base reads the MI of a Gaussian
    copula, and its interval (over the folds' bases) carries the base's sampling error, not its bias where
    the copula is not Gaussian. A pilot's net at its lowest validation record is a fit the held-out rows
    could not tell from the base, so its estimate (`Pilot.lowest`, with its Monte-Carlo interval) is as
    plausible; the interval holds them all.
    """
    low, high = result.interval
    return dataclasses.replace(result, interval=(min(low, other.interval[0]), max(high, other.interval[1])))


def _holding_fit_checks(fit: Callable[[], T]) -> tuple[T, tuple[warnings.WarningMessage, ...]]:
    """``fit()``, with the warnings of its fit checks (`OverfitWarning`, `UnderfitWarning`) held back and
    returned: a pilot or a refused candidate is not the estimate, so only the kept fit's are raised.
    Every other warning is raised as it came."""
    with warnings.catch_warnings(record=True) as caught:
        value = fit()
    held = tuple(w for w in caught if issubclass(w.category, (OverfitWarning, UnderfitWarning)))
    for w in caught:
        if w not in held:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return value, held


def _check_pilot_steps(steps: Any) -> None:
    check_positive_int(steps, "pilot_steps", "a positive integer or None")


def _recorded_seed(folder: str | os.PathLike | None, n_candidates: int) -> int | None:
    """The seed an earlier run of this selection recorded in a candidate's checkpoint folder, if any.

    A folder with no record yet, or an unreadable one, is passed over: FMMI names the problem when it
    opens the folder.
    """
    if folder is None:
        return None
    seeds = (recorded_seed(os.path.join(folder, f"candidate{i}")) for i in range(n_candidates))
    return next((seed for seed in seeds if seed is not None), None)


def _pilot_is_the_fit(estimator: FMMI, pilot_steps: int) -> bool:
    """Whether the full fit would repeat its pilot: one training of as many steps, nothing to resume, stopped
    on the same rows (a pilot's early stopping reads its held-out half)."""
    return (
        estimator.interval == "monte_carlo"
        and estimator.steps == pilot_steps
        and estimator.checkpoint_dir is None
        and (not estimator.early_stopping or estimator.validation == "held_out")
    )


def fit_pilots(
    x: Any,
    y: Any,
    candidates: Sequence[Mapping[str, Any]],
    pilot_steps: int,
    *,
    random_state: int,
    **options: Any,
) -> list[Pilot]:
    """One training of each candidate (the pilots of `select`): its estimate and its per-row held-out losses.

    Each candidate is ``FMMI(**options, **candidate, steps=pilot_steps,
    interval="monte_carlo", random_state=random_state)`` fitted with
    `FMMI.fit_estimate`: one training on part of the rows (``test_size``),
    the estimate and the losses on the rest; the seed gives every candidate
    the same split and draws, so the losses pair row by row (see `keep`).
    Checkpoint options are dropped: a pilot is not resumed.
    """
    _check_pilot_steps(pilot_steps)
    return _pilots(*check_pair(x, y), candidates, pilot_steps, random_state=random_state, **options)


def _pilots(x, y, candidates, pilot_steps, *, random_state, escalate_from=None, **options) -> list[Pilot]:
    """`fit_pilots` on validated arrays; from index ``escalate_from`` on, a candidate is piloted only if an
    earlier pilot learned beyond its Gaussian base (the list stops at the first one not piloted)."""
    shared = {k: v for k, v in options.items() if k not in ("checkpoint_dir", "checkpoint_every")}
    # With the Monte-Carlo interval the kept pilot can be the estimate itself (`choose`), so each pilot
    # checks its flow's samples as that fit would; with cross-fitting the folds check theirs.
    check = options.get("sample_check", FMMI.sample_check) and options.get("interval") == "monte_carlo"
    pilots = []
    for i, candidate in enumerate(candidates):
        if escalate_from is not None and i >= escalate_from and all(p.base_only for p in pilots):
            break
        # A pilot's held-out half chooses the net; it also decides when the pilot stops (more rows than
        # a share of its training half, so a small gain over the Gaussian base is seen).
        pilot = {"steps": int(pilot_steps), "interval": "monte_carlo", "validation": "held_out", "sample_check": check}
        estimator = FMMI(**{**shared, **candidate, **pilot}, random_state=random_state)
        result, held = _holding_fit_checks(lambda: estimator._fit_estimate((x, y)))
        stopped = estimator.stopping_[0]
        base_only = all(s is not None and s.kept_step == 0 for s in stopped) and estimator.gaussian_base
        lowest = estimator.lowest_result_ if base_only else None
        pilots.append(
            Pilot(result=result, losses=estimator.held_out_losses_, base_only=base_only, held=held, lowest=lowest)
        )
    return pilots


def pilot_losses(
    x: Any,
    y: Any,
    candidates: Sequence[Mapping[str, Any]],
    pilot_steps: int,
    *,
    random_state: int,
    **options: Any,
) -> list[np.ndarray]:
    """Per-row held-out flow-matching losses of the pilots of `fit_pilots` (the same arguments)."""
    return [pilot.losses for pilot in fit_pilots(x, y, candidates, pilot_steps, random_state=random_state, **options)]


def select(
    x: Any,
    y: Any,
    candidates: Sequence[Mapping[str, Any]] = CANDIDATES,
    *,
    margin: float = 2.0,
    pilot_steps: int | None = None,
    escalate_from: int | None = None,
    random_state: int | None = None,
    **options: Any,
) -> Selection:
    """Estimate ``I(X;Y)`` with each candidate configuration and keep the best fit.

    Each candidate is ``FMMI(**options, **candidate, random_state=seed)``
    fitted with `FMMI.fit_estimate`, so they share the folds and the draws
    on which every held-out row's flow-matching loss is computed
    (``held_out_losses_``). The first candidate is the reference; another
    replaces it only if its mean loss is lower by more than ``margin``
    standard errors of the paired difference, and among those the lowest
    mean loss wins. Costs the sum of the candidates' fits (with the default
    candidates, twice `estimate_mi`).

    With ``pilot_steps``, each candidate is first trained for only that many
    steps (``interval="monte_carlo"``: one training on half of the rows, its
    loss scored on the other half, the same split for every candidate), the
    rule above is applied to these pilots' losses, and only the kept
    candidate is then fitted in full (each pilot's own estimate is kept in
    ``pilot_results``; with ``interval="monte_carlo"`` and pilots of the full
    fit's steps, the kept pilot is that fit and is not trained again). With
    pilots of as many steps as the full fit this is what `fmmi.AutoFMMI`
    does. Shorter pilots cost less and see only the early fit, which can
    keep the wrong net (``benchmarks/archive/README.md``, "Choosing on pilots").
    When early stopping left the kept pilot's nets at their start (the
    Gaussian base alone, `Pilot.base_only`), the full fit trains no net: it
    reads the base alone on its folds (``steps=0``, in ``result.options``),
    and where a pilot's net had a lower validation record than its start
    (not clearly lower), the interval is widened to hold that of the net
    read at that record (`widened`: the base is blind to dependence that no
    Gaussian copula carries, and the held-out rows could not tell these
    nets from it); otherwise the pilot has shown that the net learns beyond its base, and
    the full fit's nets keep their lowest validation record without asking
    that again on their fewer validation rows (``stopping_margin=0``).

    A better fit of the velocity does not always give a better MI (the
    estimate rests on the divergence): on some heavy-tailed tasks SiLU fits
    better and still overshoots where tanh is closer (``benchmarks/archive/README.md``,
    "Held-out flow-matching loss").

    Args:
        x: Samples of X, shape (n_samples, dim_x) or (n_samples,).
        y: Paired samples of Y, shape (n_samples, dim_y) or (n_samples,).
        candidates: Options per candidate, on top of ``options``; none may set
            one of `SHARED_OPTIONS`.
        margin: Paired standard errors by which a candidate must beat the
            first one (0: the lowest mean loss wins).
        pilot_steps: Choose on pilots of this many training steps, then fit
            only the kept candidate in full; None (the default) fits every
            candidate in full and chooses on those fits.
        escalate_from: With ``pilot_steps``: the candidates from this index on
            are piloted only if an earlier pilot learned beyond its Gaussian
            base (`Pilot.base_only` false), so a larger net is not tried where
            the first ones found nothing the held-out rows confirm; the
            `Selection` then lists the candidates piloted. None (the default)
            pilots every candidate.
        random_state: An integer seed shared by every candidate, or None to
            draw one (reported in each result; with a ``checkpoint_dir`` that
            an earlier run of the same call wrote, that run's seed, so that
            the rerun resumes it).
        **options: `FMMI` options shared by every candidate (a ``checkpoint_dir``
            gets one subfolder per candidate, ``candidate0``, ``candidate1``...;
            pilots are not checkpointed: a rerun trains them again, with the
            same seed, and resumes the kept candidate's full fit).

    Returns:
        A `Selection`; ``selection.result`` is the kept estimate.

    Raises:
        ValueError: no candidate, a candidate that sets a shared option, a
            negative margin, a ``pilot_steps`` that is not a positive integer,
            or an ``escalate_from`` without ``pilot_steps`` or out of 1 to
            ``len(candidates)``.
        TypeError: a candidate that is not a mapping, or a ``random_state``
            that is not an integer (a generator would give each candidate
            other folds).
    """
    return choose(
        *check_pair(x, y),
        candidates,
        margin=margin,
        pilot_steps=pilot_steps,
        escalate_from=escalate_from,
        random_state=random_state,
        **options,
    )


def choose(
    x: np.ndarray,
    y: np.ndarray,
    candidates: Sequence[Mapping[str, Any]] = CANDIDATES,
    *,
    margin: float = 2.0,
    pilot_steps: int | None = None,
    escalate_from: int | None = None,
    random_state: int | None = None,
    **options: Any,
) -> Selection:
    """`select` on arrays that `fmmi._checks.check_pair` already validated (the data are checked once per call)."""
    candidates = tuple(candidates)
    if not candidates:
        raise ValueError("candidates is empty; give at least one dict of FMMI options")
    for i, candidate in enumerate(candidates):
        if not isinstance(candidate, Mapping):
            raise TypeError(f"candidate {i} must be a dict of FMMI options, got {type(candidate).__name__}")
        shared = sorted(SHARED_OPTIONS & set(candidate))
        if shared:
            raise ValueError(
                f"candidate {i} sets {shared}: these change the flow, the preprocessing or the folds, so the "
                "candidates' losses would not compare; pass them once, as options shared by all candidates"
            )
    if not isinstance(margin, numbers.Real) or not margin >= 0:
        raise ValueError(f"margin must be a non-negative number of standard errors, got {margin!r}")
    if random_state is not None and (not isinstance(random_state, numbers.Integral) or isinstance(random_state, bool)):
        raise TypeError(
            f"random_state must be an int or None, got {type(random_state).__name__}: "
            "every candidate needs the same folds, so they share an integer seed"
        )
    if pilot_steps is not None:
        _check_pilot_steps(pilot_steps)  # before anything is trained
    if escalate_from is not None:
        if pilot_steps is None:
            raise ValueError("escalate_from needs pilot_steps: it decides which candidates are piloted")
        if not isinstance(escalate_from, numbers.Integral) or not 1 <= escalate_from <= len(candidates):
            raise ValueError(
                f"escalate_from must be an index of candidates from 1 to {len(candidates)}, got {escalate_from!r}"
            )
    if random_state is None:  # a rerun into the same checkpoint folder resumes the run it started
        random_state = _recorded_seed(options.get("checkpoint_dir"), len(candidates))
    _, seed = make_generator(random_state)
    FMMI(**options).check()  # every shared option, before anything is trained

    def full(i: int) -> FMMI:
        own = dict(options)
        if own.get("checkpoint_dir") is not None:  # a folder per candidate: each run resumes its own
            own["checkpoint_dir"] = os.path.join(own["checkpoint_dir"], f"candidate{i}")
        return FMMI(**{**own, **candidates[i]}, random_state=seed)

    results: list[MIResult | None] = []
    held: list[tuple[warnings.WarningMessage, ...]] = []  # each fit's own check, raised only for the kept one
    pilots = None
    if pilot_steps is None:
        losses = []
        for i in range(len(candidates)):
            estimator = full(i)
            result, notes = _holding_fit_checks(lambda: estimator._fit_estimate((x, y)))
            results.append(result)
            held.append(notes)
            losses.append(estimator.held_out_losses_)
    else:
        pilots = _pilots(x, y, candidates, pilot_steps, random_state=seed, escalate_from=escalate_from, **options)
        candidates = candidates[: len(pilots)]  # those not piloted were not tried
        losses = [pilot.losses for pilot in pilots]
        results = [None] * len(candidates)
        held = [pilot.held for pilot in pilots]
    chosen, gaps, stderrs = keep(losses, margin)
    if pilot_steps is not None:
        kept = full(chosen)
        if pilots[chosen].base_only:
            # Its net learned nothing the held-out rows confirm: the full fit reads the base alone.
            kept.set_params(steps=0)
        elif kept.early_stopping:
            # Its held-out half (more rows than a fold's validation share) showed that the net learns
            # beyond the base: each fold keeps its lowest validation record, rather than ask again.
            kept.set_params(stopping_margin=0.0)
        if _pilot_is_the_fit(kept, pilot_steps) or (pilots[chosen].base_only and kept.interval == "monte_carlo"):
            results[chosen] = pilots[chosen].result  # the same training with the same seed: not run twice
        else:
            results[chosen], held[chosen] = _holding_fit_checks(lambda: kept._fit_estimate((x, y)))
        if pilots[chosen].base_only:
            for pilot in pilots:
                if pilot.lowest is not None:
                    results[chosen] = widened(results[chosen], pilot.lowest)
    for note in held[chosen]:
        warnings.warn(note.message, note.category, stacklevel=2)
    return Selection(
        result=results[chosen],
        chosen=chosen,
        candidates=tuple(dict(c) for c in candidates),
        results=tuple(results),
        losses=tuple(float(np.mean(loss)) for loss in losses),
        gaps=tuple(gaps),
        gap_stderrs=tuple(stderrs),
        pilot_steps=None if pilot_steps is None else int(pilot_steps),
        pilot_results=None if pilots is None else tuple(pilot.result for pilot in pilots),
        lowest_results=tuple(p.lowest for p in pilots) if pilots and pilots[chosen].base_only else None,
    )
