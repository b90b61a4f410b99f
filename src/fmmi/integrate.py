"""Time sampling for the estimate and the Monte-Carlo summary of the integral.

``I = -∫_0^1 E[div v(Z_t, t)] dt``. Each Monte-Carlo unit is one draw of a
(source, target) pair; its contribution is the time integral of the divergence
along that pair, approximated either by one uniform time (unbiased, noisy) or
by a fixed Gauss–Legendre grid (deterministic in t, far less noise for smooth
integrands, but it cannot see features narrower than its node spacing).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import distributed
from .coupling import permutation
from .divergence import divergence as divergence_fn

__all__ = ["TIME_SAMPLINGS", "time_nodes", "mean_and_stderr"]

TIME_SAMPLINGS = ("grid", "log_grid", "uniform")

# The log grid covers t in [0, 1 - LOG_GRID_GAP].
LOG_GRID_GAP = 1e-6


def gauss_legendre(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes and weights of the n-point Gauss–Legendre rule on [0, 1] (float64)."""
    if n < 1:
        raise ValueError(f"n_time must be at least 1, got {n}")
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return torch.from_numpy((nodes + 1) / 2), torch.from_numpy(weights / 2)


def time_nodes(
    sampling: str, n_units: int, n_time: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Times and weights for ``n_units`` Monte-Carlo units.

    ``"grid"``: Gauss–Legendre nodes in t. ``"log_grid"``: Gauss–Legendre
    nodes in ``u = -log(1 - t)`` over ``t in [0, 1 - 1e-6]``. When X and Y are
    nearly functions of each other, the integrand near t = 1 falls off like
    ``1 / (1 - t)`` down to ``1 - t`` of about ``exp(-I_pair)`` (``I_pair`` the
    MI of the most dependent direction), and every nat of MI sits in an
    equal stretch of u; a grid in t misses it from about 4 nats per pair on
    (the exact Gaussian velocity gave 7.32 for 10 nats with 32 nodes in t,
    9.999 with 32 nodes in u). The stretch past ``1 - 1e-6`` is left out,
    which caps what the grid can see at about 13 nats per direction.
    ``"uniform"``: one uniform time per unit (unbiased).

    Returns:
        ``t`` of shape (n_units, k) and ``w`` of shape (k,), k = n_time for
        the grids and 1 for ``"uniform"``; ``w.sum()`` is 1 for ``"grid"`` and
        ``"uniform"`` and ``1 - 1e-6`` for ``"log_grid"``.
    """
    if sampling == "grid":
        nodes, weights = gauss_legendre(n_time)
        return nodes.expand(n_units, n_time), weights
    if sampling == "log_grid":
        # Gauss–Legendre in u = -log(1 - t) over [0, U]: dt = exp(-u) du.
        nodes, weights = gauss_legendre(n_time)
        span = -math.log(LOG_GRID_GAP)
        u = nodes * span
        return (-torch.expm1(-u)).expand(n_units, n_time), weights * span * torch.exp(-u)
    if sampling == "uniform":
        return torch.rand(n_units, 1, generator=generator, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    raise ValueError(f"time_sampling must be one of {TIME_SAMPLINGS}, got {sampling!r}")


def mean_and_stderr(values: np.ndarray) -> tuple[float, float]:
    """Sample mean and its standard error ``std / sqrt(n)``."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n == 0:
        raise ValueError("no Monte-Carlo samples to average")
    stderr = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    return float(values.mean()), stderr


def running_mean_and_stderr(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running mean and standard error after 1, 2, ..., n samples."""
    values = np.asarray(values, dtype=np.float64)
    count = np.arange(1, values.size + 1)
    mean = np.cumsum(values) / count
    second = np.cumsum(values**2) / count
    var = np.maximum(second - mean**2, 0.0) * count / np.maximum(count - 1, 1)
    return mean, np.sqrt(var / count)


def divergence_integrals(
    velocity,
    endpoints,
    n_rows: int,
    *,
    path,
    generator: torch.Generator,
    n_mc: int,
    time_sampling: str = "grid",
    n_time: int = 32,
    divergence: str = "exact",
    n_probes: int = 1,
    probe: str = "rademacher",
    eval_batch: int = 16384,
) -> np.ndarray:
    """Per-unit estimates of ``∫_0^1 div v(Z_t, t) dt`` along (source, target) pairs.

    Targets cycle through the ``n_rows`` rows in shuffled order, so every row
    is used about equally often; ``endpoints`` turns each chunk of row indices
    into ``(z_0, z_1, context)`` exactly as in training (for MI, sources
    re-pair rows within the chunk). For jFMMI, ``I = -mean`` of the returned
    values (nats).

    Args:
        velocity: ``velocity(z, t, context)``, a trained net or an exact field.
        endpoints: See `fmmi.coupling`.
        n_rows: Rows the indices range over (held-out rows).
        path: Interpolation path (`fmmi.paths`).
        n_mc: Number of Monte-Carlo units (pairs).
        time_sampling: ``"grid"`` (n_time Gauss–Legendre nodes per unit) or
            ``"uniform"`` (one uniform time per unit).
        divergence, n_probes, probe: see `fmmi.divergence.divergence`.
        eval_batch: Velocity evaluations per chunk (bounds memory).

    Returns:
        Array of shape (n_mc,).
    """
    if n_mc < 2:
        raise ValueError(f"n_mc must be at least 2, got {n_mc}")
    if n_rows < 2:
        raise ValueError(f"need at least 2 rows to re-pair for the product of marginals, got {n_rows}")
    order = torch.cat([permutation(n_rows, generator) for _ in range(-(-n_mc // n_rows))])[:n_mc]
    k = 1 if time_sampling == "uniform" else n_time
    # Every chunk keeps at least 2 rows so that re-pairing is possible.
    chunk = max(2, eval_batch // k)
    bounds = list(range(0, n_mc, chunk)) + [n_mc]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 2:
        del bounds[-2]
    out = np.zeros(n_mc)
    # Under torch.distributed, chunks are dealt out to the ranks, each with its own
    # random stream, and the per-unit values summed across ranks (zeros elsewhere).
    mine, draws = 0, generator
    if distributed.is_distributed():
        mine, draws = distributed.rank(), distributed.local_generator(generator)
    step = distributed.world_size()
    for i, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        if i % step != mine:
            continue
        m = stop - start
        z_0, z_1, context = endpoints(order[start:stop], draws)
        t, w = time_nodes(time_sampling, m, n_time, draws)
        t = t.reshape(-1).to(z_1.device)  # kept in float64: 1 - t matters near t = 1
        z_t, _ = path.sample(z_0.repeat_interleave(k, dim=0), z_1.repeat_interleave(k, dim=0), t)
        if context is not None:
            context = context.repeat_interleave(k, dim=0)
        # torch.func transforms differentiate even under no_grad.
        with torch.no_grad():
            div = divergence_fn(
                velocity, z_t, t, context, method=divergence, n_probes=n_probes, probe=probe, generator=draws
            )
        out[start:stop] = (div.double().cpu().reshape(m, k) * w).sum(-1).numpy()
    return distributed.all_reduce_sum(out)
