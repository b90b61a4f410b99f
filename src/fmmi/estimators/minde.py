"""MINDE, conditional variant (Franzese et al., ICLR 2024): MI from a score-based diffusion model.

A variance-preserving diffusion ``x_t = α_t x + σ_t ε`` (``β(t)`` linear from
``beta_min`` to ``beta_max``, ``α_t = exp(-½∫β)``, ``σ_t² = 1 - α_t²``) is
learned for X, conditioned on Y or not: one denoiser ``ε̂(x_t, t, c)``
whose condition ``c`` is ``(y, 1)`` or ``(0, 0)`` (each with probability ½
during training). With scores ``s = -ε̂ / σ_t``,

    I(X;Y) = ½ ∫_0^1 β(t) E‖s(x_t | y) - s(x_t)‖² dt
           = ½ ∫_0^1 β(t) / σ_t² · E‖ε̂(x_t, t, y) - ε̂(x_t, t, ∅)‖² dt,

read on held-out rows with ``t`` stratified uniformly over ``[t_min, 1]``.
The interval is the Monte-Carlo error of that average for one trained
denoiser (``interval_kind="monte_carlo"``).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from .._checks import check_pair
from ..integrate import mean_and_stderr
from ..nn import VelocityMLP
from ..result import MIResult
from ._holdout import check_positive_ints, holdout
from .params import Params

__all__ = ["MINDE"]


class MINDE(Params):
    """Conditional MINDE, in nats. See the module docstring.

    Args:
        hidden: Width of the denoiser MLP (`fmmi.nn.VelocityMLP`, SiLU).
        depth: Its hidden layers.
        steps: AdamW steps, with cosine annealing.
        batch_size: Rows per step.
        lr: Initial learning rate.
        n_time: Stratified times per held-out row.
        beta_min: Start of the linear noise schedule.
        beta_max: Its end.
        t_min: The integral starts here (``σ_t → 0`` at ``t = 0``).
        test_size: Held-out fraction.
        random_state: Seed (int), generator or None.
        device: Where the denoiser trains.
    """

    method = "MINDE-c"

    def __init__(
        self,
        *,
        hidden: int = 256,
        depth: int = 2,
        steps: int = 5000,
        batch_size: int = 256,
        lr: float = 1e-3,
        n_time: int = 16,
        beta_min: float = 0.1,
        beta_max: float = 20.0,
        t_min: float = 1e-3,
        test_size: float = 0.5,
        random_state: int | torch.Generator | None = None,
        device: str | torch.device = "cpu",
    ):
        self.hidden = hidden
        self.depth = depth
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.n_time = n_time
        self.beta_min = beta_min
        self.beta_max = beta_max
        self.t_min = t_min
        self.test_size = test_size
        self.random_state = random_state
        self.device = device

    def _schedule(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(α_t, σ_t, β(t))``."""
        integral = self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t
        alpha = torch.exp(-0.5 * integral)
        sigma = torch.sqrt(-torch.expm1(-integral))
        return alpha, sigma, self.beta_min + (self.beta_max - self.beta_min) * t

    def fit_estimate(self, x: Any, y: Any) -> MIResult:
        """Train on part of the rows, estimate on the rest (nats)."""
        start = time.perf_counter()
        x, y = check_pair(x, y)
        check_positive_ints(self, ("hidden", "depth", "steps", "batch_size", "n_time"))
        if not 0 < self.t_min < 1:
            raise ValueError(f"t_min must lie in (0, 1), got {self.t_min}")
        split = holdout(
            x, y, test_size=self.test_size, random_state=self.random_state, device=self.device, min_train=2, min_eval=2
        )
        tx, ty, train, held_out, generator, seed, device = split
        n_eval = held_out.size
        net = VelocityMLP(
            x.shape[1],
            context=y.shape[1] + 1,
            hidden=self.hidden,
            depth=self.depth,
            activation="silu",
            generator=generator,
        ).to(device)
        self.net_ = net
        optimizer = torch.optim.AdamW(net.parameters(), lr=self.lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.steps)
        batch = min(self.batch_size, train.size)
        history = np.empty(self.steps)
        for step in range(self.steps):
            rows = torch.as_tensor(train[torch.randint(train.size, (batch,), generator=generator).numpy()])
            x0, cond = tx[rows], ty[rows]
            t = (self.t_min + (1 - self.t_min) * torch.rand(batch, generator=generator)).to(device)
            noise = torch.randn(x0.shape, generator=generator).to(device)
            alpha, sigma, _ = self._schedule(t)
            keep = (torch.rand(batch, generator=generator) < 0.5).float().to(device)[:, None]
            context = torch.cat([cond * keep, keep], dim=1)
            loss = (net(alpha[:, None] * x0 + sigma[:, None] * noise, t, context) - noise).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            history[step] = float(loss.detach())
            if not math.isfinite(history[step]):
                raise FloatingPointError(f"MINDE: the denoising loss became {history[step]} at step {step + 1}")
        self.history_ = history
        net.eval()
        k = self.n_time
        values = np.empty(n_eval)
        with torch.no_grad():
            for begin in range(0, n_eval, 4096):
                rows = torch.as_tensor(held_out[begin : begin + 4096])
                m = rows.numel()
                x0 = tx[rows].repeat_interleave(k, 0)
                cond = ty[rows].repeat_interleave(k, 0)
                strata = (torch.arange(k, dtype=torch.float32).repeat(m) + torch.rand(m * k, generator=generator)) / k
                t = (self.t_min + (1 - self.t_min) * strata).to(device)
                alpha, sigma, beta = self._schedule(t)
                x_t = alpha[:, None] * x0 + sigma[:, None] * torch.randn(x0.shape, generator=generator).to(device)
                ones = torch.ones(m * k, 1, device=device)
                with_y = net(x_t, t, torch.cat([cond, ones], dim=1))
                without = net(x_t, t, torch.zeros(m * k, cond.shape[1] + 1, device=device))
                integrand = 0.5 * beta / sigma**2 * (with_y - without).square().sum(1)
                values[begin : begin + m] = ((1 - self.t_min) * integrand.double().reshape(m, k).mean(1)).cpu().numpy()
        if not np.all(np.isfinite(values)):
            raise FloatingPointError("MINDE: the estimate is not finite")
        value, stderr = mean_and_stderr(values)
        return MIResult.from_mean(
            value,
            stderr,
            n_train=int(train.size),
            n_eval=n_eval,
            n_mc=int(values.size * k),
            interval_kind="monte_carlo",
            method=self.method,
            seconds=time.perf_counter() - start,
            random_state=seed,
            options={k_: v for k_, v in self.get_params().items() if k_ != "random_state"},
        )
