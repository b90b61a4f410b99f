"""The sample check: do the trained flow's samples look like rows it never saw?

The overfit check (`fmmi.fit_check`) asks whether the nets fit held-out rows better than the
Gaussian base; it cannot see a net that fits them better and still misses most of the dependence
(an underfit, as on sharp mixtures). This check looks at what the flow makes. In each split, half of
up to `CHECK_ROWS` held-out rows are re-paired (a sample of the product of marginals) and carried
by the trained flow from t = 0 to t = 1; the result should be a sample of the joint, like the other
half. Samples and rows are pooled over the splits and compared by a nearest-neighbour two-sample
statistic, Schilling's: the share of each point's `NEIGHBOURS` nearest neighbours that come from
its own sample (about ½ when the two samples are alike; its null distribution by permuting the
labels on the same neighbour graph). The same statistic between the re-paired rows and the joint
rows measures how far apart the product of marginals lies, and ``missed = (S_flow - S_null) /
(S_product - S_null)`` is the share of that distance the flow did not cover: about 0 for a flow
that reproduces the data, 1 for one that learned nothing. An `fmmi.UnderfitWarning` is due when the
flow's samples are told apart from the rows (permutation p-value below `UNDERFIT_P`) and ``missed``
exceeds `UNDERFIT_SHARE`.

Nearest neighbours lose power as the dimension grows (``benchmarks/underfit_screen``): in many
dimensions, or with few held-out rows, the check stays silent rather than sure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .solver import rk4_trajectory
from .terms import ConditionalMITerm, JointMITerm, Term

__all__ = [
    "CHECK_ROWS",
    "NEIGHBOURS",
    "UNDERFIT_P",
    "UNDERFIT_SHARE",
    "flow_samples",
    "same_sample_share",
    "underfit_note",
]

CHECK_ROWS = 4000  # held-out rows read, all splits together
NEIGHBOURS = 5
UNDERFIT_P = 0.01
UNDERFIT_SHARE = 0.5
PERMUTATIONS = 200
ODE_STEPS = 50  # RK4 steps, equal in -log(1 - t) up to t = 1 - exp(-LOG_TIME_END)
LOG_TIME_END = 9.0


def checks(terms: Sequence[tuple[float, Term]]) -> bool:
    """Whether a split's terms are a flow this check reads: one jFMMI term, from the product to the joint."""
    if len(terms) != 1:
        return False
    term = terms[0][1]
    return isinstance(term, JointMITerm) and not isinstance(term, ConditionalMITerm) and not term.options.reverse


@torch.no_grad()
def flow_samples(term: Term, arrays: Sequence[np.ndarray], seed: int) -> tuple[torch.Tensor, ...]:
    """``(product, flow samples, joint)`` from the held-out rows ``arrays`` (x, y) of a jFMMI term.

    The first half of the rows, y re-paired, is the product; the flow carries it to t = 1; the
    second half is the joint. All in the term's standardised coordinates.
    """
    x, y = term.tensors(list(arrays))
    generator = torch.Generator().manual_seed(seed)
    half = x.shape[0] // 2
    product = torch.cat([x[:half], y[:half][torch.randperm(half, generator=generator).to(y.device)]], dim=1)
    joint = torch.cat([x[half:], y[half:]], dim=1)
    velocity = (
        (lambda z, t, context=None: term.base(z, t)) if term.at_base else term.velocity
    )  # at the base the net is 0

    def in_log_time(z, u, context=None):  # t = 1 - exp(-u LOG_TIME_END), u from 0 to 1: the base's rates stay tame
        t = 1 - torch.exp(-u.double() * LOG_TIME_END)
        return velocity(z, t.to(z.dtype), context) * (LOG_TIME_END * (1 - t)).to(z.dtype)[:, None]

    samples = rk4_trajectory(in_log_time, product, ODE_STEPS)[-1]
    return product.cpu().double(), samples.cpu().double(), joint.cpu().double()


def _neighbours(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The pooled rows' `NEIGHBOURS` nearest other rows (indices), and their labels (0: a, 1: b)."""
    pooled = torch.cat([a, b])
    distances = torch.cdist(pooled, pooled)
    distances.fill_diagonal_(float("inf"))
    labels = torch.cat([torch.zeros(a.shape[0], dtype=torch.long), torch.ones(b.shape[0], dtype=torch.long)])
    return distances.topk(NEIGHBOURS, largest=False).indices, labels


def _share(neighbours: torch.Tensor, labels: torch.Tensor) -> float:
    return float((labels[neighbours] == labels[:, None]).double().mean())


def same_sample_share(a: torch.Tensor, b: torch.Tensor) -> float:
    """Schilling's statistic: the mean share of each pooled row's nearest neighbours from its own sample."""
    return _share(*_neighbours(a, b))


def underfit_note(method: str, parts: Sequence[tuple[torch.Tensor, ...]], seed: int = 0) -> tuple[str, ...]:
    """The words of an `fmmi.UnderfitWarning`, if the pooled ``(product, flow samples, joint)`` of the
    splits (`flow_samples`) call for one; () otherwise."""
    if not parts:
        return ()
    product, samples, joint = (torch.cat(p) for p in zip(*parts))
    if min(samples.shape[0], joint.shape[0]) <= 4 * NEIGHBOURS:
        return ()
    neighbours, labels = _neighbours(samples, joint)
    flow = _share(neighbours, labels)
    generator = torch.Generator().manual_seed(seed)
    null = np.array(
        [_share(neighbours, labels[torch.randperm(labels.numel(), generator=generator)]) for _ in range(PERMUTATIONS)]
    )
    p_value = (1 + np.sum(null >= flow)) / (1 + PERMUTATIONS)
    start = same_sample_share(product, joint)
    if not (p_value < UNDERFIT_P and start > null.mean()):
        return ()
    missed = (flow - null.mean()) / (start - null.mean())  # can pass 1: a flow that moved the wrong way
    if missed <= UNDERFIT_SHARE:
        return ()
    return (
        f"{method}: samples of the trained flow are told apart from {joint.shape[0]} held-out rows by their "
        f"{NEIGHBOURS} nearest neighbours (p = {p_value:.3f}), with {min(missed, 1):.0%} of the product of "
        "marginals' distance from those rows still to cover: the nets missed much of the dependence, and the "
        "estimate rests on a flow that does not reproduce the data: it may be far off, low or high. See 'When "
        "to distrust an estimate' in the documentation",
    )
