"""The pipeline every flow-matching estimator runs: data in, splits, terms trained and read, result out.

An estimate is a signed sum of terms (`fmmi.terms`); each is fitted on
training rows and read on rows it never saw. `FlowEstimator.fit_estimate`
splits the rows (K folds, or one train / held-out split), fits and reads each
split's terms, runs the fit check (`fmmi.fit_check`) and builds the interval
(`fmmi.intervals`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from typing import Any, ClassVar

import numpy as np
import torch

from .. import distributed
from .._checks import (
    check_positive_int,
    dequantize,
    make_generator,
    resolve_device,
    resolve_mixed_precision,
    warn_if_discrete,
)
from ..base_check import unbounded
from ..checkpoints import fingerprint, open_run
from ..config import FlowOptions, option_values
from ..intervals import crossfit_interval, monte_carlo_interval
from ..nn import VelocityMLP
from ..paths import get_path
from ..result import MIResult
from ..terms import Runtime, Term
from ._fit_checks import fit_check_notes
from .params import Params

__all__ = ["FlowEstimator", "MIN_ROWS"]

# Fewest rows on each side of a split.
MIN_ROWS = 8
# Draws per held-out row for `held_out_losses_`, from a stream seeded with the split's index alone,
# so that two configurations fitted with the same random_state (the same splits) are scored on the
# same draws; its own stream leaves the estimate's random draws untouched.
LOSS_DRAWS = 4

Terms = list[tuple[float, Term]]


class FlowEstimator(Params):
    """Base class of the flow estimators: splitting, fitting and reading the terms, the interval.

    A subclass is also a dataclass of options (`fmmi.config`), defines ``method`` (a name),
    ``_terms(data)`` (the signed terms over the rows of ``data``) and the public ``fit`` /
    ``estimate`` / ``fit_estimate``, which validate their inputs once and call the
    ``_fit`` / ``_estimate`` / ``_fit_estimate`` methods here.
    """

    method: ClassVar[str] = ""
    # The options class the estimator is built on (its fields are the estimator's options).
    _options: ClassVar[type[FlowOptions]] = FlowOptions
    # Names of the arrays in messages, in the order the subclass passes them.
    _data_names: ClassVar[tuple[str, ...]] = ("x", "y", "z")

    # -- what subclasses define ---------------------------------------------

    def _terms(self, data: tuple[np.ndarray, ...]) -> list[tuple[float, type[Term], tuple[np.ndarray, ...]]]:
        raise NotImplementedError

    def _row_counts(self, data: tuple[np.ndarray, ...]) -> tuple[int, ...]:
        """Rows of each independently split group (one group: aligned arrays)."""
        return (data[0].shape[0],)

    def _take(self, data: tuple[np.ndarray, ...], rows: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """The rows ``rows`` (one index array per group) of ``data``."""
        return tuple(a[rows[0]] for a in data)

    def _fit_preprocessing(self, data: tuple[np.ndarray, ...]) -> Any:
        """Learn a data map from training rows (none by default); see `_preprocess`."""
        return None

    def _preprocess(self, state: Any, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Apply the map learned by `_fit_preprocessing` (identity by default)."""
        return data

    # -- one run ------------------------------------------------------------

    def _start(self, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Check the options once, then resolve seed, device and checkpoint folder; returns the data to use."""
        # A snapshot of the options, checked once: the run reads these, not the estimator.
        options = self._options(**option_values(self, self._options))
        options.check()
        self.options_ = options
        seed, digest = self.random_state, ""
        if self.checkpoint_dir is not None:
            digest = fingerprint(type(self).__name__, self.get_params(), data)
            seed = open_run(self.checkpoint_dir, digest, self.random_state)
        if distributed.is_distributed() and not isinstance(seed, torch.Generator):
            seed = distributed.broadcast_seed(seed)  # every rank must make the same splits
        self.generator_, self.random_state_ = make_generator(seed)
        self.device_ = resolve_device(self.device)
        self.mixed_precision_ = resolve_mixed_precision(self.mixed_precision, self.device_, self.dtype)
        self.runtime_ = Runtime(self.generator_, self.device_, self.mixed_precision_, digest)
        return self._dequantize(data)

    def _dequantize(self, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        if self.options_.dequantize:
            return tuple(dequantize(a, self.generator_) for a in data)
        for i, a in enumerate(data):
            warn_if_discrete(a, self._data_names[i] if i < len(self._data_names) else f"input {i}")
        return data

    def _fit_terms(
        self,
        data: tuple[np.ndarray, ...],
        label: str = "",
        key: str = "fit",
        held_out: tuple[np.ndarray, ...] | None = None,
    ) -> Terms:
        """Fit each term; with ``held_out`` rows, each traces its loss on them while it trains."""
        state = self._fit_preprocessing(data)
        self.preprocessing_.append(state)
        data = self._preprocess(state, data)
        terms = self._terms(data)
        held = [None] * len(terms)
        if held_out is not None:
            held = [arrays for _, _, arrays in self._terms(self._preprocess(state, held_out))]
        fitted = []
        for j, (coef, term, arrays) in enumerate(terms):
            parts = [p for p in (label, f"flow {j + 1}/{len(terms)}" if len(terms) > 1 else "") if p]
            desc = f"training ({', '.join(parts)})" if parts else "training"
            trained = term(self.options_, self.runtime_).fit(
                arrays, desc=desc, key=f"{key}-flow{j + 1}", held_out=held[j]
            )
            fitted.append((coef, trained))
        return fitted

    def _losses(
        self, terms: Terms, data: tuple[np.ndarray, ...], split: int, generator: torch.Generator, n_draws: int
    ) -> np.ndarray:
        """Per-unit held-out flow-matching loss, summed over the terms (units aligned as in `_read`)."""
        data = self._preprocess(self.preprocessing_[split], data)
        arrays = [arrays for _, _, arrays in self._terms(data)]
        return sum(term.flow_matching_losses(a, generator, n_draws) for (_, term), a in zip(terms, arrays))

    def _read(self, terms: Terms, data: tuple[np.ndarray, ...], split: int = 0) -> np.ndarray:
        """Per-unit values of the signed sum of the terms (units aligned by position)."""
        return sum(self._read_terms(terms, data, split))

    def _read_terms(self, terms: Terms, data: tuple[np.ndarray, ...], split: int) -> list[np.ndarray]:
        """Per-unit signed values of each term."""
        data = self._preprocess(self.preprocessing_[split], data)
        arrays = [arrays for _, _, arrays in self._terms(data)]
        return [coef * term.contributions(a) for (coef, term), a in zip(terms, arrays)]

    def _read_lowest(
        self, terms: Terms, data: tuple[np.ndarray, ...], split: int, parts: list[np.ndarray]
    ) -> np.ndarray | None:
        """Per-unit values as `_read` gives them (``parts``, per term), with each net that early stopping left
        at its start over a lower validation record read at that record (`Term.lowest_contributions`);
        None when no net was. Draws seeded by the split alone."""
        data = self._preprocess(self.preprocessing_[split], data)
        arrays = [arrays for _, _, arrays in self._terms(data)]
        generator = torch.Generator().manual_seed(split)
        lowest = [term.lowest_contributions(a, generator) for (_, term), a in zip(terms, arrays)]
        if all(values is None for values in lowest):
            return None
        return sum(part if values is None else coef * values for (coef, _), part, values in zip(terms, parts, lowest))

    # -- fit, estimate, fit_estimate -----------------------------------------

    def _fit(self, data: tuple[np.ndarray, ...]) -> None:
        for count in self._row_counts(data):
            if count < MIN_ROWS:
                raise ValueError(f"need at least {MIN_ROWS} rows to train, got {count}")
        data = self._start(data)
        self.dims_ = tuple(a.shape[1] for a in data)
        self.n_train_ = data[-1].shape[0]
        self.preprocessing_ = []
        self.flows_ = self._fit_terms(data)
        self._flows_split = 0  # the split whose preprocessing goes with flows_

    def _check_fitted(self, data: tuple[np.ndarray, ...]) -> None:
        """Refuse to read data with a net that is not trained, or of other dimensions, or too few rows."""
        if not hasattr(self, "flows_"):
            raise RuntimeError(f"this {type(self).__name__} instance is not fitted yet; call fit or fit_estimate")
        dims = tuple(a.shape[1] for a in data)
        if dims != self.dims_:
            raise ValueError(f"the estimator was fitted on data of dimensions {self.dims_}; got {dims}")
        for count in self._row_counts(data):
            if count < 2:
                raise ValueError(f"need at least 2 rows to estimate, got {count}")

    def _estimate(self, data: tuple[np.ndarray, ...]) -> MIResult:
        self._check_fitted(data)
        start = time.perf_counter()
        data = self._dequantize(data)
        values = self._read(self.flows_, data, self._flows_split)
        self.contributions_ = values
        return self._monte_carlo_result(
            values, n_train=self.n_train_, n_eval=data[-1].shape[0], start=start, terms=self.flows_
        )

    def _flow_matching_loss(
        self, data: tuple[np.ndarray, ...], n_draws: int, random_state: int | torch.Generator | None
    ) -> np.ndarray:
        self._check_fitted(data)
        check_positive_int(n_draws, "n_draws")
        generator, _ = make_generator(random_state)
        return self._losses(self.flows_, self._dequantize(data), self._flows_split, generator, n_draws)

    def _fit_estimate(self, data: tuple[np.ndarray, ...]) -> MIResult:
        start = time.perf_counter()
        data = self._start(data)
        self.dims_ = tuple(a.shape[1] for a in data)
        splits = self._splits(data)
        n_train = [int(train_rows[-1].size) for train_rows, _ in splits]
        self.fold_flows_ = []
        self.preprocessing_ = []
        units = self._fit_read_splits(data, splits)
        fold_values = [float(values.mean()) for values in units]
        self.loss_curves_ = [
            None if terms is None else tuple(term.curve for _, term in terms) for terms in self.fold_flows_
        ]
        self.stopping_ = [
            None if terms is None else tuple(term.stopping for _, term in terms) for terms in self.fold_flows_
        ]
        notes, beyond = fit_check_notes(self, data, splits, fold_values)
        # With the folds dealt out, a rank holds only its own folds' terms.
        self._flows_split = next(i for i, terms in enumerate(self.fold_flows_) if terms is not None)
        self.flows_ = self.fold_flows_[self._flows_split]
        self.n_train_ = n_train[0]
        self.contributions_ = np.concatenate(units)
        # Units index the rows of the last group (the targets of an entropy difference).
        n_eval = int(sum(rows[-1].size for _, rows in splits))
        self.lowest_result_ = self._lowest_result(units, n_train=n_train[0], n_eval=n_eval, start=start)
        if self.options_.interval == "monte_carlo":
            result = self._monte_carlo_result(
                units[0], n_train=n_train[0], n_eval=n_eval, start=start, terms=self.fold_flows_[0], notes=notes
            )
        else:
            result = self._crossfit_result(units, n_train=n_train[0], n_eval=n_eval, start=start, notes=notes)
        return unbounded(result) if beyond else result

    def _lowest_result(self, units: list[np.ndarray], *, n_train: int, n_eval: int, start: float) -> MIResult | None:
        """The estimate with the nets that early stopping left at their start over a lower validation record
        read at that record (``lowest_units_``), the other splits as read; None when there is no such net or
        another process trained some of the splits."""
        lowest = self.lowest_units_
        if all(values is None for values in lowest) or any(terms is None for terms in self.fold_flows_):
            return None
        units = [own if values is None else values for own, values in zip(units, lowest)]
        if self.options_.interval == "monte_carlo":
            return self._monte_carlo_result(
                units[0], n_train=n_train, n_eval=n_eval, start=start, terms=self.fold_flows_[0]
            )
        return self._crossfit_result(units, n_train=n_train, n_eval=n_eval, start=start)

    def _fit_read_splits(self, data: tuple[np.ndarray, ...], splits: list) -> list[np.ndarray]:
        """Train on each split's training rows and read its held-out rows; per-unit values of every split.

        Also scores each split's nets on its held-out rows by the flow-matching
        loss (`held_out_losses_`, aligned with the values).

        In one process (or with ``parallel="rows"``) the splits run in turn on
        the shared random stream. With the splits dealt out to the ranks
        (`fmmi.distributed.deal_folds`), rank r trains and reads splits r,
        r + K, ... as a single process, each with its own random stream drawn
        from the shared one (so the result does not depend on which rank took
        which split), and the values are shared at the end; ``fold_flows_``
        and ``preprocessing_`` hold None for the splits of other ranks.
        """
        dealt = distributed.deal_folds(len(splits), self.options_.parallel)
        me, ranks = distributed.rank(), distributed.world_size()
        seeds = torch.randint(2**62, (len(splits),), generator=self.generator_).tolist() if dealt else None
        shared, mine, losses, lowest = self.runtime_, {}, {}, {}
        try:
            for split, (train_rows, eval_rows) in enumerate(splits):
                if dealt and split % ranks != me:
                    self.fold_flows_.append(None)
                    self.preprocessing_.append(None)
                    continue
                if dealt:
                    generator = torch.Generator().manual_seed(seeds[split])
                    self.runtime_ = dataclasses.replace(shared, generator=generator)
                label = f"fold {split + 1}/{len(splits)}" if len(splits) > 1 else ""
                with distributed.alone() if dealt else contextlib.nullcontext():
                    held_out = self._take(data, eval_rows)
                    terms = self._fit_terms(
                        self._take(data, train_rows), label, key=f"fold{split + 1}", held_out=held_out
                    )
                    parts = self._read_terms(terms, held_out, split)
                    mine[split] = sum(parts)
                    lowest[split] = self._read_lowest(terms, held_out, split, parts)
                    draws = torch.Generator().manual_seed(split)
                    losses[split] = self._losses(terms, held_out, split, draws, LOSS_DRAWS)
                self.fold_flows_.append(terms)
        finally:
            self.runtime_ = shared
        self.lowest_units_ = [lowest.get(i) for i in range(len(splits))]
        if dealt:
            self.held_out_losses_ = np.concatenate(distributed.share_arrays(losses, len(splits)))
            return distributed.share_arrays(mine, len(splits))
        self.held_out_losses_ = np.concatenate([losses[i] for i in range(len(splits))])
        return [mine[i] for i in range(len(splits))]

    def _splits(self, data: tuple[np.ndarray, ...]) -> list[tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]]:
        """(train rows, eval rows) per split; one index array per group of rows."""
        options = self.options_
        per_group = []
        for n in self._row_counts(data):
            order = torch.randperm(n, generator=self.generator_).numpy()
            if options.interval == "monte_carlo":
                n_eval = int(round(n * options.test_size))
                parts = [(order[: n - n_eval], order[n - n_eval :])]
            else:
                folds = np.array_split(order, options.n_folds)
                parts = [(np.concatenate(folds[:k] + folds[k + 1 :]), folds[k]) for k in range(options.n_folds)]
            for train, held_out in parts:
                if min(train.size, held_out.size) < MIN_ROWS:
                    how = (
                        f"test_size={options.test_size}"
                        if options.interval == "monte_carlo"
                        else f"n_folds={options.n_folds}"
                    )
                    raise ValueError(
                        f"{n} rows are too few: the split ({how}) leaves {train.size} to train and "
                        f"{held_out.size} to estimate, and each part needs at least {MIN_ROWS}"
                    )
            per_group.append(parts)
        return [
            (tuple(g[i][0] for g in per_group), tuple(g[i][1] for g in per_group)) for i in range(len(per_group[0]))
        ]

    def _monte_carlo_result(
        self,
        values: np.ndarray,
        *,
        n_train: int,
        n_eval: int,
        start: float,
        terms: Terms,
        notes: tuple[str, ...] = (),
    ) -> MIResult:
        # The Gaussian bases were fitted on the training rows: their sampling error is added in quadrature.
        value, stderr, interval = monte_carlo_interval(
            values, sum(coef**2 * term.base_variance for coef, term in terms)
        )
        return self._build(
            value=value,
            stderr=stderr,
            interval=interval,
            interval_kind="monte_carlo",
            n_train=n_train,
            n_eval=n_eval,
            n_mc=int(values.size),
            n_folds=1,
            fold_values=(value,),
            start=start,
            warnings=notes,
        )

    def _crossfit_result(
        self, units: list[np.ndarray], *, n_train: int, n_eval: int, start: float, notes: tuple[str, ...] = ()
    ) -> MIResult:
        fold_values = [float(values.mean()) for values in units]
        value, stderr, interval = crossfit_interval(fold_values)
        return self._build(
            value=value,
            stderr=stderr,
            interval=interval,
            interval_kind="crossfit",
            n_train=n_train,
            n_eval=n_eval,
            n_mc=int(sum(values.size for values in units)),
            n_folds=len(fold_values),
            fold_values=tuple(fold_values),
            start=start,
            warnings=notes,
        )

    def _build(self, *, start: float, **fields) -> MIResult:
        if not (np.isfinite(fields["value"]) and np.isfinite(fields["stderr"])):
            raise FloatingPointError(
                f"{self.method}: the estimate came out as {fields['value']} ± {fields['stderr']}; "
                "refusing to return a non-finite value"
            )
        options = {k: v for k, v in self.get_params().items() if k not in ("random_state", "dtype")}
        kept = [term.kept_step for terms in getattr(self, "fold_flows_", None) or () if terms for _, term in terms]
        fields.setdefault("kept_steps", tuple(kept))
        return MIResult(
            method=self.method,
            random_state=self.random_state_,
            seconds=time.perf_counter() - start,
            options=options,
            **fields,
        )

    # -- convenience --------------------------------------------------------

    @property
    def net_(self) -> VelocityMLP:
        """The (first) trained velocity net of the (first) split."""
        return self.flows_[0][1].net

    @property
    def velocity_(self):
        """The (first) trained velocity field ``v(z, t, context)``, in standardised units."""
        return self.flows_[0][1].velocity

    @property
    def history_(self) -> np.ndarray:
        """Training loss per step of `net_`, shape (steps,)."""
        return self.flows_[0][1].history

    @property
    def path_(self):
        return get_path(self.path)
