"""Input validation, randomness and device helpers shared by the package."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

__all__ = ["as_matrix", "check_pair", "location_scale", "make_generator", "resolve_device"]


def as_matrix(data: Any, name: str) -> np.ndarray:
    """Convert user data to a finite float64 array of shape (n_samples, dim).

    Accepts numpy arrays, torch tensors, (nested) lists and pandas objects.
    A 1-D input becomes one column.

    Raises:
        TypeError: if the data is not numeric.
        ValueError: if it has the wrong number of axes, no rows or columns,
            or holds NaN or infinite values.
    """
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    elif hasattr(data, "to_numpy") and hasattr(data, "dtypes"):  # pandas
        dtypes = data.dtypes
        dtypes = list(dtypes) if hasattr(dtypes, "__iter__") else [dtypes]
        bad = sorted({str(d) for d in dtypes if getattr(d, "kind", "O") not in "biuf"})
        if bad:
            raise TypeError(f"{name} has non-numeric columns (dtypes {', '.join(bad)}); select numeric columns first")
        data = data.to_numpy(dtype=np.float64)
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} could not be read as a rectangular array: {error}") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, dim), got an array with {array.ndim} axes {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} has no rows")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no columns")
    array = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(array)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite values")
    return array


def check_pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate two samples of paired observations; see `as_matrix`."""
    x = as_matrix(x, "x")
    y = as_matrix(y, "y")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    return x, y


def make_generator(random_state: int | torch.Generator | None) -> tuple[torch.Generator, int | None]:
    """Turn `random_state` into a CPU `torch.Generator`, once.

    Returns the generator and the integer seed it was made from (None when a
    generator was passed in). With `None`, a fresh seed is drawn from the
    operating system, so the run can still be repeated from the seed.
    """
    if isinstance(random_state, torch.Generator):
        return random_state, None
    if random_state is None:
        seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
        if seed < 0:
            raise ValueError(f"random_state must be non-negative, got {seed}")
    else:
        raise TypeError(f"random_state must be an int, a torch.Generator or None, got {type(random_state).__name__}")
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator, seed


def resolve_device(device: str | torch.device) -> torch.device:
    """`"auto"` picks CUDA when available, else the CPU."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device {device!r} is not a valid torch device: {error}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but CUDA is not available")
    return resolved


def location_scale(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of ``data`` (n, d).

    Raises:
        ValueError: naming the constant columns, which carry no information.
    """
    mean = data.mean(axis=0)
    scale = data.std(axis=0)
    constant = scale <= 1e-12 * np.maximum(1.0, np.abs(mean))
    if np.any(constant):
        columns = np.flatnonzero(constant).tolist()
        raise ValueError(f"columns {columns} are constant; a constant variable carries no information, drop it")
    return mean, scale
