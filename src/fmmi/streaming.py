"""MI between data sets larger than memory: rows are read from ``.npy`` files as they are needed.

`estimate_mi_streaming` trains jFMMI on batches read straight from the files
(``os.pread`` of the requested rows: neither the files nor a memory map of them
ever become resident), so peak memory is bounded by the batch, the
Monte-Carlo sample and the net, not by the data. The differences from
`fmmi.estimate_mi`, all forced by not holding the data:

* one train / held-out split (``interval="monte_carlo"``; cross-fitting
  would read the data K times);
* the rank Gaussianisation (or the standardisation) and the Gaussian base's
  covariances are fitted on a random subsample of the training rows
  (``fit_rows``), not on all of them;
* the estimate averages ``n_mc`` held-out rows drawn at random, not every
  held-out row;
* no discrete-data check over whole columns (that needs them in memory).

Everything else is the in-memory pipeline's own code: the term
(`fmmi.terms.JointMITerm`) is prepared on the subsample, trained on endpoints
drawn from rows read on demand, and read on held-out rows the same way.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._checks import location_scale, make_generator, resolve_device, resolve_mixed_precision
from .config import StreamingOptions, option_values
from .coupling import swaps_sides
from .intervals import monte_carlo_interval
from .preprocessing import MarginalGaussianizer
from .result import MIResult
from .terms import JointMITerm, Runtime

__all__ = ["NpyRows", "estimate_mi_streaming"]


class NpyRows:
    """Random access to the rows of a 1-D or 2-D ``.npy`` file without loading it.

    The header is parsed with numpy's format reader; object arrays, Fortran
    order and non-numeric dtypes are refused. ``rows[index]`` reads the given
    rows (any order, repeats allowed) as float64 and checks they are finite.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no such file: {self.path}")
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path} is a directory, not a data file")
        with open(self.path, "rb") as handle:
            try:
                version = np.lib.format.read_magic(handle)
                read_header = {
                    (1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0,
                }.get(version)
                if read_header is None:
                    raise ValueError(f"unsupported .npy format version {version}")
                shape, fortran, dtype = read_header(handle)
            except ValueError as error:
                raise ValueError(f"{self.path}: not a valid .npy file ({error})") from None
            self.offset = handle.tell()
        if dtype.hasobject or dtype.kind not in "biuf":
            raise ValueError(f"{self.path}: expected numbers, got dtype {dtype} (object arrays are never unpickled)")
        if fortran and len(shape) == 2 and shape[1] > 1:
            raise ValueError(f"{self.path}: Fortran-ordered arrays cannot be streamed by rows; save it in C order")
        if len(shape) not in (1, 2) or shape[0] == 0 or (len(shape) == 2 and shape[1] == 0):
            raise ValueError(f"{self.path}: expected a non-empty 1-D or 2-D array, got shape {shape}")
        self.dtype = dtype
        self.n_rows = int(shape[0])
        self.dim = int(shape[1]) if len(shape) == 2 else 1
        self.row_bytes = self.dim * dtype.itemsize
        expected = self.offset + self.n_rows * self.row_bytes
        if self.path.stat().st_size < expected:
            raise ValueError(f"{self.path}: the file is shorter than its header says (truncated?)")

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, index: np.ndarray) -> np.ndarray:
        index = np.asarray(index, dtype=np.int64)
        out = np.empty((index.size, self.dim), dtype=self.dtype)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            for i, row in enumerate(index):
                chunk = os.pread(fd, self.row_bytes, self.offset + int(row) * self.row_bytes)
                out[i] = np.frombuffer(chunk, dtype=self.dtype, count=self.dim)
        finally:
            os.close(fd)
        out = out.astype(np.float64)
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{self.path}: rows among {index[:5].tolist()}... hold NaN or infinite values")
        return out


def estimate_mi_streaming(x: str | os.PathLike | NpyRows, y: str | os.PathLike | NpyRows, **options: Any) -> MIResult:
    """jFMMI between the rows of two ``.npy`` files (paired by row), in nats, streaming from disk.

    See the module docstring for what differs from `fmmi.estimate_mi`.

    Args:
        x: Path of a ``.npy`` file (or `NpyRows`) of X, one row per sample.
        y: The same for Y, with as many rows.
        **options: Those of `fmmi.config.StreamingOptions`: every option of `fmmi.FMMI` that does not
            need the data in memory, with ``fit_rows`` (training rows the per-column maps and the
            Gaussian base are fitted on) and ``n_mc`` (held-out rows averaged).
    """
    start = time.perf_counter()
    settings = StreamingOptions(**options)
    settings.check()
    x = x if isinstance(x, NpyRows) else NpyRows(x)
    y = y if isinstance(y, NpyRows) else NpyRows(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of rows, got {len(x)} and {len(y)}")
    if swaps_sides(settings.coupling, x.dim, y.dim):  # the single column that "auto" moves goes in y's place
        x, y = y, x
    n = len(x)
    n_eval = int(round(n * settings.test_size))
    if min(n_eval, n - n_eval) < 8:
        raise ValueError(f"{n} rows are too few: training and held-out parts need at least 8 rows each")
    generator, seed = make_generator(settings.random_state)
    device = resolve_device(settings.device)
    mixed_precision = resolve_mixed_precision(settings.mixed_precision, device, settings.dtype)
    # Rows [0, n_train) of a random bijection train; the rest are held out. The
    # bijection i -> (a i + b) mod n (a coprime to n) needs no n-sized index array.
    a, b = _affine_bijection(n, generator)
    n_train = n - n_eval

    def rows(positions: torch.Tensor | np.ndarray) -> np.ndarray:
        return (a * np.asarray(positions, dtype=object) + b) % n if n > 2**31 else (a * np.asarray(positions) + b) % n

    def read(which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(which)  # ascending offsets read faster
        sorted_rows = np.asarray(which, dtype=np.int64)[order]
        back = np.empty_like(order)
        back[order] = np.arange(order.size)
        return x[sorted_rows][back], y[sorted_rows][back]

    fit_positions = torch.randint(n_train, (min(settings.fit_rows, n_train),), generator=generator).numpy()
    sample = read(rows(fit_positions))
    maps = [_gaussianizer(part, settings.gaussianize, name) for part, name in zip(sample, "xy")]
    term = JointMITerm(settings, Runtime(generator, device, mixed_precision))
    term.prepare([g(part) for g, part in zip(maps, sample)])

    def endpoints_over(offset: int, chosen: np.ndarray | None = None):
        def draw(index: torch.Tensor, gen: torch.Generator):
            positions = index.cpu().numpy() if chosen is None else chosen[index.cpu().numpy()]
            mapped = [g(part) for g, part in zip(maps, read(rows(positions + offset)))]
            batch, _ = term.endpoints(term.tensors(mapped))
            return batch(torch.arange(positions.size, device=device), gen)

        return draw

    term.train(endpoints_over(0), n_train, desc="training (streaming)")
    m = min(settings.n_mc, n_eval)
    chosen = torch.randint(n_eval, (m,), generator=generator).numpy() if m < n_eval else np.arange(n_eval)
    values = term.integrate(endpoints_over(n_train, chosen), m, m)
    # The base's sampling error (fitted on the subsample) is added in quadrature.
    value, stderr, interval = monte_carlo_interval(values, term.base_variance)
    recorded = option_values(settings)
    recorded.update(mixed_precision=mixed_precision)
    del recorded["random_state"], recorded["dtype"]
    return MIResult(
        value=value,
        stderr=stderr,
        interval=interval,
        n_train=n_train,
        n_eval=m,
        n_mc=m,
        interval_kind="monte_carlo",
        method="jFMMI (streaming)",
        seconds=time.perf_counter() - start,
        random_state=seed,
        options=recorded,
    )


def _identity(rows: np.ndarray) -> np.ndarray:
    return rows


def _gaussianizer(sample: np.ndarray, gaussianize: bool | str, name: str):
    """The rank Gaussianisation of ``gaussianize`` fitted on ``sample`` (identity when off); checks the columns."""
    mapped, transform = sample, _identity
    if gaussianize:
        transform = MarginalGaussianizer(skip_normal=gaussianize == "auto").fit(sample).transform
        mapped = transform(sample)
    try:
        location_scale(mapped)  # constant columns are named here, with the variable they belong to
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    return transform


def _affine_bijection(n: int, generator: torch.Generator) -> tuple[int, int]:
    """``(a, b)`` with ``gcd(a, n) = 1``: ``i -> (a i + b) mod n`` permutes ``range(n)``."""
    while True:
        a = int(torch.randint(1, max(2, n), (1,), generator=generator))
        if math.gcd(a, n) == 1:
            break
    return a, int(torch.randint(n, (1,), generator=generator))
