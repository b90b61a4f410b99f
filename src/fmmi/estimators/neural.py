"""Neural variational bounds for comparison: InfoNCE, NWJ and MINE (Donsker–Varadhan).

All three train a critic ``f(x, y)`` (a small ReLU MLP on the concatenated
pair, layers of 16 and 8 units as in the BMI benchmark's baselines) by
maximising a lower bound on MI over mini-batches, and report that bound on
held-out rows. In a batch of ``B`` pairs, ``f`` is evaluated on all ``B²``
combinations: the diagonal holds joint pairs, the rest pairs drawn from the
product of the marginals.

* InfoNCE (van den Oord et al. 2018): ``E_i[f_ii - log(1/B Σ_j exp f_ij)]``;
  it cannot exceed ``log B`` (6.24 nats at B = 512).
* NWJ (Nguyen, Wainwright, Jordan 2010): ``E_P[f] - e⁻¹ E_Q[exp f]``.
* MINE (Belghazi et al. 2018): the Donsker–Varadhan bound
  ``E_P[f] - log E_Q[exp f]``, trained with MINE's bias correction (the
  gradient of the log term divided by a moving average of ``E_Q[exp f]``).

The interval is the Monte-Carlo error over held-out batches of one trained
critic (``interval_kind="monte_carlo"``): it leaves out the training's
variability, like any single-run neural estimate.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from .._checks import check_pair
from ..integrate import mean_and_stderr
from ..result import MIResult
from ._holdout import check_positive_ints, holdout
from .params import Params

__all__ = ["InfoNCE", "NWJ", "MINE"]


def _mlp(n_in: int, hidden: tuple[int, ...], generator: torch.Generator) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_in
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, 1))
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for module in net:
            if isinstance(module, nn.Linear):
                bound = 1 / math.sqrt(module.in_features)
                module.weight.uniform_(-bound, bound, generator=generator)
                module.bias.uniform_(-bound, bound, generator=generator)
    return net


class _CriticEstimator(Params):
    """Shared training and evaluation; subclasses define the bound."""

    method = ""

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (16, 8),
        steps: int = 2000,
        batch_size: int = 256,
        lr: float = 5e-3,
        test_size: float = 0.5,
        random_state: int | torch.Generator | None = None,
        device: str | torch.device = "cpu",
    ):
        self.hidden = tuple(hidden)
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.test_size = test_size
        self.random_state = random_state
        self.device = device

    # -- the bound -------------------------------------------------------------

    def _bound(self, scores: torch.Tensor) -> torch.Tensor:
        """The bound from a B × B score matrix (rows x_i, columns y_j)."""
        raise NotImplementedError

    def _loss(self, scores: torch.Tensor) -> torch.Tensor:
        return -self._bound(scores)

    # -- shared ----------------------------------------------------------------

    def _scores(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # The first layer is linear in the concatenation (x, y): apply its two
        # blocks to x and y once each and add them for every pair, which is
        # the same function as the concatenated MLP at O(B) first-layer cost.
        first, rest = self.critic_[0], self.critic_[1:]
        dx = x.shape[1]
        hx = x @ first.weight[:, :dx].T + first.bias
        hy = y @ first.weight[:, dx:].T
        return rest(hx[:, None, :] + hy[None, :, :]).squeeze(-1)

    def fit_estimate(self, x: Any, y: Any) -> MIResult:
        """Train the critic on part of the rows, report the bound on the rest (nats)."""
        start = time.perf_counter()
        x, y = check_pair(x, y)
        if not self.hidden or not all(isinstance(h, (int, np.integer)) and h >= 1 for h in self.hidden):
            raise ValueError(f"hidden must be a non-empty tuple of positive layer widths, got {self.hidden!r}")
        check_positive_ints(self, ("steps", "batch_size"))
        split = holdout(
            x, y, test_size=self.test_size, random_state=self.random_state, device=self.device, min_train=2, min_eval=4
        )
        tx, ty, train, held_out, generator, seed, device = split
        n_eval = held_out.size
        batch = min(self.batch_size, train.size, n_eval)
        self.critic_ = _mlp(x.shape[1] + y.shape[1], self.hidden, generator).to(device)
        optimizer = torch.optim.Adam(self.critic_.parameters(), lr=self.lr)
        self._reset()
        history = np.empty(self.steps)
        train_t = torch.as_tensor(train, device=device)
        for step in range(self.steps):
            rows = train_t[torch.randint(train.size, (batch,), generator=generator).to(device)]
            loss = self._loss(self._scores(tx[rows], ty[rows]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            history[step] = -float(loss.detach())
            if not math.isfinite(history[step]):
                raise FloatingPointError(f"{self.method}: the training bound became {history[step]} at step {step + 1}")
        self.history_ = history
        values = []
        # At least two held-out batches, so that their spread gives a standard error.
        eval_batch = max(2, min(batch, n_eval // 2))
        with torch.no_grad():
            shuffled = held_out[torch.randperm(n_eval, generator=generator).numpy()]
            for begin in range(0, n_eval - eval_batch + 1, eval_batch):
                rows = torch.as_tensor(shuffled[begin : begin + eval_batch], device=device)
                values.append(float(self._bound(self._scores(tx[rows], ty[rows]))))
        values = np.asarray(values)
        if not np.all(np.isfinite(values)):
            raise FloatingPointError(f"{self.method}: the held-out bound is not finite")
        value, stderr = mean_and_stderr(values)
        return MIResult.from_mean(
            value,
            stderr,
            n_train=int(train.size),
            n_eval=n_eval,
            n_mc=int(values.size),
            interval_kind="monte_carlo",
            method=self.method,
            seconds=time.perf_counter() - start,
            random_state=seed,
            options={k: v for k, v in self.get_params().items() if k != "random_state"},
        )

    def _reset(self) -> None:
        """Reset any state kept across training steps."""


class InfoNCE(_CriticEstimator):
    """InfoNCE bound, in nats; capped at ``log(batch_size)``. See the module docstring."""

    method = "InfoNCE"

    def _bound(self, scores):
        b = scores.shape[0]
        return (scores.diagonal() - torch.logsumexp(scores, dim=1)).mean() + math.log(b)


class NWJ(_CriticEstimator):
    """NWJ (f-divergence) bound, in nats. See the module docstring."""

    method = "NWJ"

    def _bound(self, scores):
        b = scores.shape[0]
        off = ~torch.eye(b, dtype=torch.bool, device=scores.device)
        return scores.diagonal().mean() - torch.exp(scores[off] - 1).mean()


class MINE(_CriticEstimator):
    """Donsker–Varadhan bound trained as in MINE (moving-average bias correction), in nats.

    Args:
        ema: Weight of the newest batch in the moving average of ``E_Q[exp f]``.
    """

    method = "MINE"

    def __init__(
        self,
        *,
        ema: float = 0.01,
        hidden: tuple[int, ...] = (16, 8),
        steps: int = 2000,
        batch_size: int = 256,
        lr: float = 5e-3,
        test_size: float = 0.5,
        random_state: int | torch.Generator | None = None,
        device: str | torch.device = "cpu",
    ):
        super().__init__(
            hidden=hidden,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            test_size=test_size,
            random_state=random_state,
            device=device,
        )
        self.ema = ema

    def _reset(self):
        self._average = None

    def _bound(self, scores):
        b = scores.shape[0]
        off = ~torch.eye(b, dtype=torch.bool, device=scores.device)
        marginal = scores[off]
        return scores.diagonal().mean() - (torch.logsumexp(marginal, 0) - math.log(marginal.numel()))

    def _loss(self, scores):
        b = scores.shape[0]
        off = ~torch.eye(b, dtype=torch.bool, device=scores.device)
        exp_marginal = torch.exp(scores[off]).mean()
        current = float(exp_marginal.detach())
        self._average = current if self._average is None else (1 - self.ema) * self._average + self.ema * current
        # Gradient of log E_Q[e^f] with E_Q[e^f] in the denominator replaced by its moving average.
        return -(scores.diagonal().mean() - exp_marginal / self._average)
