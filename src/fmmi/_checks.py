"""Input validation, randomness and device helpers shared by the package."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import torch

from .exceptions import DiscreteDataWarning

__all__ = [
    "as_matrix",
    "check_pair",
    "dequantize",
    "discrete_columns",
    "location_scale",
    "make_generator",
    "refuse_shared_columns",
    "resolve_device",
    "warn_if_discrete",
]


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
    """Validate two samples of paired observations; see `as_matrix` and `refuse_shared_columns`."""
    x = as_matrix(x, "x")
    y = as_matrix(y, "y")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    refuse_shared_columns(x, y, "x", "y")
    return x, y


def refuse_shared_columns(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Refuse a continuous column that ``a`` and ``b`` both hold (equal in every row).

    A continuous variable shares infinite information with itself, so no
    finite estimate of such a pair means anything. Columns with repeated
    values (see `discrete_columns`) and constant ones are left to their own
    warning and error. Cost: 8 rows compared for every pair of columns, all
    rows only for pairs that agree on those 8.
    """
    same = np.ones((a.shape[1], b.shape[1]), dtype=bool)
    for row in np.unique(np.linspace(0, a.shape[0] - 1, 8).astype(int)):
        same &= a[row][:, None] == b[row][None, :]
    candidates = np.argwhere(same)
    for i, j in candidates:
        column = a[:, i]
        if np.array_equal(column, b[:, j]) and np.ptp(column) > 0 and not discrete_columns(column[:, None]):
            raise ValueError(
                f"{name_a} column {i} and {name_b} column {j} are the same values; a continuous variable "
                "shares infinite information with itself, so drop the copy (or check how the columns were chosen)"
            )


def check_positive_int(value: Any, name: str, allowed: str = "a positive integer") -> None:
    """Refuse anything but a positive integer (bools and floats included), naming ``name``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


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


def fast_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` has bfloat16 matrix units, so that autocast to bfloat16 speeds training up.

    CUDA devices that support bfloat16, and CPUs with the AVX512-BF16 or AMX
    instructions (read from torch's CPU capability checks; a torch without
    them counts as no). Elsewhere bfloat16 matmuls are emulated and slower
    than float32.
    """
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)
    return False


def resolve_mixed_precision(value: bool | str, device: torch.device, dtype: torch.dtype) -> bool:
    """``"auto"``: bfloat16 autocast where it is fast (`fast_bfloat16`) and the nets are float32."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value == "auto":
        return dtype == torch.float32 and fast_bfloat16(device)
    raise ValueError(f"mixed_precision must be True, False or 'auto', got {value!r}")


# Columns with values beyond this are standardised in a scaled copy (their squares would overflow).
HUGE = 1e100


def location_scale(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of ``data`` (n, d).

    Raises:
        ValueError: naming the constant columns, which carry no information.
    """
    high, low = data.max(axis=0), data.min(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):  # huge columns are measured again below
        mean = data.mean(axis=0)
        scale = data.std(axis=0)
    # Squares of values beyond about 1e154 overflow: such columns are measured
    # divided by their largest magnitude (a copy of those columns only).
    huge = np.flatnonzero(np.maximum(np.abs(high), np.abs(low)) > HUGE)
    if huge.size:
        magnitude = np.maximum(np.abs(high[huge]), np.abs(low[huge]))
        unit = data[:, huge] / magnitude
        mean[huge] = unit.mean(axis=0) * magnitude
        scale[huge] = unit.std(axis=0) * magnitude
    # Exactly constant, or varying only in the last digits of the mean.
    constant = (high == low) | (scale <= 1e-13 * np.abs(mean))
    if np.any(constant):
        columns = np.flatnonzero(constant).tolist()
        raise ValueError(f"columns {columns} are constant; a constant variable carries no information, drop it")
    return mean, scale


# A column whose distinct values are fewer than this fraction of its rows is called discrete.
DISCRETE_FRACTION = 0.9


def discrete_columns(data: np.ndarray) -> list[int]:
    """Columns of ``data`` (n, d) with fewer than 90% distinct values (constant columns excluded)."""
    n = data.shape[0]
    counts = [np.unique(data[:, j]).size for j in range(data.shape[1])]
    return [j for j, count in enumerate(counts) if 1 < count < DISCRETE_FRACTION * n]


def warn_if_discrete(data: np.ndarray, name: str) -> None:
    """Warn (`DiscreteDataWarning`) about discrete-looking columns or repeated rows of ``data``."""
    columns = discrete_columns(data)
    if columns:
        shown = columns[:10] + (["..."] if len(columns) > 10 else [])
        warnings.warn(
            f"{name}: columns {shown} repeat values (fewer than {DISCRETE_FRACTION:.0%} distinct); "
            "MI between variables with a discrete part can be infinite and a flow estimate of it is not "
            "meaningful. For values on a grid (counts, rounded measurements) pass dequantize=True",
            DiscreteDataWarning,
            stacklevel=6,
        )
        return
    if np.any(np.ptp(data, axis=0) == 0):
        return  # a constant column is refused later, with its own message
    repeated = data.shape[0] - np.unique(data, axis=0).shape[0]
    if repeated > 0.01 * data.shape[0]:
        warnings.warn(
            f"{name}: {repeated} of {data.shape[0]} rows are exact copies of other rows; "
            "continuous data has no repeated rows, so check for duplicated records",
            DiscreteDataWarning,
            stacklevel=6,
        )


def dequantize(data: np.ndarray, generator: torch.Generator) -> np.ndarray:
    """Spread tied values of each column uniformly over the gap to their neighbours.

    Every column with repeated values gets ``U(-δ/2, δ/2)`` noise, where ``δ``
    is the smallest gap between its distinct values; other columns are
    returned unchanged. For data on a grid the noise boxes of different values
    do not overlap, so each original value can be read back from the noisy
    one: the MI of discrete variables is preserved exactly, and for the
    entropy of data on a grid of spacing ``δ`` the result is the discrete
    entropy plus ``Σ log δ``.
    """
    out = data.copy()
    for j in range(data.shape[1]):
        values = np.unique(data[:, j])
        if values.size == data.shape[0] or values.size < 2:
            continue
        gap = float(np.min(np.diff(values)))
        noise = torch.rand(data.shape[0], generator=generator, dtype=torch.float64).numpy() - 0.5
        out[:, j] = data[:, j] + gap * noise
    return out
