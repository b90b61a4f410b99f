"""Every option of the flow estimators and its default, stated once, with the checks they pass.

The estimators inherit these dataclasses, so their keyword-only signatures are
exactly these fields: `FlowOptions` (every flow estimator), `MIOptions`
(`fmmi.FMMI`) and `DefaultOptions` (`fmmi.AutoFMMI`, what `fmmi.estimate_mi`
runs). The command line builds its flags' defaults from them. Why each default
was chosen is recorded in the benchmark studies (``benchmarks/archive/README.md``).
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from dataclasses import dataclass, field
from typing import Any

import torch

from ._checks import check_positive_int
from .coupling import COUPLING_CHOICES, moves_one_column
from .distributed import PARALLEL_MODES
from .divergence import PROBES
from .integrate import TIME_SAMPLINGS
from .nn import ACTIVATIONS, TIME_FEATURES
from .paths import get_path
from .training import TIME_DENSITIES

__all__ = [
    "CANDIDATES",
    "DIVERGENCES",
    "DefaultOptions",
    "FlowOptions",
    "INTERVALS",
    "MIOptions",
    "ESCALATE_FROM",
    "ONE_COLUMN_CANDIDATES",
    "SELECT_MAX_COLUMNS",
    "StreamingOptions",
    "VALIDATION_EVERY",
    "VALIDATIONS",
    "VARIANTS",
    "net_candidates",
    "option_values",
    "problem_options",
]

INTERVALS = ("crossfit", "monte_carlo")
VALIDATIONS = ("train", "held_out")
# Steps between the records of the validation loss that early stopping reads.
VALIDATION_EVERY = 500
DIVERGENCES = ("exact", "hutchinson")
VARIANTS = ("joint", "conditional", "doe")

# The nets `AutoFMMI` chooses between: the default net, then the same net with SiLU units.
CANDIDATES: tuple[dict, ...] = ({}, {"activation": "silu"})
# Where the flow moves a single column given the other side (`fmmi.coupling.moves_one_column`), the same nets and a
# tanh net of four hidden layers (benchmarks/pilot_candidates/README.md, "One column moves").
ONE_COLUMN_CANDIDATES: tuple[dict, ...] = (*CANDIDATES, {"depth": 4})
# The candidates from this index on are piloted only where an earlier pilot learned beyond its Gaussian base: where the
# two-layer nets find nothing that the held-out rows confirm, the deeper net is not tried (`fmmi.select`'s
# ``escalate_from``; benchmarks/mixture_baselines/README.md, "The deeper pilot").
ESCALATE_FROM = len(CANDIDATES)
# Up to this many columns in all (dim_x + dim_y) `AutoFMMI` chooses between the candidates; above, it fits the
# first alone (benchmarks/archive/README.md, "Choosing on pilots").
SELECT_MAX_COLUMNS = 40

# Marks an option that defines the flow-matching problem itself (its endpoints, path, preprocessing or splits):
# fits that differ in one of these are not scored on the same problem, so their held-out losses do not compare.
_PROBLEM = {"problem": True}


def net_candidates(coupling: str, dim_x: int, dim_y: int, depth: int) -> tuple[dict, ...]:
    """The nets `AutoFMMI` chooses between for ``coupling`` on X of ``dim_x`` and Y of ``dim_y`` columns:
    `ONE_COLUMN_CANDIDATES` where the flow moves a single column and ``depth`` is the default's, else
    `CANDIDATES` (a ``depth`` the user chose is not overridden)."""
    if depth == FlowOptions.depth and moves_one_column(coupling, dim_x, dim_y):
        return ONE_COLUMN_CANDIDATES
    return CANDIDATES


def _check_choice(value: Any, name: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


def _check_fraction(value: Any, name: str) -> None:
    if not (isinstance(value, float) and 0 < value < 1):
        raise ValueError(f"{name} must be a float strictly between 0 and 1, got {value!r}")


@dataclass(kw_only=True, eq=False, repr=False)
class FlowOptions:
    """Options of every flow-matching estimator (`fmmi.FMMI`, the entropies); stored as given, checked by `check`.

    Attributes:
        path: ``"trigonometric"`` (default) or ``"linear"`` (the seed article's) interpolation between
            the source (t = 0) and the target (t = 1); with standardised independent variables the
            trigonometric path's exact velocity is zero.
        hidden: Width of each hidden layer of the velocity MLP.
        depth: Number of hidden layers (with 1 or 2 the exact divergence has a closed form).
        activation: Hidden units, a name of `fmmi.nn.ACTIVATIONS`.
        steps: AdamW steps per trained net; with ``early_stopping``, the most it takes. 0: no net is
            trained and each term reads its Gaussian base alone (not for cFMMI, which has none).
        batch_size: Rows per training step.
        lr: Initial learning rate, annealed to 0 by a cosine schedule.
        weight_decay: AdamW weight decay.
        ema: None: the net keeps its last weights; a float in (0, 1): it ends with the exponential
            moving average of its weights with that decay (not with ``early_stopping``).
        early_stopping: Keep back a share of each net's training rows as validation rows, record the
            net's flow-matching loss on them every `VALIDATION_EVERY` steps, stop ``patience`` steps
            after its lowest record, and keep the weights of that record, or the start (the Gaussian
            base alone) when it is not clearly lower (`fmmi.curves.EarlyStopping`). The rows an
            estimate is read on play no part.
        validation_fraction: Share of each net's training rows kept back for ``early_stopping``
            (at most 4,096 rows).
        validation: Which rows ``early_stopping`` reads: ``"train"`` (default), rows kept back from
            the net's training rows, which no estimate reads; ``"held_out"``, up to 4,096 of the
            split's held-out rows, which the estimate is read on (the net trains on all its rows and
            the decision rests on more rows, but the rows that chose the net's weights also read
            it). `fmmi.AutoFMMI`'s pilots use ``"held_out"``: their held-out rows choose the net anyway.
        patience: Steps without a lower validation loss after which ``early_stopping`` stops (at
            least `VALIDATION_EVERY`).
        sample_check: After the fit, carry re-paired held-out rows through the trained flow and compare
            its samples with other held-out rows (`fmmi.sample_check`, jFMMI only; an
            `fmmi.UnderfitWarning` when they differ much); one ODE pass over at most 2,000 rows. Where
            every net stayed at its Gaussian base, also test up to 2,000 held-out rows for dependence
            the base does not carry (`fmmi.base_check`: an `fmmi.UnderfitWarning` and an interval
            that holds every MI from 0 up when they hold some).
            `fmmi.AutoFMMI`'s pilots run it only with the Monte-Carlo interval, where the kept pilot
            can be the estimate itself.
        stopping_margin: Paired standard errors by which ``early_stopping``'s lowest validation loss
            must lie below the start's (the Gaussian base alone) for the net to keep its trained
            weights; 0 keeps the lowest record whatever the gap. `fmmi.AutoFMMI`'s folds take 0 when
            its pilot's held-out half (more rows than a fold's validation share) already showed that
            the net learns beyond the base.
        time_density: How training times are drawn, ``"uniform"`` or ``"log"``
            (`fmmi.training.sample_times`).
        time_features: ``"linear"``: the net sees t; ``"log"``: t and ``-log(1 - t) / 4``
            (`fmmi.nn.VelocityMLP`).
        fourier, fourier_scale: Random Fourier features of z for the net (`fmmi.nn.VelocityMLP`): their
            number (0: none) and the standard deviation of their frequencies. Off by default: they
            lift some low-dimensional mixtures and overshoot others (``benchmarks/mixture_screen``),
            and they replace the one-pass exact divergence by one pass per dimension.
        gaussian_base: Train the net on top of the exact velocity between Gaussian fits of the source
            and the target, whose divergence is integrated in closed form with its Wishart bias removed;
            the net learns the non-Gaussian rest (`fmmi.gaussian_base`; not for cFMMI).
        interval: ``"crossfit"``: K-fold cross-fitting, K nets, an interval that covers the data's and
            the training's variability; ``"monte_carlo"``: one train / held-out split, the Monte-Carlo
            standard error of one net and the Gaussian base's sampling error (`fmmi.intervals`).
        n_folds: K for ``interval="crossfit"`` (at least 2).
        test_size: Held-out fraction for ``interval="monte_carlo"``.
        standardize: Centre and scale every column by the training rows' mean and standard deviation.
        divergence: ``"exact"`` (trace of the Jacobian) or ``"hutchinson"`` (random probes).
        n_probes: Hutchinson probes per point.
        probe: ``"rademacher"`` or ``"gaussian"`` Hutchinson probes.
        time_sampling: ``"log_grid"``: each Monte-Carlo unit is integrated over a fixed ``n_time``-node
            Gauss–Legendre grid in ``u = -log(1 - t)``, which resolves the ``1 / (1 - t)`` tail of the
            integrand at high MI; ``"grid"``: the same grid in t; ``"uniform"``: one ``t ~ U[0, 1]`` per
            unit (`fmmi.integrate.time_nodes`).
        n_time: Nodes of the grids.
        n_mc: Monte-Carlo units per estimate; None uses every held-out row once.
        dequantize: Spread tied values of every column over the gap to their neighbours
            (`fmmi._checks.dequantize`); without it, data with ties draws a `DiscreteDataWarning`.
        checkpoint_dir: Folder for training checkpoints; the same call after a crash resumes from them
            and gives the same estimate. A folder of a run with other options or data is refused.
        checkpoint_every: Steps between checkpoints.
        random_state: ``int``, ``torch.Generator`` or None: the one source of randomness (splits,
            initial weights, batches, times, probes).
        device: ``"auto"`` (CUDA if available), ``"cpu"``, ``"cuda"``, ...
        dtype: ``torch.float32`` or ``torch.float64`` for the nets.
        mixed_precision: Train the net under bfloat16 autocast: True, False or ``"auto"`` (where the
            device has bfloat16 matrix units and ``dtype`` is float32). The Gaussian base, the divergence
            and the estimate stay in ``dtype``.
        parallel: How a cross-fitted estimate uses a torch.distributed process group: ``"folds"``,
            ``"rows"`` or ``"auto"`` (`fmmi.distributed.deal_folds`).
        progress: Show a progress bar while training.
    """

    path: str = field(default="trigonometric", metadata=_PROBLEM)
    hidden: int = 512
    depth: int = 2
    activation: str = "tanh"
    steps: int = 10000
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.0
    ema: float | None = None
    early_stopping: bool = True
    validation_fraction: float = 0.2
    validation: str = "train"
    patience: int = 2000
    stopping_margin: float = 2.0
    sample_check: bool = True
    time_density: str = "uniform"
    time_features: str = "linear"
    fourier: int = 0
    fourier_scale: float = 1.0
    gaussian_base: bool = True
    interval: str = field(default="crossfit", metadata=_PROBLEM)
    n_folds: int = field(default=5, metadata=_PROBLEM)
    test_size: float = field(default=0.5, metadata=_PROBLEM)
    standardize: bool = field(default=True, metadata=_PROBLEM)
    divergence: str = "exact"
    n_probes: int = 1
    probe: str = "rademacher"
    time_sampling: str = "log_grid"
    n_time: int = 32
    n_mc: int | None = None
    dequantize: bool = field(default=False, metadata=_PROBLEM)
    checkpoint_dir: str | os.PathLike | None = field(default=None, metadata=_PROBLEM)
    checkpoint_every: int = 500
    random_state: int | torch.Generator | None = field(default=None, metadata=_PROBLEM)
    device: str | torch.device = "auto"
    dtype: torch.dtype = torch.float32
    mixed_precision: bool | str = "auto"
    parallel: str = "auto"
    progress: bool = False

    def check(self) -> None:
        """Raise ValueError naming the first option that is not allowed."""
        for name, allowed in (
            ("activation", tuple(ACTIVATIONS)),
            ("divergence", DIVERGENCES),
            ("probe", PROBES),
            ("time_sampling", TIME_SAMPLINGS),
            ("interval", INTERVALS),
            ("time_density", TIME_DENSITIES),
            ("time_features", TIME_FEATURES),
            ("parallel", PARALLEL_MODES),
            ("validation", VALIDATIONS),
        ):
            _check_choice(getattr(self, name), name, allowed)
        get_path(self.path)
        for name in ("hidden", "depth", "batch_size", "n_probes", "n_time", "n_folds", "checkpoint_every"):
            check_positive_int(getattr(self, name), name)
        if not isinstance(self.fourier, numbers.Integral) or self.fourier < 0:
            raise ValueError(f"fourier must be a non-negative integer, got {self.fourier!r}")
        if not (isinstance(self.fourier_scale, (int, float)) and self.fourier_scale > 0):
            raise ValueError(f"fourier_scale must be a positive number, got {self.fourier_scale!r}")
        if self.steps != 0:
            check_positive_int(self.steps, "steps", "a positive integer, or 0 for the Gaussian base alone")
        if self.steps == 0 and not self.gaussian_base:
            raise ValueError("steps=0 reads the Gaussian base alone: it needs gaussian_base=True")
        if self.interval == "crossfit" and self.n_folds < 2:
            raise ValueError(f"n_folds must be at least 2 for the crossfit interval, got {self.n_folds}")
        _check_fraction(self.validation_fraction, "validation_fraction")
        if not isinstance(self.patience, numbers.Integral) or self.patience < VALIDATION_EVERY:
            raise ValueError(f"patience must be an integer of at least {VALIDATION_EVERY} steps, got {self.patience!r}")
        if not (isinstance(self.stopping_margin, numbers.Real) and self.stopping_margin >= 0):
            raise ValueError(f"stopping_margin must be a non-negative number, got {self.stopping_margin!r}")
        if self.early_stopping and self.ema is not None:
            raise ValueError(
                "early_stopping keeps the weights of one step, not a weight average: "
                "drop ema, or pass early_stopping=False"
            )
        if self.n_mc is not None and (not isinstance(self.n_mc, numbers.Integral) or self.n_mc < 2):
            raise ValueError(f"n_mc must be None or an integer >= 2, got {self.n_mc!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if not (isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be a non-negative number, got {self.weight_decay!r}")
        _check_fraction(self.test_size, "test_size")
        if self.ema is not None and not (isinstance(self.ema, float) and 0.0 < self.ema < 1.0):
            raise ValueError(f"ema must be a float in (0, 1) or None, got {self.ema!r}")
        for name in ("gaussian_base", "sample_check"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {self.dtype!r}")


@dataclass(kw_only=True, eq=False, repr=False)
class MIOptions(FlowOptions):
    """The options of `fmmi.FMMI`: those of `FlowOptions` and the MI estimator's own.

    Attributes:
        variant: ``"joint"`` (jFMMI), ``"conditional"`` (cFMMI) or ``"doe"`` (difference of entropies).
        coupling: jFMMI only: ``"auto"`` (default): ``"shared_x"`` where one side has a single column
            (that column moves, given the other side), else ``"independent"``
            (`fmmi.coupling.resolve_coupling`); ``"independent"`` (source and target pairs unrelated);
            ``"shared_x"`` (only y moves); or ``"ot"`` (pairs re-matched by minibatch optimal transport; the
            Gaussian base is then the independent coupling's, not exact for Gaussian data); see
            `fmmi.coupling`.
        derange: Re-pair Y with a derangement (no original pair kept) instead of a uniform permutation.
        reverse: Flow from the joint to the product of marginals (the divergence's sign flips).
        swap: cFMMI only: condition on y and flow in x.
        gaussianize: True maps every column of X and Y to a standard normal through its empirical CDF
            on the training rows (`fmmi.preprocessing.MarginalGaussianizer`), an increasing map that
            leaves MI unchanged; ``"auto"`` maps only the columns that a normality test rejects
            (D'Agostino–Pearson, 1% level); False maps none.
    """

    variant: str = field(default="joint", metadata=_PROBLEM)
    coupling: str = field(default="auto", metadata=_PROBLEM)
    derange: bool = field(default=False, metadata=_PROBLEM)
    reverse: bool = field(default=False, metadata=_PROBLEM)
    swap: bool = field(default=False, metadata=_PROBLEM)
    gaussianize: bool | str = field(default="auto", metadata=_PROBLEM)

    def check(self) -> None:
        super().check()
        _check_choice(self.variant, "variant", VARIANTS)
        _check_choice(self.coupling, "coupling", COUPLING_CHOICES)
        if self.gaussianize not in (True, False, "auto"):
            raise ValueError(f"gaussianize must be True, False or 'auto', got {self.gaussianize!r}")


@dataclass(kw_only=True, eq=False, repr=False)
class DefaultOptions(MIOptions):
    """The options of `fmmi.AutoFMMI`: those of `MIOptions`, with the choice of net on top.

    Attributes:
        activation: None (default): choose the net among `net_candidates` (see ``select``), else the
            first; a name: fit that net alone.
        select: ``"auto"``: choose the net when no ``activation`` is given, the variant is jFMMI, there
            are at most `SELECT_MAX_COLUMNS` columns in all and the run is a single process; True:
            always choose (no ``activation`` allowed); False: never.
        pilot_steps: Training steps of each candidate's pilot; None: ``steps``.
    """

    activation: str | None = None
    select: bool | str = "auto"
    pilot_steps: int | None = None

    def check(self) -> None:
        if not (isinstance(self.select, bool) or self.select == "auto"):
            raise ValueError(f'select must be "auto", True or False, got {self.select!r}')
        if self.select is True and self.activation is not None:
            raise ValueError("select=True chooses the activation itself; drop activation, or pass select=False")
        if self.pilot_steps is not None:
            check_positive_int(self.pilot_steps, "pilot_steps", "a positive integer or None")
        # The net's own options are checked as the fitted FMMI's, with the activation it will have.
        MIOptions.check(dataclasses.replace(self.mi_options(), activation=self.activation or MIOptions.activation))

    def mi_options(self) -> MIOptions:
        """These options less the choice of net, as `MIOptions` (``activation`` as given, None included)."""
        return MIOptions(**option_values(self, MIOptions))


@dataclass(kw_only=True, eq=False, repr=False)
class StreamingOptions(MIOptions):
    """The options of `fmmi.streaming.estimate_mi_streaming`: those of `MIOptions` less what needs the data in memory.

    One train / held-out split (``interval="monte_carlo"``), jFMMI only, no checkpoints and no
    dequantisation.

    Attributes:
        fit_rows: Training rows (a random sample) that the per-column maps and the Gaussian base are
            fitted on.
        n_mc: Held-out rows (drawn at random) averaged for the estimate.
    Streaming trains each net for ``steps`` (``early_stopping`` is off: it needs validation rows in memory).
    """

    interval: str = "monte_carlo"
    early_stopping: bool = False
    n_mc: int | None = 100_000
    fit_rows: int = 200_000

    def check(self) -> None:
        super().check()
        check_positive_int(self.fit_rows, "fit_rows")
        for name, allowed in (("variant", "joint"), ("interval", "monte_carlo")):
            if getattr(self, name) != allowed:
                raise ValueError(f"streaming supports {name}={allowed!r} only, got {getattr(self, name)!r}")
        for name in ("checkpoint_dir", "dequantize", "early_stopping"):
            if getattr(self, name):
                raise ValueError(f"streaming does not support {name} (it needs the data in memory)")


def option_values(source: Any, options: type[FlowOptions] | FlowOptions | None = None) -> dict[str, Any]:
    """The values ``source`` holds for the fields of ``options`` (default: of ``source`` itself), by name.

    ``options`` is an options class (or an estimator built on one); ``source`` anything with those
    attributes, e.g. an estimator read as the options it was built on.
    """
    fields = dataclasses.fields(source if options is None else options)
    return {f.name: getattr(source, f.name) for f in fields}


def problem_options(options: type[FlowOptions] | FlowOptions = MIOptions) -> frozenset[str]:
    """Options that define the flow-matching problem (endpoints, path, preprocessing, splits, seed).

    Fits that share these are scored on the same held-out rows and draws, so their flow-matching
    losses pair row by row (`fmmi.select`); any other option (the net, its training, the read-out)
    may differ between them.
    """
    return frozenset(f.name for f in dataclasses.fields(options) if f.metadata.get("problem"))
