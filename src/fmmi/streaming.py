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
  (``fit_rows``, 200,000 by default), not on all of them;
* the estimate averages ``n_mc`` held-out rows drawn at random (100,000 by
  default), not every held-out row;
* no discrete-data check over whole columns (that needs them in memory).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch

from ._checks import location_scale, make_generator, resolve_device, resolve_mixed_precision
from .coupling import joint_endpoints
from .gaussian_base import GaussianBase, ResidualVelocity, mi_moments
from .integrate import TIME_SAMPLINGS, divergence_integrals, mean_and_stderr
from .nn import VelocityMLP
from .paths import get_path
from .preprocessing import MarginalGaussianizer
from .result import MIResult
from .training import train_flow_matching

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


class _RowTransform:
    """Rank Gaussianisation (or standardisation) fitted on a subsample; then float tensors."""

    def __init__(self, sample: np.ndarray, gaussianize: bool | str, device: torch.device, name: str):
        self.gaussianizer = MarginalGaussianizer(skip_normal=gaussianize == "auto").fit(sample) if gaussianize else None
        mapped = self.gaussianizer.transform(sample) if self.gaussianizer is not None else sample
        try:
            self.mean, self.scale = location_scale(mapped)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        self.device = device

    def __call__(self, rows: np.ndarray) -> torch.Tensor:
        mapped = self.gaussianizer.transform(rows) if self.gaussianizer is not None else rows
        return torch.as_tensor((mapped - self.mean) / self.scale, dtype=torch.float32, device=self.device)


def estimate_mi_streaming(
    x: str | os.PathLike | NpyRows,
    y: str | os.PathLike | NpyRows,
    *,
    test_size: float = 0.5,
    fit_rows: int = 200_000,
    n_mc: int = 100_000,
    gaussianize: bool | str = "auto",
    gaussian_base: bool = True,
    hidden: int = 512,
    depth: int = 2,
    steps: int = 10_000,
    batch_size: int = 512,
    lr: float = 1e-3,
    path: str = "trigonometric",
    n_time: int = 32,
    time_sampling: str = "log_grid",
    mixed_precision: bool | str = "auto",
    random_state: int | None = None,
    device: str | torch.device = "auto",
    progress: bool = False,
) -> MIResult:
    """jFMMI between the rows of two ``.npy`` files (paired by row), in nats, streaming from disk.

    See the module docstring for what differs from `fmmi.estimate_mi`. Options
    not listed keep the defaults of `FMMI`.

    Args:
        x, y: Paths of ``.npy`` files (or `NpyRows`) with the same number of rows.
        test_size: Held-out fraction of the rows.
        fit_rows: Training rows the per-column maps are fitted on.
        n_mc: Held-out rows averaged for the estimate.
        gaussianize, gaussian_base, time_sampling: As in `FMMI`; the base is
            fitted on the ``fit_rows`` subsample.
        mixed_precision: As in `FMMI` (``"auto"``: bfloat16 autocast for
            training where the device has fast bfloat16 units); the value
            used is in the result's ``options``.
    """
    start = time.perf_counter()
    x = x if isinstance(x, NpyRows) else NpyRows(x)
    y = y if isinstance(y, NpyRows) else NpyRows(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of rows, got {len(x)} and {len(y)}")
    if gaussianize not in (True, False, "auto"):
        raise ValueError(f"gaussianize must be True, False or 'auto', got {gaussianize!r}")
    if time_sampling not in TIME_SAMPLINGS:
        raise ValueError(f"time_sampling must be one of {TIME_SAMPLINGS}, got {time_sampling!r}")
    if not (isinstance(test_size, float) and 0 < test_size < 1):
        raise ValueError(f"test_size must be a float strictly between 0 and 1, got {test_size!r}")
    n = len(x)
    n_eval = int(round(n * test_size))
    if min(n_eval, n - n_eval) < 8:
        raise ValueError(f"{n} rows are too few: training and held-out parts need at least 8 rows each")
    generator, seed = make_generator(random_state)
    device = resolve_device(device)
    mixed_precision = resolve_mixed_precision(mixed_precision, device, torch.float32)
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

    fit_positions = torch.randint(n_train, (min(fit_rows, n_train),), generator=generator).numpy()
    sample_x, sample_y = read(rows(fit_positions))
    tx = _RowTransform(sample_x, gaussianize, device, "x")
    ty = _RowTransform(sample_y, gaussianize, device, "y")

    def endpoints_over(offset: int, chosen: np.ndarray | None = None):
        def draw(index: torch.Tensor, gen: torch.Generator):
            positions = index.cpu().numpy() if chosen is None else chosen[index.cpu().numpy()]
            xb, yb = read(rows(positions + offset))
            local = torch.arange(positions.size, device=device)
            return joint_endpoints(tx(xb), ty(yb))(local, gen)

        return draw

    net = VelocityMLP(x.dim + y.dim, hidden=hidden, depth=depth, generator=generator).to(device)
    the_path = get_path(path)
    model, base_integral, base_variance = net, 0.0, 0.0
    moments = mi_moments(tx(sample_x), ty(sample_y)) if gaussian_base else None
    if moments is not None:
        cov_0, cov_1, bias, base_variance = moments
        base = GaussianBase(cov_0, cov_1, the_path).to(device)
        model, base_integral = ResidualVelocity(net.zero_output(), base), base.integral - bias
    train_flow_matching(
        model,
        endpoints_over(0),
        n_train,
        path=the_path,
        generator=generator,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        mixed_precision=mixed_precision,
        progress=progress,
        desc="training (streaming)",
    )
    m = min(n_mc, n_eval)
    chosen = torch.randint(n_eval, (m,), generator=generator).numpy() if m < n_eval else np.arange(n_eval)
    # With the base, only the net's divergence is integrated; the base's is exact.
    integrals = base_integral + divergence_integrals(
        net,
        endpoints_over(n_train, chosen),
        m,
        path=the_path,
        generator=generator,
        n_mc=m,
        n_time=n_time,
        time_sampling=time_sampling,
    )
    if not np.all(np.isfinite(integrals)):
        raise FloatingPointError("the divergence of the trained net is not finite on the held-out rows")
    value, stderr = mean_and_stderr(-integrals)
    stderr = float(np.sqrt(stderr**2 + base_variance))  # the base's sampling error (fitted on the subsample)
    result = MIResult.from_mean(
        value,
        stderr,
        n_train=n_train,
        n_eval=m,
        n_mc=m,
        interval_kind="monte_carlo",
        method="jFMMI (streaming)",
        seconds=time.perf_counter() - start,
        random_state=seed,
        options=dict(
            test_size=test_size,
            fit_rows=fit_rows,
            n_mc=n_mc,
            gaussianize=gaussianize,
            gaussian_base=gaussian_base,
            hidden=hidden,
            depth=depth,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            path=path,
            n_time=n_time,
            time_sampling=time_sampling,
            mixed_precision=mixed_precision,
        ),
    )
    return result


def _affine_bijection(n: int, generator: torch.Generator) -> tuple[int, int]:
    """``(a, b)`` with ``gcd(a, n) = 1``: ``i -> (a i + b) mod n`` permutes ``range(n)``."""
    import math

    while True:
        a = int(torch.randint(1, max(2, n), (1,), generator=generator))
        if math.gcd(a, n) == 1:
            break
    return a, int(torch.randint(n, (1,), generator=generator))
