"""Run estimators over tasks and seeds, one tidy record per run, resumable.

Records are JSON lines appended to ``DIR/runs.jsonl`` as each run finishes
(written whole and flushed, so a killed sweep loses at most the runs in
flight). A run is identified by (task, estimator, n, seed); rerunning the same
sweep skips every run already recorded, successful or not. A run that raises
is recorded with ``success: false`` and its error, and the sweep goes on.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from .. import __version__
from .._checks import resolve_device, resolve_mixed_precision
from ..config import CANDIDATES, ESCALATE_FROM, ONE_COLUMN_CANDIDATES, SELECT_MAX_COLUMNS, net_candidates
from ..estimators import FMMI, KSG, MINDE, MINE, NWJ, AutoFMMI, GaussianMI, InfoNCE, select
from ..estimators.params import Params
from .tasks import get_task

__all__ = ["ESTIMATORS", "RECORDS", "load_records", "run_benchmark", "run_one"]

RECORDS = "runs.jsonl"


def _fmmi(seed: int, device: str, **options) -> FMMI:
    """`FMMI` as constructed by default (the tanh net alone), with ``options`` on top."""
    return FMMI(random_state=seed, device=device, **options)


def _auto(seed: int, device: str, **options) -> AutoFMMI:
    """`AutoFMMI` (what `fmmi.estimate_mi` runs), with ``options`` on top."""
    return AutoFMMI(random_state=seed, device=device, **options)


class _FullSelection(Params):
    """`fmmi.select` over the default's candidates (`fmmi.config.net_candidates`) on their full fits (no pilots),
    ``options`` shared by all.

    Two or three times the cost of ``fmmi``; with ``interval="monte_carlo"``, one training per candidate.
    """

    def __init__(self, *, random_state: int, device: str, options: dict | None = None):
        self.random_state = random_state
        self.device = device
        self.options = options

    def get_params(self, deep: bool = True) -> dict:
        return {"random_state": self.random_state, "device": self.device, **(self.options or {})}

    def fit_estimate(self, x, y):
        options = self.options or {}
        candidates = net_candidates(
            options.get("coupling", FMMI.coupling), x.shape[1], y.shape[1], options.get("depth", FMMI.depth)
        )
        self.selection_ = select(x, y, candidates, random_state=self.random_state, device=self.device, **options)
        # Where every candidate trained and what its mixed_precision resolved to, for the record.
        self.device_ = resolve_device(self.device)
        wanted = options.get("mixed_precision", FMMI.mixed_precision)
        self.mixed_precision_ = resolve_mixed_precision(wanted, self.device_, FMMI.dtype)
        return self.selection_.result


def _ksg(seed: int, device: str):
    return KSG()  # numpy and scipy: always on the CPU


def _cca(seed: int, device: str):
    return GaussianMI(random_state=seed)  # numpy: always on the CPU


def _neural(name: str):
    def make(seed: int, device: str):
        return {"infonce": InfoNCE, "nwj": NWJ, "mine": MINE, "minde": MINDE}[name](random_state=seed, device=device)

    return make


# Name -> factory(seed, device) of an object with fit_estimate(x, y) -> MIResult.
ESTIMATORS: dict[str, Callable[[int, str], Any]] = {
    "fmmi": _fmmi,
    "fmmi-mc": functools.partial(_fmmi, interval="monte_carlo"),
    "fmmi-default": _auto,
    "fmmi-select": lambda seed, device: _FullSelection(random_state=seed, device=device),
    "fmmi-select-pilot": functools.partial(_auto, select=True),
    "fmmi-select-mc": lambda seed, device: _FullSelection(
        random_state=seed, device=device, options={"interval": "monte_carlo"}
    ),
    "ksg": _ksg,
    "cca": _cca,
    **{name: _neural(name) for name in ("infonce", "nwj", "mine", "minde")},
}


def _params(estimator: Any) -> dict:
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    if isinstance(estimator, AutoFMMI):  # the rule's constants, for the record
        params.update(
            candidates=str(CANDIDATES),
            one_column_candidates=str(ONE_COLUMN_CANDIDATES),
            escalate_from=ESCALATE_FROM,
            select_max_columns=SELECT_MAX_COLUMNS,
        )
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v)) for k, v in params.items()}


@functools.lru_cache(maxsize=1)
def source_commit() -> str | None:
    """The git commit of the fmmi source this process loaded (``+dirty`` with local changes), or None.

    Read once per process, at its first run: a long sweep keeps the code it
    started with, and its records say which.
    """
    folder = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if changes else head or None


def run_one(
    task_id: str, estimator_name: str, n: int, seed: int, threads: int | None = None, device: str = "cpu"
) -> dict:
    """One run as a record; never raises for a failing estimator.

    ``device`` is passed to the estimators that train nets; the record's
    ``device`` is where the run went (the CPU for KSG and CCA).
    """
    if threads:
        torch.set_num_threads(threads)
    task = get_task(task_id)
    record: dict[str, Any] = {
        "task_id": task_id,
        "suite": task.suite,
        "task_params": task.params,
        "true_mi": task.mutual_information,
        "true_mi_stderr": task.mutual_information_stderr,
        "dim_x": task.dim_x,
        "dim_y": task.dim_y,
        "estimator": estimator_name,
        "n": n,
        "seed": seed,
        "fmmi_version": __version__,
        "fmmi_commit": source_commit(),
        "torch": torch.__version__,
        "device": "cpu",
        "machine": platform.machine(),
    }
    start = time.perf_counter()
    try:
        estimator = ESTIMATORS[estimator_name](seed, device)
        record["estimator_params"] = _params(estimator)
        x, y = task.sample(n, seed)
        result = estimator.fit_estimate(x, y)
        if hasattr(estimator, "device_"):
            record["device"] = str(estimator.device_)
        record.update(
            estimate=result.value,
            stderr=result.stderr,
            interval=list(result.interval),
            interval_kind=result.interval_kind,
            warnings=list(result.warnings),
            kept_steps=list(result.kept_steps),
            success=True,
            error=None,
        )
        if hasattr(estimator, "mixed_precision_"):  # what "auto" resolved to on this machine
            record["mixed_precision_used"] = bool(estimator.mixed_precision_)
        chosen = getattr(estimator, "selection_", None)
        if chosen is not None:  # which candidate was kept, and every candidate's reading
            record.update(
                chosen=chosen.chosen,
                candidate_estimates=[None if r is None else r.value for r in chosen.results],
                loss_gaps=list(chosen.gaps),
                loss_gap_stderrs=list(chosen.gap_stderrs),
            )
    except Exception as error:  # a failing run is data, not a crash
        record.update(success=False, error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())
    record["seconds"] = time.perf_counter() - start
    return record


def _key(record: dict) -> tuple:
    return (record["task_id"], record["estimator"], record["n"], record["seed"])


def load_records(out: str | os.PathLike) -> list[dict]:
    """All records of a sweep folder (a truncated last line from a kill is ignored)."""
    path = Path(out) / RECORDS
    if not path.exists():
        return []
    records = []
    with open(path) as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def _append(path: Path, record: dict) -> None:
    # A kill mid-write can leave a last line without its newline: start a fresh line.
    broken = False
    if path.exists() and path.stat().st_size > 0:
        with open(path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            broken = handle.read(1) != b"\n"
    with open(path, "a") as handle:
        handle.write(("\n" if broken else "") + json.dumps(record, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def run_benchmark(
    task_ids: Iterable[str],
    estimators: Iterable[str],
    *,
    n: int,
    seeds: Iterable[int],
    out: str | os.PathLike,
    jobs: int = 1,
    dask: str | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> list[dict]:
    """Run every (task, estimator, seed) not yet recorded in ``out``; returns the new records.

    Records are appended by this process as runs finish, wherever they ran, so
    a killed sweep loses only the runs in flight and the same call resumes it.

    Args:
        jobs: Parallel worker processes; each gets ``cpu_count // jobs`` torch threads.
        dask: Address of a Dask distributed scheduler (``"tcp://host:8786"``):
            each run becomes one task on the cluster (its workers need fmmi
            installed). Needs the optional ``distributed`` package
            (``pip install "fmmi[dask]"``). Overrides ``jobs``.
        device: Where the estimators that train nets run: ``"cpu"`` (the
            default, so that sweeps on different machines compare), ``"cuda"``,
            ``"cuda:N"`` or ``"auto"``. With ``jobs`` > 1 the workers share
            the device. Not part of a run's identity: a run recorded on one
            device is not repeated on another.
    """
    task_ids, estimators, seeds = list(task_ids), list(estimators), list(seeds)
    for task_id in task_ids:
        get_task(task_id)
    unknown = [name for name in estimators if name not in ESTIMATORS]
    if unknown:
        raise ValueError(f"unknown estimators {unknown}; available: {sorted(ESTIMATORS)}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if dask is None:
        resolve_device(device)  # refuse a device this machine lacks before any run
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    done = {_key(r) for r in load_records(out)}
    todo = [
        (task_id, name, n, seed)
        for task_id in task_ids
        for name in estimators
        for seed in seeds
        if (task_id, name, n, seed) not in done
    ]
    bar = None
    if progress:
        bar = tqdm(total=len(todo), desc="runs", unit="run")
    new = []
    path = out / RECORDS

    def finished(record: dict) -> None:
        _append(path, record)
        new.append(record)
        if bar is not None:
            bar.update()

    try:
        if dask is not None:
            try:
                from distributed import Client
                from distributed import as_completed as dask_completed
            except ImportError:
                raise ImportError("--dask needs the distributed package: pip install 'fmmi[dask]'") from None
            with Client(dask) as client:
                columns = list(zip(*todo)) if todo else [[], [], [], []]
                settings = dict(threads=None, device=device)
                for future in dask_completed(client.map(run_one, *columns, **settings, pure=False)):
                    finished(future.result())
        elif jobs == 1:
            for job in todo:
                finished(run_one(*job, device=device))
        else:
            threads = max(1, (os.cpu_count() or 1) // jobs)
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
                for future in as_completed([pool.submit(run_one, *job, threads, device) for job in todo]):
                    finished(future.result())
    finally:
        if bar is not None:
            bar.close()
    return new
