"""Integrating the flow ``dz/dt = v(z, t)`` from t = 0 to t = 1 (for pictures, not for estimates)."""

from __future__ import annotations

import torch

from ._checks import check_positive_int
from .divergence import Velocity

__all__ = ["rk4_trajectory"]


@torch.no_grad()
def rk4_trajectory(
    velocity: Velocity, z_0: torch.Tensor, n_steps: int = 50, context: torch.Tensor | None = None
) -> torch.Tensor:
    """Classical Runge–Kutta with ``n_steps`` equal steps.

    Args:
        velocity: ``velocity(z, t, context)`` with z of shape (n, d), t of shape
            (n,) and ``context`` as given below (None by default).
        z_0: Starting points at t = 0, shape (n, d).
        n_steps: Number of equal steps from t = 0 to t = 1.
        context: Optional conditioning input passed to every call of
            ``velocity`` (shape (n, c)), as cFMMI's flow in y takes x.

    Returns:
        The states at ``t = 0, 1/n_steps, ..., 1``, shape (n_steps + 1, n, d).
    """
    check_positive_int(n_steps, "n_steps")
    if z_0.dim() != 2:
        raise ValueError(f"z_0 must have shape (n, d), got {tuple(z_0.shape)}")
    h = 1.0 / n_steps
    z = z_0
    states = [z]
    ones = torch.ones(z.shape[0], dtype=z.dtype, device=z.device)
    for step in range(n_steps):
        t = step * h
        k_1 = velocity(z, ones * t, context)
        k_2 = velocity(z + 0.5 * h * k_1, ones * (t + 0.5 * h), context)
        k_3 = velocity(z + 0.5 * h * k_2, ones * (t + 0.5 * h), context)
        k_4 = velocity(z + h * k_3, ones * (t + h), context)
        z = z + h / 6 * (k_1 + 2 * k_2 + 2 * k_3 + k_4)
        states.append(z)
    return torch.stack(states)
