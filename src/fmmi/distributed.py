"""Data-parallel training and estimation with torch.distributed (DDP).

When a process group is initialised with more than one rank (``torchrun``
does it from its environment variables; see `init_from_environment`), every
flow estimator works data-parallel without any change to the call:

* all ranks hold the same data and the same seed, so they make the same
  train/held-out splits;
* each net is wrapped in `torch.nn.parallel.DistributedDataParallel` (without
  the buffer broadcast before every forward pass: a Gaussian base's maps are
  computed alike on every rank from the same rows; see `no_buffer_sync`); every
  rank draws its own ``batch_size // world_size`` rows per step from its own
  random stream, and gradients are averaged across ranks, so one step sees
  ``batch_size`` rows in all, as in a single process;
* the Monte-Carlo units of the estimate are dealt out to the ranks chunk by
  chunk and gathered with an all-reduce, so every rank ends with the same
  per-unit values, the same estimate and the same standard error;
* only rank 0 prints or writes results (the CLI and the benchmark runner
  check `is_main_process`).

A non-finite loss on any rank is seen by all (the losses are averaged across
ranks at every check, once per window of 50 steps), so the recovery rule of
`fmmi.training` stays in step.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.distributed as dist

__all__ = [
    "PARALLEL_MODES",
    "all_reduce_sum",
    "alone",
    "barrier",
    "broadcast_seed",
    "deal_folds",
    "init_from_environment",
    "shutdown",
    "is_distributed",
    "is_main_process",
    "local_generator",
    "no_buffer_sync",
    "rank",
    "share_arrays",
    "world_size",
]

PARALLEL_MODES = ("auto", "folds", "rows")

# Depth of `alone` blocks: inside one, this process acts as a single process.
_alone = 0


def is_distributed() -> bool:
    """True inside an initialised process group of more than one rank (and outside `alone`)."""
    return _alone == 0 and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@contextmanager
def alone() -> Iterator[None]:
    """Within this block each rank works as a single process (no DDP, no sharing of Monte-Carlo units).

    Used for work dealt out whole to the ranks (the folds of a cross-fitted
    estimate, see `deal_folds`); the results are shared afterwards (`share_arrays`).
    """
    global _alone
    _alone += 1
    try:
        yield
    finally:
        _alone -= 1


def deal_folds(n_splits: int, parallel: str, ranks: int | None = None, backend: str | None = None) -> bool:
    """Whether the splits of a cross-fitted estimate go whole to the ranks (True) or each net trains over all ranks.

    ``parallel="folds"``: rank r trains and reads the splits r, r + K, ...
    with no communication until the fold results are shared; it needs at
    least as many splits as ranks. ``"rows"``: every net is trained with DDP
    over all ranks. ``"auto"``: folds when there are at least as many splits
    as ranks and either the ranks divide them evenly or the backend is gloo
    (CPUs, where DDP's gradient exchange costs about as much as the compute
    of the batch; see benchmarks/archive/README.md); rows otherwise. ``ranks`` and ``backend``
    default to the current process group's.
    """
    if parallel not in PARALLEL_MODES:
        raise ValueError(f"parallel must be one of {list(PARALLEL_MODES)}, got {parallel!r}")
    ranks = world_size() if ranks is None else ranks
    if ranks <= 1:
        return False
    if parallel == "folds":
        if n_splits < ranks:
            raise ValueError(
                f"parallel='folds' needs at least as many splits as ranks: {n_splits} split(s) for {ranks} ranks "
                "(use more folds, or parallel='rows')"
            )
        return True
    if parallel == "rows":
        return False
    backend = dist.get_backend() if backend is None else backend
    return n_splits >= ranks and (n_splits % ranks == 0 or backend == "gloo")


def share_arrays(mine: dict[int, np.ndarray], count: int) -> list[np.ndarray]:
    """The ``count`` 1-D float arrays of which each rank holds some (``mine``, by index), on every rank.

    Every index must be held by exactly one rank. Two all-reduces: the
    sizes, then the values (zeros where a rank holds nothing).
    """
    sizes = np.zeros(count)
    for i, values in mine.items():
        sizes[i] = values.size
    sizes = all_reduce_sum(sizes).astype(int)
    ends = np.cumsum(sizes)
    flat = np.zeros(int(ends[-1]) if count else 0)
    for i, values in mine.items():
        flat[ends[i] - sizes[i] : ends[i]] = values
    flat = all_reduce_sum(flat)
    return [flat[end - size : end] for size, end in zip(sizes, ends)]


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    return rank() == 0


def no_buffer_sync() -> dict[str, bool]:
    """Options of `DistributedDataParallel` that stop it sending rank 0's buffers before every forward pass.

    fmmi's only buffers are a Gaussian base's maps, identical on every rank;
    at d = 200 per variable they are 2.6 MB of float64, as much as the
    net's gradients. Recent PyTorch (2.13 here) deprecates ``broadcast_buffers``
    for ``forward_sync_buffers``; older releases know only the first.
    """
    options = inspect.signature(torch.nn.parallel.DistributedDataParallel.__init__).parameters
    return {"forward_sync_buffers" if "forward_sync_buffers" in options else "broadcast_buffers": False}


def init_from_environment(device: str) -> bool:
    """Join the process group described by torchrun's variables, if any.

    Uses NCCL when the run is on CUDA and gloo otherwise; on CUDA each rank
    takes the GPU ``LOCAL_RANK``. Returns True when running distributed.
    Does nothing when ``WORLD_SIZE`` is unset or 1, or the group already exists.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if not (dist.is_available() and dist.is_initialized()):
        use_cuda = torch.cuda.is_available() and device != "cpu"
        if use_cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return is_distributed()


def all_reduce_sum(values: np.ndarray) -> np.ndarray:
    """Element-wise sum over ranks of a float64 array (a copy; identity in a single process)."""
    if not is_distributed():
        return values
    backend = dist.get_backend()
    device = torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else torch.device("cpu")
    tensor = torch.as_tensor(values, dtype=torch.float64, device=device).clone()
    dist.all_reduce(tensor)
    return tensor.cpu().numpy()


def broadcast_seed(seed: int | None) -> int | None:
    """Rank 0's seed on every rank; with ``None``, rank 0 draws one (so all ranks make the same splits)."""
    if not is_distributed():
        return seed
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    tensor = torch.tensor([seed], dtype=torch.int64, device=device)
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def barrier() -> None:
    """Wait for every rank (no-op in a single process)."""
    if is_distributed():
        dist.barrier()


def shutdown() -> None:
    """Wait for every rank, then leave the process group (no-op in a single process).

    Call it when a distributed run has finished. A process that exits with
    the group still open can abort in gloo's background threads at
    interpreter shutdown ("terminate called without an active exception").
    """
    if is_distributed():
        dist.barrier()
        dist.destroy_process_group()


def local_generator(generator: torch.Generator) -> torch.Generator:
    """A random stream for this rank, forked from ``generator`` (which advances the same on every rank)."""
    seed = int(torch.randint(2**62, (1,), generator=generator))
    return torch.Generator().manual_seed(seed + rank())
