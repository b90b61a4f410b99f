"""The checks a flow estimator runs on its own fit, once every split is trained and read.

Three, each in its module: the overfit check (`fmmi.fit_check`: nets that move the estimate without
fitting held-out rows better than their Gaussian base), the sample check (`fmmi.sample_check`: the
trained flow's samples against held-out rows) and the base check (`fmmi.base_check`: where every net
stayed at its base, dependence in the held-out rows that the base does not carry). Each issues its
warning here; the notes go into ``result.warnings``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np

from ..base_check import BASE_CHECK_ROWS, base_note
from ..exceptions import OverfitWarning, UnderfitWarning
from ..fit_check import overfit_note
from ..sample_check import CHECK_ROWS, checks, flow_samples, underfit_note
from ..terms import Term

__all__ = ["fit_check_notes"]


def fit_check_notes(estimator, data: tuple[np.ndarray, ...], splits: list, fold_values: list[float]) -> tuple:
    """Run the checks on a fitted estimator and warn: ``(notes, beyond_base)``, the words of every warning and
    whether the base check found dependence that the base does not carry (the interval is then unbounded)."""
    overfit = overfit_note(estimator.method, estimator.fold_flows_, fold_values)
    for note in overfit:
        warnings.warn(note, OverfitWarning, stacklevel=4)
    underfit, beyond = (), ()
    if estimator.options_.sample_check:
        samples = [flow_samples(term, arrays, seed=split) for split, term, arrays in _held_out(estimator, data, splits)]
        underfit = underfit_note(estimator.method, samples)
        beyond = base_note(estimator.method, _base_rows(estimator, data, splits))
    for note in underfit + beyond:
        warnings.warn(note, UnderfitWarning, stacklevel=4)
    return overfit + underfit + beyond, bool(beyond)


def _held_out(estimator, data, splits, rows_in_all: int = CHECK_ROWS) -> Iterator[tuple[int, Term, tuple]]:
    """Each checked split's index, jFMMI term and up to ``rows_in_all / len(splits)`` of its held-out rows in its
    preprocessed coordinates; splits trained by other processes are left out."""
    rows = rows_in_all // len(splits)
    for split, ((_, eval_rows), terms) in enumerate(zip(splits, estimator.fold_flows_)):
        if terms is None or not checks(terms):
            continue
        held_out = estimator._take(data, tuple(r[:rows] for r in eval_rows))
        ((_, _, arrays),) = estimator._terms(estimator._preprocess(estimator.preprocessing_[split], held_out))
        yield split, terms[0][1], arrays


def _base_rows(estimator, data, splits) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each split's held-out ``(x, y)`` in its flow's coordinates, up to `BASE_CHECK_ROWS` in all, for the base check;
    [] unless every split trained here is a jFMMI flow whose net stayed at its Gaussian base."""
    trained = [terms for terms in estimator.fold_flows_ if terms is not None]
    if not trained or not all(checks(terms) and terms[0][1].at_base for terms in trained):
        return []
    parts = []
    for _, term, arrays in _held_out(estimator, data, splits, BASE_CHECK_ROWS):
        x, y = term.tensors(list(arrays))
        parts.append((x.cpu().double().numpy(), y.cpu().double().numpy()))
    return parts
