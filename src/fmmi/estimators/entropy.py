"""Differential entropies by flow matching (FMDoE)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_matrix
from ..config import FlowOptions
from ..result import MIResult
from ..terms import EntropyDifferenceTerm, EntropyTerm
from ._base import FlowEstimator

__all__ = ["FlowEntropy", "entropy", "entropy_difference"]


class FlowEntropy(FlowOptions, FlowEstimator):
    """Differential entropy ``h(X)`` in nats from a flow out of ``N(0, I)``.

    ``h(P) = d/2 log(2πe) + ∫_0^1 E[div v(Z_t, t)] dt`` for a velocity that
    carries ``N(0, I_d)`` to ``P``; standardising the columns by their scales
    ``s_j`` is undone by adding ``Σ log s_j``. Options: `fmmi.config.FlowOptions`
    (those of `FMMI` less its MI-specific ones). With ``gaussian_base`` (default), the net
    learns the residual of the exact flow from ``N(0, I)`` to ``N(0, S)`` (S
    the training rows' covariance), whose part ``½ log det S`` is exact (with
    its Wishart bias removed).
    """

    method = "FMDoE entropy"

    def _terms(self, data):
        return [(1.0, EntropyTerm, data)]

    def fit(self, x: Any) -> FlowEntropy:
        """Train on all rows of ``x`` (n, d)."""
        self._fit((as_matrix(x, "x"),))
        return self

    def estimate(self, x: Any) -> MIResult:
        """Entropy in nats on rows the net did not train on (Monte-Carlo interval)."""
        return self._estimate((as_matrix(x, "x"),))

    def fit_estimate(self, x: Any) -> MIResult:
        """Split, fit and estimate; see `FMMI.fit_estimate`."""
        return self._fit_estimate((as_matrix(x, "x"),))


class FlowEntropyDifference(FlowOptions, FlowEstimator):
    """``h(b) - h(a)`` in nats from one flow carrying samples of a to samples of b.

    The two samples need not have the same number of rows; each is split on
    its own.
    """

    method = "FMDoE entropy difference"

    _data_names = ("a", "b")

    def _terms(self, data):
        return [(1.0, EntropyDifferenceTerm, data)]

    def _row_counts(self, data):
        return (data[0].shape[0], data[1].shape[0])

    def _take(self, data, rows):
        return (data[0][rows[0]], data[1][rows[1]])

    def fit(self, a: Any, b: Any) -> FlowEntropyDifference:
        """Train the flow from all rows of ``a`` (n_a, d) to all rows of ``b`` (n_b, d)."""
        self._fit(_check_two_samples(a, b))
        return self

    def estimate(self, a: Any, b: Any) -> MIResult:
        """``h(b) - h(a)`` in nats on rows the net did not train on (Monte-Carlo interval)."""
        return self._estimate(_check_two_samples(a, b))

    def fit_estimate(self, a: Any, b: Any) -> MIResult:
        """Split each sample, fit, and estimate on unseen rows; see `FMMI.fit_estimate`."""
        return self._fit_estimate(_check_two_samples(a, b))


def _check_two_samples(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_matrix(a, "a"), as_matrix(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same dimension, got {a.shape[1]} and {b.shape[1]}")
    return a, b


def entropy(
    x: Any,
    **options: Any,
) -> MIResult:
    """Differential entropy ``h(X)`` in nats, with a 95% interval (see `FlowEntropy`).

    Args:
        x: Samples, shape (n_samples, d) or (n_samples,).
        **options: Those of `FlowEntropy` (``random_state``, ``device``...; `fmmi.config.FlowOptions`).
    """
    return FlowEntropy(**options).fit_estimate(x)


def entropy_difference(
    a: Any,
    b: Any,
    **options: Any,
) -> MIResult:
    """``h(b) - h(a)`` in nats from a flow between the two samples (see `FlowEntropyDifference`).

    Args:
        a: Samples of the source, (n_a, d). b: Samples of the target, (n_b, d).
        **options: Those of `FlowEntropyDifference` (`fmmi.config.FlowOptions`).
    """
    return FlowEntropyDifference(**options).fit_estimate(a, b)
