"""Pairing source and target samples: the product of marginals by re-pairing.

Samples of the product of marginals ``P_X ⊗ P_Y`` are made from joint samples
by re-pairing Y against X with a random permutation (or a derangement, which
never keeps an original pair). Two couplings of source and target both carry
``P_X ⊗ P_Y`` to ``P_XY``:

* ``"independent"``: the source ``(x_j, y_pi(j))`` and the target
  ``(x_i, y_i)`` are unrelated draws, so both blocks move along the path.
* ``"shared_x"``: the source keeps the target's x, ``(x_i, y_pi(i))`` to
  ``(x_i, y_i)``; only y moves.
* ``"ot"``: the independent draws, then re-paired within blocks of `OT_BLOCK`
  rows by the assignment of least total squared distance (minibatch optimal
  transport). Each source and each target is still used once, so the path
  still runs from ``P_X ⊗ P_Y`` to ``P_XY``; its paths cross less, so its
  velocity is simpler to learn.

``"auto"`` (the estimators' default) stands for one of the first two, by the
data's shape (`resolve_coupling`): where one side has a single column, that
column alone moves, given the other side (``"shared_x"``, the sides swapped
when the single column is X's; `swaps_sides`); otherwise ``"independent"``.
Under the independent coupling the net must also carry ``P_X`` to itself
between unrelated draws, a transport whose divergence integrates to zero only
where it is learned exactly; with one column to move, the flow is
one-dimensional given the rest.

An *endpoints* function maps a batch of row indices (and the generator) to
``(z_0, z_1, context)``: source points at t = 0, target points at t = 1 and
an optional conditioning input (None for unconditional flows). Training and
estimation draw through the same function, so they always see the same flow.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

__all__ = [
    "COUPLINGS",
    "COUPLING_CHOICES",
    "OT_BLOCK",
    "Endpoints",
    "permutation",
    "derangement",
    "shuffle",
    "pair",
    "joint_endpoints",
    "conditional_endpoints",
    "gaussian_source_endpoints",
    "two_sample_endpoints",
    "moves_one_column",
    "resolve_coupling",
    "swaps_sides",
]

Endpoints = Callable[[torch.Tensor, torch.Generator], "tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]"]

COUPLINGS = ("independent", "shared_x", "ot")
# What the ``coupling`` option accepts: a coupling, or "auto" (`resolve_coupling`).
COUPLING_CHOICES = ("auto", *COUPLINGS)
# Rows per optimal-transport block of the ``"ot"`` coupling: the path depends on it, so it is fixed, the same in
# training and in reading whatever the batch size.
OT_BLOCK = 256


def swaps_sides(coupling: str, dim_x: int, dim_y: int) -> bool:
    """Whether ``coupling`` on X of ``dim_x`` and Y of ``dim_y`` columns swaps the sides, so that the single
    column that ``"auto"`` moves is in Y's place (MI is symmetric): X has one column and Y more."""
    return coupling == "auto" and dim_x == 1 and dim_y > 1


def resolve_coupling(coupling: str, dim_x: int, dim_y: int) -> str:
    """The coupling that ``coupling`` stands for on sides of ``dim_x`` and ``dim_y`` columns (after
    `swaps_sides`): ``"auto"`` is ``"shared_x"`` where Y has a single column, else ``"independent"``; any
    other value is itself."""
    if coupling != "auto":
        return coupling
    return "shared_x" if dim_y == 1 else "independent"


def moves_one_column(coupling: str, dim_x: int, dim_y: int) -> bool:
    """Whether ``coupling`` on X of ``dim_x`` and Y of ``dim_y`` columns flows a single column given the other
    side: ``"shared_x"`` (``"auto"`` resolved) with one column in Y's place, after `swaps_sides`."""
    if swaps_sides(coupling, dim_x, dim_y):
        dim_x, dim_y = dim_y, dim_x
    return resolve_coupling(coupling, dim_x, dim_y) == "shared_x" and dim_y == 1


def permutation(n: int, generator: torch.Generator) -> torch.Tensor:
    """A uniformly random permutation of ``range(n)``."""
    return torch.randperm(n, generator=generator)


def derangement(n: int, generator: torch.Generator) -> torch.Tensor:
    """A uniformly random permutation of ``range(n)`` with no fixed point.

    Rejection sampling: about e ≈ 2.72 draws on average.
    """
    if n < 2:
        raise ValueError(f"a derangement needs at least 2 elements, got {n}")
    identity = torch.arange(n)
    while True:
        candidate = torch.randperm(n, generator=generator)
        if not torch.any(candidate == identity):
            return candidate


def shuffle(n: int, generator: torch.Generator, *, derange: bool = False) -> torch.Tensor:
    """Permutation used to re-pair Y against X."""
    return derangement(n, generator) if derange else permutation(n, generator)


def pair(
    x: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator,
    *,
    coupling: str = "independent",
    derange: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Source (product of marginals) and target (joint) points from one batch.

    Args:
        x: Batch of X, shape (n, dim_x).
        y: Paired batch of Y, shape (n, dim_y).
        generator: Source of randomness (CPU).
        coupling: One of `COUPLINGS` (see the module docstring).
        derange: Re-pair Y with a derangement instead of a permutation.

    Returns:
        ``z_0`` and ``z_1``, each of shape (n, dim_x + dim_y).
    """
    n = x.shape[0]
    perm = shuffle(n, generator, derange=derange).to(x.device)
    z_1 = torch.cat([x, y], dim=-1)
    if coupling == "shared_x":
        z_0 = torch.cat([x, y[perm]], dim=-1)
    elif coupling == "independent":
        # A second permutation makes the source's x unrelated to the target's.
        order = permutation(n, generator).to(x.device)
        z_0 = torch.cat([x[order], y[perm[order]]], dim=-1)
    elif coupling == "ot":
        order = permutation(n, generator).to(x.device)
        z_0 = torch.cat([x[order], y[perm[order]]], dim=-1)
        z_0 = z_0[ot_pairing(z_0, z_1)]
    else:
        raise ValueError(f"coupling must be one of {COUPLINGS}, got {coupling!r}")
    return z_0, z_1


def ot_pairing(source: torch.Tensor, target: torch.Tensor, block: int = OT_BLOCK) -> torch.Tensor:
    """Indices into ``source`` that pair each row of ``target`` with a source row, within consecutive blocks of
    ``block`` rows, so that the total squared distance of each block's pairs is least."""
    pick = torch.empty(source.shape[0], dtype=torch.int64)
    for start in range(0, source.shape[0], block):
        a = source[start : start + block].detach().double().cpu()
        b = target[start : start + block].detach().double().cpu()
        cost = torch.cdist(b, a).square().numpy()
        rows, cols = linear_sum_assignment(cost)
        pick[start + rows] = torch.from_numpy(np.asarray(cols, dtype=np.int64)) + start
    return pick.to(source.device)


def joint_endpoints(
    x: torch.Tensor, y: torch.Tensor, *, coupling: str = "independent", derange: bool = False, reverse: bool = False
) -> Endpoints:
    """jFMMI: product of marginals to joint over ``z = (x, y)`` (joint to product if ``reverse``)."""

    def draw(index: torch.Tensor, generator: torch.Generator):
        index = index.to(x.device)
        z_0, z_1 = pair(x[index], y[index], generator, coupling=coupling, derange=derange)
        return (z_1, z_0, None) if reverse else (z_0, z_1, None)

    return draw


def conditional_endpoints(
    x: torch.Tensor, y: torch.Tensor, *, derange: bool = False, reverse: bool = False
) -> Endpoints:
    """cFMMI: a flow in y from ``P_Y`` (y re-paired) to ``P_{Y|X=x}``, with x as the context."""

    def draw(index: torch.Tensor, generator: torch.Generator):
        index = index.to(x.device)
        target = y[index]
        source = target[shuffle(index.numel(), generator, derange=derange).to(x.device)]
        return (target, source, x[index]) if reverse else (source, target, x[index])

    return draw


def gaussian_source_endpoints(data: torch.Tensor) -> Endpoints:
    """Entropy: a flow from ``N(0, I)`` to the data."""

    def draw(index: torch.Tensor, generator: torch.Generator):
        target = data[index.to(data.device)]
        noise = torch.randn(target.shape, generator=generator, dtype=torch.float64).to(target)
        return noise, target, None

    return draw


def two_sample_endpoints(source: torch.Tensor, target: torch.Tensor) -> Endpoints:
    """Entropy difference: a flow from the ``source`` samples to the ``target`` samples.

    Indices run over target rows; each gets an independent random source row.
    """

    def draw(index: torch.Tensor, generator: torch.Generator):
        picks = torch.randint(source.shape[0], (index.numel(),), generator=generator).to(source.device)
        return source[picks], target[index.to(target.device)], None

    return draw
