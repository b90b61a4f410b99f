"""One train / held-out split with per-column standardisation, shared by the neural baselines."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch

from .._checks import location_scale, make_generator, resolve_device

__all__ = ["Holdout", "check_positive_ints", "holdout"]


class Holdout(NamedTuple):
    tx: torch.Tensor  # all rows of x, standardised by the training rows (float32, on device)
    ty: torch.Tensor
    train: np.ndarray  # row indices
    held_out: np.ndarray
    generator: torch.Generator
    seed: int | None
    device: torch.device


def check_positive_ints(owner: Any, names: tuple[str, ...]) -> None:
    """Raise ValueError naming the first attribute of ``owner`` that is not a positive integer."""
    for name in names:
        value = getattr(owner, name)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def holdout(
    x: np.ndarray, y: np.ndarray, *, test_size: float, random_state, device, min_train: int, min_eval: int
) -> Holdout:
    """Split rows at random (``test_size`` held out) and standardise by the training rows."""
    if not (isinstance(test_size, float) and 0 < test_size < 1):
        raise ValueError(f"test_size must be a float strictly between 0 and 1, got {test_size!r}")
    n = x.shape[0]
    n_eval = int(round(n * test_size))
    if n - n_eval < min_train or n_eval < min_eval:
        raise ValueError(
            f"{n} rows are too few: training needs at least {min_train} rows and the held-out part {min_eval}"
        )
    generator, seed = make_generator(random_state)
    device = resolve_device(device)
    order = torch.randperm(n, generator=generator).numpy()
    train, held_out = order[: n - n_eval], order[n - n_eval :]
    (mx, sx), (my, sy) = location_scale(x[train]), location_scale(y[train])
    tx = torch.as_tensor((x - mx) / sx, dtype=torch.float32, device=device)
    ty = torch.as_tensor((y - my) / sy, dtype=torch.float32, device=device)
    return Holdout(tx, ty, train, held_out, generator, seed, device)
