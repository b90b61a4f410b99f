"""The terms of an estimate: each one flow-matching problem, its net, its training and its reading.

An estimate is a signed sum of terms. A term is built from the options
(`fmmi.config.FlowOptions`, or `MIOptions` for the MI terms) and a `Runtime`
(the random stream, the device and what the run resolved), trained on some
rows and read on rows it never saw: per unit, the value of its quantity (an MI,
an entropy, an entropy difference) in nats.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._checks import location_scale
from .config import VALIDATION_EVERY, FlowOptions, MIOptions
from .coupling import (
    conditional_endpoints,
    gaussian_source_endpoints,
    joint_endpoints,
    resolve_coupling,
    two_sample_endpoints,
)
from .curves import EarlyStopping, LossCurve
from .gaussian_base import (
    GaussianBase,
    ResidualVelocity,
    SharedXGaussianBase,
    entropy_difference_moments,
    entropy_moments,
    mi_moments,
)
from .integrate import divergence_integrals
from .nn import VelocityMLP
from .paths import get_path
from .training import train_flow_matching

__all__ = [
    "ConditionalMITerm",
    "EntropyDifferenceTerm",
    "EntropyTerm",
    "JointMITerm",
    "Runtime",
    "Term",
]

# Rows re-paired together when the held-out flow-matching loss is computed (bounds its memory).
LOSS_CHUNK = 8192
# Held-out rows (at most) and steps between records of the loss curve traced while a term's net trains.
CURVE_ROWS = 4096
CURVE_EVERY = 1000
# Early stopping: validation rows (at most) and draws of the loss per row at each record.
VALIDATION_ROWS = 4096
VALIDATION_DRAWS = 16


@dataclass
class Runtime:
    """What a run resolved once and every term shares: the random stream, the device, and so on."""

    generator: torch.Generator
    device: torch.device
    mixed_precision: bool
    fingerprint: str = ""  # of the options and data, kept in checkpoints (`fmmi.checkpoints`)


class Term:
    """One flow-matching problem: its standardisation, net, endpoints and reading."""

    def __init__(self, options: FlowOptions, runtime: Runtime):
        self.options = options
        self.runtime = runtime
        self.path = get_path(options.path)

    # -- to be defined by each term
    def dims(self, arrays: Sequence[np.ndarray]) -> tuple[int, int]:
        """(state dimension, context dimension)."""
        raise NotImplementedError

    def endpoints(self, tensors: Sequence[torch.Tensor]):
        """The endpoints function and the number of rows it indexes."""
        raise NotImplementedError

    def read(self, integrals: np.ndarray) -> np.ndarray:
        """Per-unit values of the quantity from per-unit divergence integrals."""
        raise NotImplementedError

    def gaussian_moments(
        self, tensors: Sequence[torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor, float, float] | None:
        """Source and target covariances for a Gaussian base, the bias and the sampling variance of its
        integral; None: no base."""
        return None

    def make_base(self, cov_0: torch.Tensor, cov_1: torch.Tensor, tensors: Sequence[torch.Tensor]) -> torch.nn.Module:
        """The Gaussian base between the covariances of `gaussian_moments` (for the rows ``tensors``)."""
        return GaussianBase(cov_0, cov_1, self.path)

    # -- shared
    def prepare(self, arrays: Sequence[np.ndarray]) -> list[torch.Tensor]:
        """Fit the standardisation and the Gaussian base on ``arrays``, build the net; returns them as tensors.

        ``arrays`` may be every training row or, for data larger than memory, a sample of them
        (`fmmi.streaming`).
        """
        options, runtime = self.options, self.runtime
        if options.standardize:
            self.location_scale = [location_scale(a) for a in arrays]
        else:
            self.location_scale = [(np.zeros(a.shape[1]), np.ones(a.shape[1])) for a in arrays]
        features, context = self.dims(arrays)
        self.net = VelocityMLP(
            features,
            context=context,
            hidden=options.hidden,
            depth=options.depth,
            activation=options.activation,
            generator=runtime.generator,
            time_features=options.time_features,
            fourier=options.fourier,
            fourier_scale=options.fourier_scale,
        ).to(device=runtime.device, dtype=options.dtype)
        tensors = self.tensors(arrays)
        self.base, self.base_integral, self.base_variance = None, 0.0, 0.0
        moments = self.gaussian_moments(tensors) if options.gaussian_base else None
        if moments is not None:
            cov_0, cov_1, bias, self.base_variance = moments
            self.base = self.make_base(cov_0, cov_1, tensors).to(runtime.device)
            # Read with the Wishart bias of the fitted covariances taken off.
            self.base_integral = self.base.integral - bias
        return tensors

    def train(
        self,
        draw,
        n_rows: int,
        *,
        desc: str = "training",
        key: str = "",
        curve: LossCurve | None = None,
        stopping: EarlyStopping | None = None,
    ):
        """Train the net (after `prepare`) by flow matching on endpoints ``draw`` over ``n_rows`` rows."""
        options = self.options
        model = self.net
        if self.base is not None:
            # The untrained flow is the base itself: a random net's divergence would add noise until trained away.
            model = ResidualVelocity(self.net.zero_output(), self.base)
        self.curve, self.stopping = curve, stopping
        folder = options.checkpoint_dir
        self.history = train_flow_matching(
            model,
            draw,
            n_rows,
            path=self.path,
            generator=self.runtime.generator,
            steps=options.steps,
            batch_size=options.batch_size,
            lr=options.lr,
            weight_decay=options.weight_decay,
            time_density=options.time_density,
            ema=options.ema,
            mixed_precision=self.runtime.mixed_precision,
            checkpoint=None if folder is None else os.path.join(folder, f"{key}.pt"),
            checkpoint_every=options.checkpoint_every,
            fingerprint=self.runtime.fingerprint,
            progress=options.progress,
            desc=desc,
            curve=curve,
            stopping=stopping,
        )
        if stopping is not None and curve is not None and stopping.kept_step != stopping.stopped_step:
            self.net.eval()
            curve.record(stopping.stopped_step)  # the curve ends on the weights the net kept

    def fit(
        self,
        arrays: Sequence[np.ndarray],
        desc: str = "training",
        key: str = "",
        held_out: Sequence[np.ndarray] | None = None,
    ) -> Term:
        """Train on the rows ``arrays``; with ``held_out`` rows, trace the net's loss on them (``curve``).

        With ``early_stopping``, a random ``validation_fraction`` of the rows (at most `VALIDATION_ROWS`)
        is kept back from the training steps and decides when they stop (``stopping``), or with
        ``validation="held_out"`` up to `VALIDATION_ROWS` of the ``held_out`` rows; the
        standardisation and the Gaussian base are fitted on every row of ``arrays``.
        """
        tensors = self.prepare(arrays)
        if self.options.steps == 0:  # the Gaussian base alone
            if self.base is None:
                raise ValueError(f"steps=0 reads the Gaussian base alone, and {type(self).__name__} has none")
            self.net.zero_output()
            self.curve, self.stopping, self.history = None, None, np.empty(0)
            return self
        stopping = None
        if self.options.early_stopping:
            if self.options.validation == "held_out":
                if held_out is None:
                    raise ValueError('validation="held_out" needs held-out rows: use it with fit_estimate')
                validation = [a[:VALIDATION_ROWS] for a in held_out]
            else:
                tensors, validation = self.hold_back(tensors, arrays)
            stopping = EarlyStopping(
                lambda: self.flow_matching_losses(validation, torch.Generator().manual_seed(0), VALIDATION_DRAWS),
                self.net,
                every=VALIDATION_EVERY,
                patience=self.options.patience,
                margin=self.options.stopping_margin,
            )
        draw, n_rows = self.endpoints(tensors)
        curve = None
        if held_out is not None:
            rows = [a[:CURVE_ROWS] for a in held_out]
            # The same rows and draws at every record, so that records pair row by row.
            curve = LossCurve(
                lambda: self.flow_matching_losses(rows, torch.Generator().manual_seed(0), 1), every=CURVE_EVERY
            )
        self.train(draw, n_rows, desc=desc, key=key, curve=curve, stopping=stopping)
        return self

    def hold_back(
        self, tensors: Sequence[torch.Tensor], arrays: Sequence[np.ndarray]
    ) -> tuple[list[torch.Tensor], list[np.ndarray]]:
        """Split off ``validation_fraction`` of the rows (at most `VALIDATION_ROWS`) at random: (the rest as
        tensors, the validation rows as arrays). Arrays of the same length (paired rows) lose the same rows."""
        orders: dict[int, tuple[np.ndarray, torch.Tensor]] = {}
        for a in arrays:
            n = a.shape[0]
            if n not in orders:
                n_validation = min(max(2, round(self.options.validation_fraction * n)), VALIDATION_ROWS, n - 2)
                order = torch.randperm(n, generator=self.runtime.generator)
                orders[n] = (order[:n_validation].numpy(), order[n_validation:])
        rest = [t[orders[a.shape[0]][1].to(t.device)] for t, a in zip(tensors, arrays)]
        return rest, [a[orders[a.shape[0]][0]] for a in arrays]

    def contributions(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        """Per-unit values of the term's quantity on the rows ``arrays``, nats (every row once by default)."""
        draw, n_rows = self.endpoints(self.tensors(arrays))
        n_mc = self.options.n_mc
        return self.integrate(draw, n_rows, n_mc if n_mc is not None else max(2, n_rows))

    def lowest_contributions(self, arrays: Sequence[np.ndarray], generator: torch.Generator) -> np.ndarray | None:
        """`contributions` with the net at its lowest validation record, where early stopping kept the net's
        start over a lower record that was not clearly lower; None otherwise.

        Draws from ``generator``, not the run's stream, and gives the net back its kept weights.
        """
        stopping = self.stopping
        if stopping is None or stopping.kept_step != 0 or stopping.lowest_step == 0:
            return None
        kept = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        runtime = self.runtime
        try:
            self.net.load_state_dict(stopping.weights[stopping.lowest_step])
            self.runtime = dataclasses.replace(runtime, generator=generator)
            return self.contributions(arrays)
        finally:
            self.net.load_state_dict(kept)
            self.runtime = runtime

    def integrate(self, draw, n_rows: int, n_mc: int) -> np.ndarray:
        """Per-unit values of the term's quantity, nats, from ``n_mc`` units drawn by ``draw`` over ``n_rows``."""
        options = self.options
        if options.steps == 0:  # no net: the base's exact integral for every unit
            return self.read(np.full(n_mc, self.base_integral))
        # With a Gaussian base, only the net's divergence is integrated; the base's is exact.
        integrals = self.base_integral + divergence_integrals(
            self.net,
            draw,
            n_rows,
            path=self.path,
            generator=self.runtime.generator,
            n_mc=n_mc,
            time_sampling=options.time_sampling,
            n_time=options.n_time,
            divergence=options.divergence,
            n_probes=options.n_probes,
            probe=options.probe,
        )
        if not np.all(np.isfinite(integrals)):
            raise FloatingPointError("the divergence of a trained net is not finite on the held-out data")
        return self.read(integrals)

    @property
    def kept_step(self) -> int:
        """The training step whose weights the net kept (0: none, the net is zero)."""
        if self.stopping is not None:
            return int(self.stopping.kept_step)
        return int(self.history.size)

    @property
    def at_base(self) -> bool:
        """Whether the term reads its Gaussian base alone: no net trained, or early stopping kept its start."""
        return self.base is not None and self.kept_step == 0

    @property
    def base_value(self) -> float:
        """What the Gaussian base alone reads (the term's quantity, nats; 0 without a base)."""
        return float(self.read(np.array([self.base_integral]))[0])

    def flow_matching_losses(
        self, arrays: Sequence[np.ndarray], generator: torch.Generator, n_draws: int
    ) -> np.ndarray:
        """Per-row squared error of the trained velocity against the conditional velocity, shape (n,).

        The training objective on these rows with t uniform on [0, 1), averaged over ``n_draws``
        draws of the re-pairing and of t. Rows are re-paired within random chunks of at most
        `LOSS_CHUNK` rows, so that the row order of the input plays no part.
        """
        draw, n_rows = self.endpoints(self.tensors(arrays))
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

    def tensors(self, arrays: Sequence[np.ndarray]) -> list[torch.Tensor]:
        """Rows as tensors of the net's dtype on its device, standardised as in `prepare`."""
        dtype = self.options.dtype
        kwargs = {"device": self.runtime.device, "dtype": dtype}
        tensors = [torch.as_tensor((a - m) / s, **kwargs) for a, (m, s) in zip(arrays, self.location_scale)]
        if not all(bool(torch.isfinite(t).all()) for t in tensors):
            raise ValueError(
                f"some values lie so far out, measured in standard deviations of the training rows, that they "
                f"overflow {dtype}; remove the outliers, or keep gaussianize=True (rank-based, immune to them)"
            )
        return tensors

    def log_scale(self, i: int) -> float:
        """``Σ log scale`` of array i: the entropy change of its standardisation."""
        return float(np.sum(np.log(self.location_scale[i][1])))


class JointMITerm(Term):
    """jFMMI over ``(x, y)``: ``I = -E[div v]`` (``+`` when reversed)."""

    options: MIOptions

    def dims(self, arrays):
        return arrays[0].shape[1] + arrays[1].shape[1], 0

    def coupling(self, tensors) -> str:
        """The coupling of the flow between these sides (``"auto"`` resolved, `fmmi.coupling.resolve_coupling`)."""
        x, y = tensors
        return resolve_coupling(self.options.coupling, x.shape[1], y.shape[1])

    def endpoints(self, tensors):
        x, y = tensors
        options = self.options
        coupling = self.coupling(tensors)
        draw = joint_endpoints(x, y, coupling=coupling, derange=options.derange, reverse=options.reverse)
        return draw, x.shape[0]

    def read(self, integrals):
        return integrals if self.options.reverse else -integrals

    def gaussian_moments(self, tensors):
        moments = mi_moments(*tensors)
        if moments is None or not self.options.reverse:
            return moments
        product, joint, bias, variance = moments
        return joint, product, -bias, variance

    def make_base(self, cov_0, cov_1, tensors):
        if self.coupling(tensors) != "shared_x":
            return super().make_base(cov_0, cov_1, tensors)
        joint = cov_0 if self.options.reverse else cov_1
        return SharedXGaussianBase(joint, tensors[0].shape[1], self.path, reverse=self.options.reverse)


class ConditionalMITerm(JointMITerm):
    """cFMMI: a flow in y given x, from ``P_Y`` to ``P_{Y|X}``; ``I = h(Y) - h(Y|X)``."""

    def gaussian_moments(self, tensors):
        return None  # the Gaussian base is built for unconditional flows only

    def dims(self, arrays):
        return arrays[1].shape[1], arrays[0].shape[1]

    def endpoints(self, tensors):
        x, y = tensors
        options = self.options
        return conditional_endpoints(x, y, derange=options.derange, reverse=options.reverse), x.shape[0]


class EntropyTerm(Term):
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


class EntropyDifferenceTerm(Term):
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
