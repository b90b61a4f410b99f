"""The two intervals of an estimate (named on every result by ``interval_kind``).

* ``"monte_carlo"``: one train / held-out split, one net per term; the
  standard error is the Monte-Carlo error of the average over held-out units
  and, for a term with a Gaussian base, the base's sampling error
  (``Σ ρ_i² / n_train`` over its canonical correlations; see
  `fmmi.gaussian_base.mi_moments`), added in quadrature. Cheap, but blind to
  the variability of the training and to the non-Gaussian part of the
  data's, which can be larger.
* ``"crossfit"``: K-fold cross-fitting. Each fold is estimated by nets
  trained on the other K - 1 folds, so every row is used for the estimate
  once. The estimate is the mean of the K fold estimates. Its standard error
  is the delete-a-group jackknife's, ``(K - 1) / sqrt(K)`` times the standard
  deviation of the fold estimates, and the 95% interval uses Student's t with
  K - 1 degrees of freedom. Why the jackknife and not ``sd / sqrt(K)``: a
  fold estimate inherits most of its error from the rows its nets were
  trained on, and any two folds share (K - 2) / (K - 1) of those rows, so the
  fold estimates move together, and the naive interval undercovers (the
  coverage study, ``benchmarks/archive/README.md``). Each fold estimate is a
  leave-one-group-out estimate, which is exactly the jackknife's setting. The
  jackknife is conservative for the parts of the error that are independent
  across folds (held-out rows, Monte-Carlo, optimisation noise). It costs K
  trainings instead of one.

Where the default keeps the Gaussian base alone, it widens the interval to
hold a second reading, the net at its lowest validation record
(`fmmi.estimators.selection.widened`): the interval is then no longer
``value ± t · stderr``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from .integrate import mean_and_stderr

__all__ = ["Interval", "crossfit_interval", "monte_carlo_interval"]

Interval = tuple[float, float, tuple[float, float]]  # value, standard error, 95% interval


def monte_carlo_interval(values: np.ndarray, base_variance: float = 0.0) -> Interval:
    """Mean of per-unit ``values`` with its normal 95% interval; ``base_variance`` is added in quadrature."""
    value, stderr = mean_and_stderr(values)
    stderr = math.sqrt(stderr**2 + base_variance)
    half = float(stats.norm.ppf(0.975)) * stderr
    return value, stderr, (value - half, value + half)


def crossfit_interval(fold_values: Sequence[float]) -> Interval:
    """Mean of K fold estimates with the delete-a-group jackknife's standard error and Student's t interval."""
    k = len(fold_values)
    value = float(np.mean(fold_values))
    stderr = float((k - 1) / math.sqrt(k) * np.std(fold_values, ddof=1))
    half = float(stats.t.ppf(0.975, k - 1)) * stderr
    return value, stderr, (value - half, value + half)
