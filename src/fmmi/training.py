"""Flow-matching training of a velocity net."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .coupling import Endpoints
from .paths import Path

__all__ = ["TrainingDivergedError", "train_flow_matching"]


class TrainingDivergedError(FloatingPointError):
    """The flow-matching loss became NaN or infinite."""


def train_flow_matching(
    net: nn.Module,
    endpoints: Endpoints,
    n_rows: int,
    *,
    path: Path,
    generator: torch.Generator,
    steps: int = 5000,
    batch_size: int = 512,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    progress: bool = False,
    desc: str = "training",
) -> np.ndarray:
    """Regress ``net(z_t, t)`` on the path's conditional velocity.

    Each step draws ``batch_size`` training rows (with replacement), turns
    them into source and target points with ``endpoints`` (for MI: Y re-paired
    within the batch for the source), draws ``t ~ U[0, 1]`` per row and takes
    one AdamW step on the mean squared error; the learning rate follows a
    cosine annealing from ``lr`` to 0 over ``steps``.

    Args:
        net: Velocity ``net(z, t, context)``; trained in place.
        endpoints: Maps row indices to ``(z_0, z_1, context)``; see `fmmi.coupling`.
        n_rows: Number of training rows the indices range over.
        progress: Show a progress bar (tqdm), labelled ``desc``.

    Returns:
        The loss at every step, shape (steps,).

    Raises:
        TrainingDivergedError: at the first non-finite loss.
    """
    batch_size = min(batch_size, n_rows)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    losses = np.empty(steps)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=desc, unit="step", leave=False)
    net.train()
    try:
        for step in range(steps):
            index = torch.randint(n_rows, (batch_size,), generator=generator)
            z_0, z_1, context = endpoints(index, generator)
            t = torch.rand(batch_size, generator=generator, dtype=torch.float64).to(z_1)
            z_t, target = path.sample(z_0, z_1, t)
            loss = (net(z_t, t, context) - target).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            value = loss.item()
            if not np.isfinite(value):
                raise TrainingDivergedError(
                    f"flow-matching loss became {value} at step {step + 1} of {steps}; "
                    f"try a lower learning rate (lr={lr}) or check the data's scale"
                )
            losses[step] = value
            if bar is not None:
                bar.update()
                if step % 50 == 0:
                    bar.set_postfix(loss=f"{value:.4f}")
    finally:
        if bar is not None:
            bar.close()
    net.eval()
    return losses
