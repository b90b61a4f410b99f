"""FMMI: mutual information from flows matched between ``P_X ⊗ P_Y`` and ``P_XY``."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import torch

from .._checks import as_matrix, check_pair, refuse_shared_columns
from ..coupling import COUPLINGS
from ..preprocessing import MarginalGaussianizer
from ..result import MIResult
from ._base import ConditionalMIFlow, EntropyFlow, FlowEstimator, JointMIFlow

__all__ = ["FMMI", "SELECT_MAX_COLUMNS", "VARIANTS", "estimate_mi", "conditional_mi"]

VARIANTS = ("joint", "conditional", "doe")


class FMMI(FlowEstimator):
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

    All arguments are keyword-only and stored unchanged; they are checked in
    `fit`.

    Args:
        variant: ``"joint"``, ``"conditional"`` or ``"doe"``.
        coupling: jFMMI only. ``"independent"`` (source and target pairs
            unrelated; default) or ``"shared_x"`` (only y moves); see
            `fmmi.coupling`. ``"shared_x"`` measured worse from 5 dimensions up.
        derange: Re-pair Y with a derangement (no original pair kept) instead
            of a uniform permutation.
        reverse: Flow from the joint to the product of marginals.
        swap: cFMMI only: condition on y and flow in x.
        gaussianize: ``"auto"`` (default), ``True`` or ``False``. ``True`` maps
            every column of X and Y to a standard normal through its
            empirical CDF on the training rows before the flow
            (`fmmi.preprocessing.MarginalGaussianizer`): increasing maps, so
            MI is unchanged for continuous data, and heavy tails or bounded
            margins no longer have to be learned by the flow (it removed a
            -0.03 error on Gaussian data seen through ``half_cube`` and
            ``normal_cdf`` and a +0.01 error on a Student-t; benchmarks/README.md); the
            estimate becomes exactly invariant to increasing maps of single
            coordinates. ``"auto"`` maps only the columns that a normality
            test rejects (D'Agostino–Pearson, 1% level): a map fitted on the
            rows it is applied to keeps only their ranks and adds a wiggle
            of the size of the quantiles' sampling error, which erases the
            fine structure of strongly dependent data (one Gaussian pair at
            10 nats, N = 10,000: 8.438 with every column mapped, 10.012 with
            ``"auto"``; `benchmarks/ablation.py`).
        path: ``"trigonometric"`` (default) or ``"linear"`` (the seed
            article's). On correlated Gaussians (1, 5+5 and 10+10 dimensions)
            the trigonometric path had the smaller error, and the gap grows
            with dimension (see benchmarks/README.md); with standardised independent
            variables its exact velocity is zero, so MI 0 is easy to hit.
        hidden: Width of each hidden layer of the velocity MLP.
        depth: Number of hidden layers. With 1 or 2, the exact divergence has
            a closed form as cheap as a forward pass.
        activation: ``"tanh"``, ``"silu"``, ``"gelu"``, ``"softplus"``,
            ``"elu"`` or ``"relu"``.
        steps: AdamW steps per trained net.
        batch_size: Rows per training step.
        lr: Initial learning rate, annealed to 0 by a cosine schedule.
        weight_decay: AdamW weight decay.
        interval: ``"crossfit"`` (default): K-fold cross-fitting, K nets, an
            interval that covers the data's and the training's variability
            (costs K trainings); ``"monte_carlo"``: one train / held-out
            split, the Monte-Carlo standard error of one net and the
            Gaussian base's sampling error (one training; blind to the
            training's variability). See `fmmi.estimators._base`.
        n_folds: K for ``interval="crossfit"``.
        test_size: Held-out fraction for ``interval="monte_carlo"``.
        standardize: Centre and scale every column of X and Y by the training
            rows' mean and standard deviation (an invertible map per variable,
            so MI is unchanged; it puts all coordinates on one scale).
        divergence: ``"exact"`` (trace of the Jacobian) or ``"hutchinson"``
            (unbiased random-probe estimate; cheaper in high dimension).
        n_probes: Hutchinson probes per point.
        probe: ``"rademacher"`` or ``"gaussian"`` Hutchinson probes.
        time_sampling: ``"log_grid"`` (default): each Monte-Carlo unit is
            integrated over a fixed ``n_time``-node Gauss–Legendre grid in
            ``u = -log(1 - t)``, t up to ``1 - 1e-6``, which resolves the
            integrand's ``1 / (1 - t)`` tail near t = 1 at high MI; ``"grid"``:
            the same in t (misses that tail from about 4 nats per direction
            on); ``"uniform"``: one ``t ~ U[0, 1]`` per unit (unbiased
            whatever the integrand, noisier). See `fmmi.integrate.time_nodes`.
        n_time: Grid nodes for the grids.
        ema: None (default): the net keeps its last weights. A float in
            (0, 1): it ends with the exponential moving average of its
            weights with that decay (e.g. 0.999), which smooths the step
            noise that the divergence, hence the estimate, is sensitive to.
        time_density: How training times are drawn: ``"uniform"`` (default)
            or ``"log"`` (half of them spread evenly in ``-log(1 - t)``); see
            `fmmi.training.sample_times`.
        time_features: ``"linear"`` (default): the net sees t; ``"log"``: t
            and ``-log(1 - t) / 4`` (see `fmmi.nn.VelocityMLP`). Without the
            Gaussian base, ``"log"`` with ``time_density="log"`` lifted one
            pair at 10 nats from 3.9 to 4.9 and two pairs from 7.4 to 8.7;
            with the base it changed nothing (ablation in benchmarks/README.md).
        gaussian_base: Train the net on top of the exact velocity between
            Gaussian fits of the source and the target (jFMMI, the
            entropy flows and the difference-of-entropies variant; not
            cFMMI), whose
            divergence is integrated in closed form with its Wishart bias
            removed; the net learns only the non-Gaussian rest. Default on:
            it carries the ``1 / (1 - t)`` part of the velocity of strongly
            dependent directions, which a tanh net cannot represent (it
            stalled near 3.9 nats for one pair at any MI above; with the
            base, 10.01 for 10). See `fmmi.gaussian_base` and the ablation in
            benchmarks/README.md.
        n_mc: Monte-Carlo units (source/target pairs) per estimate; ``None``
            uses every held-out row once.
        dequantize: Spread tied values of every column with repeated values
            over the gap to their neighbours (``U(-δ/2, δ/2)``, δ the smallest
            gap; `fmmi._checks.dequantize`). For data on a grid (counts,
            rounded values) this keeps the MI of the discrete variables
            exactly. Without it, such data draws a `DiscreteDataWarning`.
        checkpoint_dir: Folder for training checkpoints. Every net's state is
            written there every ``checkpoint_every`` steps (atomically); the
            same call after a crash or kill resumes from the last checkpoint
            and gives the same estimate as an uninterrupted run. A folder of a
            run with other options or data is refused.
        checkpoint_every: Steps between checkpoints.
        random_state: ``int``, ``torch.Generator`` or ``None``; the one source
            of randomness (splits, initial weights, batches, times, probes).
        device: ``"auto"`` (CUDA if available), ``"cpu"``, ``"cuda"``, ...
        dtype: ``torch.float32`` or ``torch.float64`` for the nets.
        mixed_precision: Train the net under bfloat16 autocast (the Gaussian
            base stays in ``dtype``): ``True``, ``False``,
            or ``"auto"`` (on where the device has bfloat16 matrix units, a
            CUDA GPU that supports bfloat16 or a CPU with AVX512-BF16 or AMX,
            and ``dtype`` is float32; the value used is ``mixed_precision_``).
            The divergence and the estimate are computed in ``dtype`` and
            accumulated in float64.
        parallel: How a cross-fitted estimate uses the ranks of a
            torch.distributed process group (ignored in a single process):
            ``"folds"`` deals the K folds out whole (each rank trains and
            reads its folds alone; no gradient exchange), ``"rows"`` trains
            every net with DDP over all ranks, ``"auto"`` takes folds when
            there are at least as many folds as ranks and the ranks divide
            them or the backend is gloo (see `fmmi.distributed.deal_folds`).
            One-split runs (``interval="monte_carlo"``) always use rows.
        progress: Show a progress bar while training.

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
            at zero). When in most splits the end is not lower than step 0 by
            more than 2 paired standard errors, while the nets move the
            estimate by more than 0.1 nats, the fit draws an
            `fmmi.OverfitWarning` (also in ``result.warnings``). None for
            splits of other ranks.
        n_train_: Training rows of the first split.
        random_state_: The integer seed used, when one was given or drawn.

    Example:
        >>> import fmmi
        >>> dist = fmmi.distributions.CorrelatedGaussian.from_mi(0.5)
        >>> x, y = dist.sample(2000, random_state=0)
        >>> est = FMMI(steps=600, hidden=128, lr=3e-3, interval="monte_carlo", random_state=0)
        >>> abs(est.fit_estimate(x, y).value - 0.5) < 0.1
        True
    """

    _extra_choices = {"variant": VARIANTS, "coupling": COUPLINGS}

    def __init__(
        self,
        *,
        variant: str = "joint",
        coupling: str = "independent",
        derange: bool = False,
        reverse: bool = False,
        swap: bool = False,
        gaussianize: bool | str = "auto",
        **options: Any,
    ):
        self.variant = variant
        self.coupling = coupling
        self.derange = derange
        self.reverse = reverse
        self.swap = swap
        self.gaussianize = gaussianize
        self._init_common(**options)

    def _check_params(self) -> None:
        super()._check_params()
        if self.gaussianize not in (True, False, "auto"):
            raise ValueError(f"gaussianize must be True, False or 'auto', got {self.gaussianize!r}")

    def _fit_preprocessing(self, data):
        if not self.gaussianize:
            return None
        return [MarginalGaussianizer(skip_normal=self.gaussianize == "auto").fit(a) for a in data]

    def _preprocess(self, state, data):
        if state is None:
            return data
        return tuple(g.transform(a) for g, a in zip(state, data))

    @property
    def method(self) -> str:
        return {"joint": "jFMMI", "conditional": "cFMMI", "doe": "FMDoE"}.get(self.variant, self.variant)

    def _terms(self, data):
        x, y = data
        if self.variant == "joint":
            return [(1.0, JointMIFlow, (x, y))]
        if self.variant == "conditional":
            return [(1.0, ConditionalMIFlow, (y, x) if self.swap else (x, y))]
        return [
            (1.0, EntropyFlow, (x,)),
            (1.0, EntropyFlow, (y,)),
            (-1.0, EntropyFlow, (np.hstack([x, y]),)),
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


# Up to this many columns in all (dim_x + dim_y) `estimate_mi` chooses between the tanh and the
# SiLU net by default; above, it fits the tanh net alone (the rule and its evidence: the docstring).
SELECT_MAX_COLUMNS = 40


def chooses_net(n_columns: int, options: dict) -> bool:
    """Whether `estimate_mi` with ``select="auto"`` chooses between the tanh and the SiLU net.

    Yes for jFMMI with no ``activation`` in ``options``, at most `SELECT_MAX_COLUMNS`
    columns in all (dim_x + dim_y) and a single process.
    """
    from .. import distributed

    return (
        "activation" not in options
        and options.get("variant", "joint") == "joint"
        and n_columns <= SELECT_MAX_COLUMNS
        and not distributed.is_distributed()
    )


def estimate_mi(
    x: Any,
    y: Any,
    *,
    random_state: int | torch.Generator | None = None,
    device: str | torch.device = "auto",
    select: bool | str = "auto",
    **options: Any,
) -> MIResult:
    """Mutual information ``I(X;Y)`` in nats, with a 95% interval.

    The default, in two steps:

    1. Choose the net. One training of the tanh net and one of the SiLU net
       (each on half of the rows, as many steps as the full fit) are scored
       by their flow-matching loss on the other half; SiLU is kept only if
       its loss is lower by more than 2 paired standard errors (`fmmi.select`
       with ``pilot_steps`` equal to ``steps``).
    2. Fit the kept net by 5-fold cross-fitting: five jFMMI nets, each
       trained on four fifths of the rows and read on the fifth it never
       saw; the interval covers the data's and the training's variability.

    That is seven trainings, about 1.4 times the cost of cross-fitting one
    net. SiLU fits sharp, low-dimensional dependence (spirals) that tanh
    underestimates, and overshoots some heavy-tailed dependence that tanh
    reads well; the held-out loss tells them apart on most of BMI's tasks
    (``benchmarks/README.md``, "Choosing on pilots"). With more than
    `SELECT_MAX_COLUMNS` columns in all the tanh net is fitted alone: SiLU
    was never kept there (on BMI's 50- and 100-column tasks tanh's pilot
    loss was lower by 15.9 to 47 standard errors, on ``highdim``'s
    Gaussians the two nets read alike), nor on non-Gaussian data of 20 and
    40 columns (``benchmarks/column_limit.py``), so the pilots would only
    add time.

    With ``interval="monte_carlo"`` the kept pilot is the estimate: two
    trainings in all, and an interval that ignores the training's
    variability. The kept net is ``result.options["activation"]``;
    ``result.seconds`` counts the pilots too. `fmmi.select` gives every
    candidate's loss and pilot estimate.

    Args:
        x: Samples of X, shape (n_samples, dim_x) or (n_samples,). Numpy array,
            torch tensor, list or pandas object.
        y: Paired samples of Y, shape (n_samples, dim_y) or (n_samples,).
        random_state: Seed for a repeatable run (same seed, same value on CPU).
            A generator gives the choice one integer seed drawn from it.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``...
        select: ``"auto"`` (the default): choose the net as above when
            dim_x + dim_y <= `SELECT_MAX_COLUMNS`, no ``activation`` is
            given, the variant is jFMMI (the choice was measured on it
            alone) and the run is a single process (under torchrun the tanh
            net is fitted alone); True: always choose; False: fit one `FMMI`
            with ``options`` (the tanh net unless ``activation`` says
            otherwise), five trainings.
        **options: Those of `FMMI`, shared by both nets.

    Returns:
        `MIResult`; ``float(result)`` is the estimate, ``result.interval_kind``
        names what its interval covers.

    Raises:
        ValueError: for unusable data, named in the message: different row
            counts, NaN or infinite values, constant columns, too few rows
            for the split, or a continuous column that x and y both hold
            (its MI with itself is infinite); ``select=True`` with an
            ``activation``; a ``select`` that is not True, False or "auto".
        TypeError: for non-numeric data.

    Example:
        >>> import numpy as np, fmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=2000)
        >>> y = x + rng.normal(size=2000)          # true MI = ½ log 2 ≈ 0.347 nats
        >>> r = fmmi.estimate_mi(x, y, steps=600, hidden=128, lr=3e-3, n_folds=3, random_state=0)
        >>> r.unit, r.interval_kind, r.options["activation"], abs(r.value - 0.3466) < 0.1
        ('nats', 'crossfit', 'tanh', True)
    """
    if not (isinstance(select, bool) or (isinstance(select, str) and select == "auto")):
        raise ValueError(f'select must be "auto", True or False, got {select!r}')
    if select is True and "activation" in options:
        raise ValueError("select=True chooses the activation itself; drop activation, or pass select=False")
    if select == "auto":
        x, y = check_pair(x, y)
        select = chooses_net(x.shape[1] + y.shape[1], options)
    if not select:
        return FMMI(random_state=random_state, device=device, **options).fit_estimate(x, y)
    from ..selection import select as choose

    start = time.perf_counter()
    if isinstance(random_state, torch.Generator):  # one integer, so that both nets get the same rows and draws
        random_state = int(torch.randint(2**62, (1,), generator=random_state))
    steps = options.get("steps", FMMI().steps)
    result = choose(x, y, pilot_steps=steps, random_state=random_state, device=device, **options).result
    return dataclasses.replace(result, seconds=time.perf_counter() - start)


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
    *,
    random_state: int | torch.Generator | None = None,
    device: str | torch.device = "auto",
    **options: Any,
) -> MIResult:
    """Conditional mutual information ``I(X;Y|Z)`` in nats, by the chain rule.

    ``I(X;Y|Z) = I(X;(Y,Z)) - I(X;Z)``: two MI estimates, trained and read on
    the same splits, so that with the default cross-fitting interval each
    fold's difference carries both terms' errors and their correlation.
    Options are those of `FMMI` (``variant`` picks the MI estimator).

    Args:
        x: (n, dim_x). y: (n, dim_y). z: (n, dim_z); same number of rows.
    """
    x, y = check_pair(x, y)
    z = as_matrix(z, "z")
    if z.shape[0] != x.shape[0]:
        raise ValueError(f"x and z must have the same number of rows, got {x.shape[0]} and {z.shape[0]}")
    refuse_shared_columns(x, z, "x", "z")
    refuse_shared_columns(y, z, "y", "z")
    return _ChainRuleCMI(random_state=random_state, device=device, **options)._fit_estimate((x, y, z))
