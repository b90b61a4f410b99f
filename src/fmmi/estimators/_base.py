"""Machinery shared by every flow-matching estimator: flows, splits, intervals.

An estimate is a signed sum of *terms*; each term is one flow trained by flow
matching whose divergence integral, read with the right sign and offset, gives
a quantity (an MI, an entropy, an entropy difference). A term is fitted on
training rows and read on rows it never saw.

Two kinds of interval (named on every result by ``interval_kind``):

* ``"monte_carlo"``: one train / held-out split, one net per term; the
  standard error is the Monte-Carlo error of the average over held-out units
  and, for a term with a Gaussian base, the base's sampling error
  (``Σ ρ_i² / n_train`` over its canonical correlations; see
  `fmmi.gaussian_base.mi_moments`), added in quadrature. Cheap, but blind to
  the variability of the training and to the non-Gaussian part of the
  data's, which can be larger (see the README).
* ``"crossfit"``: K-fold cross-fitting. Each fold is estimated by nets
  trained on the other K - 1 folds, so every row is used for the estimate
  once. The estimate is the mean of the K fold estimates. Its standard error
  is the delete-a-group jackknife's, ``(K - 1) / sqrt(K)`` times the standard
  deviation of the fold estimates, and the 95% interval uses Student's t with
  K - 1 degrees of freedom. Why the jackknife and not ``sd / sqrt(K)``: a
  fold estimate inherits most of its error from the rows its nets were
  trained on, and any two folds share (K - 2) / (K - 1) of those rows, so the
  fold estimates move together; a coverage benchmark measured the naive
  interval covering the truth in only half the runs on a Gaussian. Each fold
  estimate is a leave-one-group-out estimate, which is exactly the jackknife's
  setting. The jackknife is conservative for the parts of the error that are
  independent across folds (held-out rows, Monte-Carlo, optimisation noise).
  It costs K trainings instead of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import math
import os
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from scipy import stats

from .. import distributed
from .._checks import (
    check_positive_int,
    dequantize,
    location_scale,
    make_generator,
    resolve_device,
    resolve_mixed_precision,
    warn_if_discrete,
)
from ..coupling import (
    conditional_endpoints,
    gaussian_source_endpoints,
    joint_endpoints,
    two_sample_endpoints,
)
from ..divergence import PROBES
from ..gaussian_base import (
    GaussianBase,
    ResidualVelocity,
    entropy_difference_moments,
    entropy_moments,
    mi_moments,
)
from ..integrate import TIME_SAMPLINGS, divergence_integrals, mean_and_stderr
from ..io import atomic_write_text
from ..nn import ACTIVATIONS, TIME_FEATURES, VelocityMLP
from ..paths import get_path
from ..result import MIResult
from ..training import TIME_DENSITIES, LossCurve, train_flow_matching

__all__ = ["FlowEstimator", "INTERVALS", "MIN_ROWS", "OverfitWarning"]

INTERVALS = ("crossfit", "monte_carlo")

# Fewest rows on each side of a split.
MIN_ROWS = 8

# Rows re-paired together when the held-out flow-matching loss is computed (bounds its memory).
LOSS_CHUNK = 8192
# The fit check of `fit_estimate` (see `OverfitWarning`): a split's nets count as no better than their
# Gaussian base unless their held-out loss ends lower than the base's by more than OVERFIT_STDERRS
# paired standard errors; the warning is given when that holds in most splits and the nets move the
# estimate by more than OVERFIT_SHARE nats (the mean over the splits).
OVERFIT_STDERRS = 2.0
OVERFIT_SHARE = 0.1
# Held-out rows (at most) and steps between records of the loss curve traced while a split's nets train.
CURVE_ROWS = 4096
CURVE_EVERY = 1000
# Draws per held-out row for `held_out_losses_`, from a stream seeded with the split's index alone,
# so that two configurations fitted with the same random_state (the same splits) are scored on the
# same draws; its own stream leaves the estimate's random draws untouched.
LOSS_DRAWS = 4


def _in_stderrs(mean: float, stderr: float) -> float:
    """``mean / stderr``, or an infinity of the mean's sign when the standard error is 0."""
    return mean / stderr if stderr > 0 else math.copysign(math.inf, mean)


class OverfitWarning(UserWarning):
    """The trained nets move the estimate, yet fit rows they never saw no better than the Gaussian base.

    Each split's nets trace their flow-matching loss on the split's held-out
    rows while they train (`loss_curves_`); step 0 is the Gaussian base alone
    (the net starts at zero). When in most splits the loss at the end is not
    lower than the base's by more than 2 paired standard errors, while the
    nets move the estimate by more than 0.1 nats from the base's reading,
    what the nets add is not supported by data they did not train on: they
    learned their training rows, and the estimate is not to be trusted (it
    usually reads too high; rows too few for the dimension, see the README's
    "When to distrust an estimate"). The same words are kept in
    `MIResult.warnings`. Fits without a Gaussian base are not checked.
    """


class _Flow:
    """One flow-matching problem: its standardisation, net, endpoints and reading."""

    def __init__(self, est: FlowEstimator, generator: torch.Generator, device: torch.device):
        self.est = est
        self.generator = generator
        self.device = device
        self.path = get_path(est.path)

    # -- to be defined by each flow
    def dims(self, arrays: Sequence[np.ndarray]) -> tuple[int, int]:
        """(state dimension, context dimension)."""
        raise NotImplementedError

    def endpoints(self, tensors: Sequence[torch.Tensor]):
        """The endpoints function and the number of rows it indexes."""
        raise NotImplementedError

    def read(self, integrals: np.ndarray) -> np.ndarray:
        """Per-unit values of the quantity from per-unit divergence integrals."""
        raise NotImplementedError

    # -- shared
    def fit(
        self,
        arrays: Sequence[np.ndarray],
        desc: str = "training",
        key: str = "",
        held_out: Sequence[np.ndarray] | None = None,
    ) -> _Flow:
        """Train the net on ``arrays``; with ``held_out`` rows, trace its loss on them (`curve`)."""
        est = self.est
        if est.standardize:
            self.location_scale = [location_scale(a) for a in arrays]
        else:
            self.location_scale = [(np.zeros(a.shape[1]), np.ones(a.shape[1])) for a in arrays]
        features, context = self.dims(arrays)
        self.net = VelocityMLP(
            features,
            context=context,
            hidden=est.hidden,
            depth=est.depth,
            activation=est.activation,
            generator=self.generator,
            time_features=est.time_features,
        ).to(device=self.device, dtype=est.dtype)
        tensors = self._tensors(arrays)
        draw, n_rows = self.endpoints(tensors)
        self.base, self.base_integral, self.base_variance = None, 0.0, 0.0
        model = self.net
        moments = self.gaussian_moments(tensors) if est.gaussian_base else None
        if moments is not None:
            cov_0, cov_1, bias, self.base_variance = moments
            self.base = GaussianBase(cov_0, cov_1, self.path).to(self.device)
            # Read with the Wishart bias of the fitted covariances taken off.
            self.base_integral = self.base.integral - bias
            # The untrained flow is the base itself: a random net's divergence would add noise until trained away.
            model = ResidualVelocity(self.net.zero_output(), self.base)
        self.curve = None
        if held_out is not None:
            rows = [a[:CURVE_ROWS] for a in held_out]
            # The same rows and draws at every record, so that records pair row by row.
            self.curve = LossCurve(
                lambda: self.flow_matching_losses(rows, torch.Generator().manual_seed(0), 1), every=CURVE_EVERY
            )
        self.history = train_flow_matching(
            model,
            draw,
            n_rows,
            path=self.path,
            generator=self.generator,
            steps=est.steps,
            batch_size=est.batch_size,
            lr=est.lr,
            weight_decay=est.weight_decay,
            time_density=est.time_density,
            ema=est.ema,
            mixed_precision=est.mixed_precision_,
            checkpoint=None if est.checkpoint_dir is None else os.path.join(est.checkpoint_dir, f"{key}.pt"),
            checkpoint_every=est.checkpoint_every,
            fingerprint=getattr(est, "fingerprint_", ""),
            progress=est.progress,
            desc=desc,
            curve=self.curve,
        )
        return self

    def contributions(self, arrays: Sequence[np.ndarray], n_mc: int | None) -> np.ndarray:
        est = self.est
        draw, n_rows = self.endpoints(self._tensors(arrays))
        # With a Gaussian base, only the net's divergence is integrated; the base's is exact.
        integrals = self.base_integral + divergence_integrals(
            self.net,
            draw,
            n_rows,
            path=self.path,
            generator=self.generator,
            n_mc=n_mc if n_mc is not None else max(2, n_rows),
            time_sampling=est.time_sampling,
            n_time=est.n_time,
            divergence=est.divergence,
            n_probes=est.n_probes,
            probe=est.probe,
        )
        if not np.all(np.isfinite(integrals)):
            raise FloatingPointError("the divergence of a trained net is not finite on the held-out data")
        return self.read(integrals)

    @property
    def base_value(self) -> float:
        """What the Gaussian base alone reads (the flow's quantity, nats; 0 without a base)."""
        return float(self.read(np.array([self.base_integral]))[0])

    def flow_matching_losses(
        self, arrays: Sequence[np.ndarray], generator: torch.Generator, n_draws: int
    ) -> np.ndarray:
        """Per-row squared error of the trained velocity against the conditional velocity, shape (n,).

        The training objective on these rows with t uniform on [0, 1), averaged over ``n_draws``
        draws of the re-pairing and of t. Rows are re-paired within random chunks of at most
        `LOSS_CHUNK` rows, so that the row order of the input plays no part.
        """
        draw, n_rows = self.endpoints(self._tensors(arrays))
        velocity = self.velocity
        total = torch.zeros(n_rows, dtype=torch.float64)
        with torch.no_grad():
            for _ in range(n_draws):
                order = torch.randperm(n_rows, generator=generator)
                for index in torch.tensor_split(order, math.ceil(n_rows / LOSS_CHUNK)):
                    z_0, z_1, context = draw(index, generator)
                    t = torch.rand(index.numel(), generator=generator, dtype=torch.float64)
                    z_t, goal = self.path.sample(z_0, z_1, t)
                    error = (velocity(z_t, t.to(z_t.device), context).to(goal.dtype) - goal).square().mean(-1)
                    total[index] += error.double().cpu()
        return (total / n_draws).numpy()

    @property
    def velocity(self):
        """The trained velocity field ``v(z, t, context)``."""
        if self.base is not None:
            return ResidualVelocity(self.net, self.base)
        return self.net

    def gaussian_moments(
        self, tensors: Sequence[torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor, float, float] | None:
        """Source and target covariances for a Gaussian base, the bias and the sampling variance of its
        integral; None: no base."""
        return None

    def _tensors(self, arrays: Sequence[np.ndarray]) -> list[torch.Tensor]:
        kwargs = {"device": self.device, "dtype": self.est.dtype}
        tensors = [torch.as_tensor((a - m) / s, **kwargs) for a, (m, s) in zip(arrays, self.location_scale)]
        if not all(bool(torch.isfinite(t).all()) for t in tensors):
            raise ValueError(
                f"some values lie so far out, measured in standard deviations of the training rows, that they "
                f"overflow {self.est.dtype}; remove the outliers, or keep gaussianize=True (rank-based, immune to them)"
            )
        return tensors

    def log_scale(self, i: int) -> float:
        """``Σ log scale`` of array i: the entropy change of its standardisation."""
        return float(np.sum(np.log(self.location_scale[i][1])))


class JointMIFlow(_Flow):
    """jFMMI over ``(x, y)``: ``I = -E[div v]`` (``+`` when reversed)."""

    def dims(self, arrays):
        return arrays[0].shape[1] + arrays[1].shape[1], 0

    def endpoints(self, tensors):
        x, y = tensors
        est = self.est
        return joint_endpoints(x, y, coupling=est.coupling, derange=est.derange, reverse=est.reverse), x.shape[0]

    def read(self, integrals):
        return integrals if self.est.reverse else -integrals

    def gaussian_moments(self, tensors):
        moments = mi_moments(*tensors)
        if moments is None or not self.est.reverse:
            return moments
        product, joint, bias, variance = moments
        return joint, product, -bias, variance


class ConditionalMIFlow(JointMIFlow):
    """cFMMI: a flow in y given x, from ``P_Y`` to ``P_{Y|X}``; ``I = h(Y) - h(Y|X)``."""

    def gaussian_moments(self, tensors):
        return None  # the Gaussian base is built for unconditional flows only

    def dims(self, arrays):
        return arrays[1].shape[1], arrays[0].shape[1]

    def endpoints(self, tensors):
        x, y = tensors
        return conditional_endpoints(x, y, derange=self.est.derange, reverse=self.est.reverse), x.shape[0]


class EntropyFlow(_Flow):
    """FMDoE from ``N(0, I)``: ``h = d/2 log(2πe) + E[div v] + Σ log scale``."""

    def dims(self, arrays):
        return arrays[0].shape[1], 0

    def endpoints(self, tensors):
        return gaussian_source_endpoints(tensors[0]), tensors[0].shape[0]

    def read(self, integrals):
        d = self.location_scale[0][1].size
        return integrals + 0.5 * d * math.log(2 * math.pi * math.e) + self.log_scale(0)

    def gaussian_moments(self, tensors):
        return entropy_moments(tensors[0])


class EntropyDifferenceFlow(_Flow):
    """FMDoE between two samples: ``h(b) - h(a) = E[div v]`` for a flow from a to b."""

    def dims(self, arrays):
        return arrays[0].shape[1], 0

    def endpoints(self, tensors):
        a, b = tensors
        return two_sample_endpoints(a, b), b.shape[0]

    def read(self, integrals):
        return integrals + self.log_scale(1) - self.log_scale(0)

    def gaussian_moments(self, tensors):
        return entropy_difference_moments(*tensors)


class FlowEstimator:
    """Base class: options, validation, splitting and the interval.

    Subclasses define ``method`` (a name), ``_terms(data)`` (the signed flows
    over the rows of ``data``) and the public ``fit``/``estimate``/
    ``fit_estimate`` signatures, which validate their inputs and call the
    ``_fit``/``_estimate``/``_fit_estimate`` methods here.
    """

    method = ""
    _extra_choices: dict[str, tuple] = {}

    # Options shared by every flow estimator, with their defaults.
    def _init_common(
        self,
        *,
        path: str = "trigonometric",
        hidden: int = 512,
        depth: int = 2,
        activation: str = "tanh",
        steps: int = 10000,
        batch_size: int = 512,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        ema: float | None = None,
        time_density: str = "uniform",
        time_features: str = "linear",
        gaussian_base: bool = True,
        interval: str = "crossfit",
        n_folds: int = 5,
        test_size: float = 0.5,
        standardize: bool = True,
        divergence: str = "exact",
        n_probes: int = 1,
        probe: str = "rademacher",
        time_sampling: str = "log_grid",
        n_time: int = 32,
        n_mc: int | None = None,
        dequantize: bool = False,
        checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_every: int = 500,
        random_state: int | torch.Generator | None = None,
        device: str | torch.device = "auto",
        dtype: torch.dtype = torch.float32,
        mixed_precision: bool | str = "auto",
        parallel: str = "auto",
        progress: bool = False,
    ) -> None:
        # Stored unchanged, as given; checked in fit (scikit-learn's convention).
        for name, value in locals().items():
            if name != "self":
                setattr(self, name, value)

    @classmethod
    def _param_names(cls) -> tuple[str, ...]:
        own = [p.name for p in inspect.signature(cls.__init__).parameters.values() if p.kind is p.KEYWORD_ONLY]
        return (*own, *tuple(inspect.signature(FlowEstimator._init_common).parameters)[1:])

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = {k: v for k, v in self.get_params().items() if v != defaults[k]}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # -- validation ---------------------------------------------------------

    def _check_params(self) -> None:
        choices = {
            "activation": tuple(ACTIVATIONS),
            "divergence": ("exact", "hutchinson"),
            "probe": PROBES,
            "time_sampling": TIME_SAMPLINGS,
            "interval": INTERVALS,
            "time_density": TIME_DENSITIES,
            "time_features": TIME_FEATURES,
            "parallel": distributed.PARALLEL_MODES,
            **self._extra_choices,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {list(allowed)}, got {getattr(self, name)!r}")
        get_path(self.path)
        for name in ("hidden", "depth", "steps", "batch_size", "n_probes", "n_time", "n_folds", "checkpoint_every"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.interval == "crossfit" and self.n_folds < 2:
            raise ValueError(f"n_folds must be at least 2 for the crossfit interval, got {self.n_folds}")
        if self.n_mc is not None and (not isinstance(self.n_mc, (int, np.integer)) or self.n_mc < 2):
            raise ValueError(f"n_mc must be None or an integer >= 2, got {self.n_mc!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if not (isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be a non-negative number, got {self.weight_decay!r}")
        if not (isinstance(self.test_size, float) and 0 < self.test_size < 1):
            raise ValueError(f"test_size must be a float strictly between 0 and 1, got {self.test_size!r}")
        if self.ema is not None and not (isinstance(self.ema, float) and 0.0 < self.ema < 1.0):
            raise ValueError(f"ema must be a float in (0, 1) or None, got {self.ema!r}")
        if not isinstance(self.gaussian_base, bool):
            raise ValueError(f"gaussian_base must be True or False, got {self.gaussian_base!r}")
        if self.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {self.dtype!r}")

    # -- what subclasses define ---------------------------------------------

    def _terms(self, data: tuple[np.ndarray, ...]) -> list[tuple[float, type[_Flow], tuple[np.ndarray, ...]]]:
        raise NotImplementedError

    def _row_counts(self, data: tuple[np.ndarray, ...]) -> tuple[int, ...]:
        """Rows of each independently split group (one group: aligned arrays)."""
        return (data[0].shape[0],)

    def _take(self, data: tuple[np.ndarray, ...], rows: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """The rows ``rows`` (one index array per group) of ``data``."""
        return tuple(a[rows[0]] for a in data)

    # -- fitting and estimating --------------------------------------------

    def _start(self, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Seed, device, checkpoint folder and (optional) dequantisation; returns the data to use."""
        seed = self.random_state
        if self.checkpoint_dir is not None:
            seed = self._open_checkpoint_dir(data)
        if distributed.is_distributed() and not isinstance(seed, torch.Generator):
            seed = distributed.broadcast_seed(seed)  # every rank must make the same splits
        self.generator_, self.random_state_ = make_generator(seed)
        self.device_ = resolve_device(self.device)
        self.mixed_precision_ = resolve_mixed_precision(self.mixed_precision, self.device_, self.dtype)
        return self._dequantize(data)

    def _dequantize(self, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        if self.dequantize:
            return tuple(dequantize(a, self.generator_) for a in data)
        for i, a in enumerate(data):
            warn_if_discrete(a, self._data_names[i] if i < len(self._data_names) else f"input {i}")
        return data

    # Names of the arrays in messages, in the order the subclass passes them.
    _data_names: tuple[str, ...] = ("x", "y", "z")

    def _open_checkpoint_dir(self, data: tuple[np.ndarray, ...]) -> int | torch.Generator | None:
        """Create or reopen ``checkpoint_dir``; returns the seed to use.

        The folder's ``run.json`` holds a fingerprint of the options and the
        data and the seed actually used (drawn once when ``random_state`` is
        None), so a rerun with the same call resumes the same run.
        """
        if isinstance(self.random_state, torch.Generator):
            raise ValueError("checkpoint_dir needs an integer random_state (or None), not a torch.Generator")
        skip = {"progress", "device", "checkpoint_dir", "checkpoint_every"}
        digest = hashlib.sha256(type(self).__name__.encode())
        digest.update(repr(sorted((k, repr(v)) for k, v in self.get_params().items() if k not in skip)).encode())
        for a in data:
            digest.update(repr(a.shape).encode())
            digest.update(np.ascontiguousarray(a).tobytes())
        self.fingerprint_ = digest.hexdigest()
        folder = os.fspath(self.checkpoint_dir)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ValueError(f"checkpoint_dir {folder!r} exists and is not a folder")
        os.makedirs(folder, exist_ok=True)
        record = os.path.join(folder, "run.json")
        if distributed.rank() != 0:
            # Rank 0 reads or writes the run record; the seed reaches the others by broadcast.
            distributed.barrier()
            return None
        if os.path.exists(record):
            try:
                with open(record) as handle:
                    saved = json.load(handle)
                fingerprint, seed = saved["fingerprint"], saved["seed"]
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{record} is not an fmmi run record ({error})") from None
            if fingerprint != self.fingerprint_:
                raise ValueError(
                    f"checkpoint_dir {folder!r} holds checkpoints of a run with other options or data; "
                    "use an empty folder for a new run"
                )
            distributed.barrier()
            return seed
        _, seed = make_generator(self.random_state)
        atomic_write_text(record, json.dumps({"fingerprint": self.fingerprint_, "seed": seed}) + "\n")
        distributed.barrier()
        return seed

    def _fit_preprocessing(self, data: tuple[np.ndarray, ...]) -> Any:
        """Learn a data map from training rows (none by default); see `_preprocess`."""
        return None

    def _preprocess(self, state: Any, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Apply the map learned by `_fit_preprocessing` (identity by default)."""
        return data

    def _fit_flows(
        self,
        data: tuple[np.ndarray, ...],
        label: str = "",
        key: str = "fit",
        held_out: tuple[np.ndarray, ...] | None = None,
    ) -> list[tuple[float, _Flow]]:
        """Fit each term's flow; with ``held_out`` rows, each traces its loss on them while it trains."""
        state = self._fit_preprocessing(data)
        self.preprocessing_.append(state)
        data = self._preprocess(state, data)
        terms = self._terms(data)
        held = [None] * len(terms)
        if held_out is not None:
            held = [arrays for _, _, arrays in self._terms(self._preprocess(state, held_out))]
        fitted = []
        for j, (coef, flow, arrays) in enumerate(terms):
            parts = [p for p in (label, f"flow {j + 1}/{len(terms)}" if len(terms) > 1 else "") if p]
            desc = f"training ({', '.join(parts)})" if parts else "training"
            trained = flow(self, self.generator_, self.device_).fit(
                arrays, desc=desc, key=f"{key}-flow{j + 1}", held_out=held[j]
            )
            fitted.append((coef, trained))
        return fitted

    def _losses(
        self,
        flows: list[tuple[float, _Flow]],
        data: tuple[np.ndarray, ...],
        split: int,
        generator: torch.Generator,
        n_draws: int = LOSS_DRAWS,
    ) -> np.ndarray:
        """Per-unit held-out flow-matching loss, summed over the terms (units aligned as in `_read`)."""
        data = self._preprocess(self.preprocessing_[split], data)
        arrays = [arrays for _, _, arrays in self._terms(data)]
        return sum(flow.flow_matching_losses(a, generator, n_draws) for (_, flow), a in zip(flows, arrays))

    def _read(self, flows: list[tuple[float, _Flow]], data: tuple[np.ndarray, ...], split: int = 0) -> np.ndarray:
        """Per-unit values of the signed sum of the terms (units aligned by position)."""
        data = self._preprocess(self.preprocessing_[split], data)
        arrays = [arrays for _, _, arrays in self._terms(data)]
        return sum(coef * flow.contributions(a, self.n_mc) for (coef, flow), a in zip(flows, arrays))

    def _fit(self, data: tuple[np.ndarray, ...]) -> None:
        self._check_params()
        for count in self._row_counts(data):
            if count < MIN_ROWS:
                raise ValueError(f"need at least {MIN_ROWS} rows to train, got {count}")
        data = self._start(data)
        self.dims_ = tuple(a.shape[1] for a in data)
        self.n_train_ = data[-1].shape[0]
        self.preprocessing_ = []
        self.flows_ = self._fit_flows(data)
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
            values, n_train=self.n_train_, n_eval=data[-1].shape[0], start=start, flows=self.flows_
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
        self._check_params()
        data = self._start(data)
        self.dims_ = tuple(a.shape[1] for a in data)
        splits = self._splits(data)
        n_train = [int(train_rows[-1].size) for train_rows, _ in splits]
        self.fold_flows_ = []
        self.preprocessing_ = []
        units = self._fit_read_splits(data, splits)
        fold_values = [float(values.mean()) for values in units]
        self.loss_curves_ = [
            None if flows is None else tuple(flow.curve for _, flow in flows) for flows in self.fold_flows_
        ]
        notes = self._fit_check(fold_values)
        for note in notes:
            warnings.warn(note, OverfitWarning, stacklevel=3)
        # With the folds dealt out, a rank holds only its own folds' flows.
        self._flows_split = next(i for i, flows in enumerate(self.fold_flows_) if flows is not None)
        self.flows_ = self.fold_flows_[self._flows_split]
        self.n_train_ = n_train[0]
        self.contributions_ = np.concatenate(units)
        # Units index the rows of the last group (the targets of an entropy difference).
        n_eval = int(sum(rows[-1].size for _, rows in splits))
        if self.interval == "monte_carlo":
            return self._monte_carlo_result(
                units[0], n_train=n_train[0], n_eval=n_eval, start=start, flows=self.fold_flows_[0], notes=notes
            )
        k = len(fold_values)
        value = float(np.mean(fold_values))
        # Delete-a-group jackknife: see the module docstring.
        stderr = float((k - 1) / math.sqrt(k) * np.std(fold_values, ddof=1))
        half = float(stats.t.ppf(0.975, k - 1)) * stderr
        return self._build(
            value=value,
            stderr=stderr,
            interval=(value - half, value + half),
            interval_kind="crossfit",
            n_train=n_train[0],
            n_eval=n_eval,
            n_mc=int(self.contributions_.size),
            n_folds=k,
            fold_values=tuple(fold_values),
            start=start,
            warnings=notes,
        )

    def _fit_check(self, fold_values: list[float]) -> tuple[str, ...]:
        """The words of an `OverfitWarning` for this fit, if it calls for one (splits of this process only)."""
        checked = [(split, flows) for split, flows in enumerate(self.fold_flows_) if flows is not None]
        gains, shares = [], []
        for split, flows in checked:
            # Step 0 (the base alone) and the end must be on record: a run resumed from a checkpoint
            # without a curve lacks step 0.
            for _, flow in flows:
                if flow.curve is None or flow.base is None or flow.curve.steps[:1] != [0] or len(flow.curve.steps) < 2:
                    return ()
            # How much lower the held-out loss ends than the base's, in paired standard errors (worst term).
            gains.append(min(_in_stderrs(*flow.curve.drop()) for _, flow in flows))
            shares.append(fold_values[split] - sum(coef * flow.base_value for coef, flow in flows))
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
            f"{self.method}: the trained nets move the estimate by {share:+.3f} nats from the Gaussian base's, yet "
            f"in {len(no_better)} of {len(checked)} splits they fit the held-out rows no better than the base "
            f"alone ({how}): what they add is not supported by rows they did not train on, and the estimate is "
            "not to be trusted (it usually reads too high). More rows or fewer columns help; see 'When to distrust "
            "an estimate' in the README",
        )

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
        dealt = distributed.deal_folds(len(splits), self.parallel)
        me, ranks = distributed.rank(), distributed.world_size()
        seeds = torch.randint(2**62, (len(splits),), generator=self.generator_).tolist() if dealt else None
        shared, mine, losses = self.generator_, {}, {}
        try:
            for split, (train_rows, eval_rows) in enumerate(splits):
                if dealt and split % ranks != me:
                    self.fold_flows_.append(None)
                    self.preprocessing_.append(None)
                    continue
                if dealt:
                    self.generator_ = torch.Generator().manual_seed(seeds[split])
                label = f"fold {split + 1}/{len(splits)}" if len(splits) > 1 else ""
                with distributed.alone() if dealt else contextlib.nullcontext():
                    held_out = self._take(data, eval_rows)
                    flows = self._fit_flows(
                        self._take(data, train_rows), label, key=f"fold{split + 1}", held_out=held_out
                    )
                    mine[split] = self._read(flows, held_out, split)
                    losses[split] = self._losses(flows, held_out, split, torch.Generator().manual_seed(split))
                self.fold_flows_.append(flows)
        finally:
            self.generator_ = shared
        if dealt:
            self.held_out_losses_ = np.concatenate(distributed.share_arrays(losses, len(splits)))
            return distributed.share_arrays(mine, len(splits))
        self.held_out_losses_ = np.concatenate([losses[i] for i in range(len(splits))])
        return [mine[i] for i in range(len(splits))]

    def _splits(self, data: tuple[np.ndarray, ...]) -> list[tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]]:
        """(train rows, eval rows) per split; one index array per group of rows."""
        counts = self._row_counts(data)
        per_group = []
        for n in counts:
            order = torch.randperm(n, generator=self.generator_).numpy()
            if self.interval == "monte_carlo":
                n_eval = int(round(n * self.test_size))
                parts = [(order[: n - n_eval], order[n - n_eval :])]
            else:
                folds = np.array_split(order, self.n_folds)
                parts = [(np.concatenate(folds[:k] + folds[k + 1 :]), folds[k]) for k in range(self.n_folds)]
            for train, held_out in parts:
                if min(train.size, held_out.size) < MIN_ROWS:
                    how = f"test_size={self.test_size}" if self.interval == "monte_carlo" else f"n_folds={self.n_folds}"
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
        flows: list[tuple[float, _Flow]],
        notes: tuple[str, ...] = (),
    ) -> MIResult:
        value, stderr = mean_and_stderr(values)
        # The Gaussian bases were fitted on the training rows: their sampling error is added in quadrature.
        stderr = math.sqrt(stderr**2 + sum(coef**2 * flow.base_variance for coef, flow in flows))
        half = float(stats.norm.ppf(0.975)) * stderr
        return self._build(
            value=value,
            stderr=stderr,
            interval=(value - half, value + half),
            interval_kind="monte_carlo",
            n_train=n_train,
            n_eval=n_eval,
            n_mc=int(values.size),
            n_folds=1,
            fold_values=(value,),
            start=start,
            warnings=notes,
        )

    def _build(self, *, start: float, **fields) -> MIResult:
        if not (math.isfinite(fields["value"]) and math.isfinite(fields["stderr"])):
            raise FloatingPointError(
                f"{self.method}: the estimate came out as {fields['value']} ± {fields['stderr']}; "
                "refusing to return a non-finite value"
            )
        options = {k: v for k, v in self.get_params().items() if k not in ("random_state", "dtype")}
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
