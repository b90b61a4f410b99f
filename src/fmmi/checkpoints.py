"""The run record of a checkpoint folder: which options and data its checkpoints belong to, and the seed used.

A folder's ``run.json`` holds a fingerprint of the estimator's options and of
the data and the seed actually used (drawn once when ``random_state`` is
None), so that the same call after a crash resumes the same run, and a call
with other options or data is refused. The checkpoints themselves are written
by `fmmi.training.train_flow_matching`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from . import distributed
from ._checks import make_generator
from .io import atomic_write_text

__all__ = ["RUN_RECORD", "fingerprint", "open_run", "recorded_seed"]

RUN_RECORD = "run.json"
# Options that do not change what a run computes, left out of its fingerprint.
_NOT_FINGERPRINTED = {"progress", "device", "checkpoint_dir", "checkpoint_every"}


def fingerprint(kind: str, params: Mapping[str, Any], data: Sequence[np.ndarray]) -> str:
    """A digest of an estimator's kind, its options and its data."""
    digest = hashlib.sha256(kind.encode())
    digest.update(repr(sorted((k, repr(v)) for k, v in params.items() if k not in _NOT_FINGERPRINTED)).encode())
    for a in data:
        digest.update(repr(a.shape).encode())
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def open_run(folder: str | os.PathLike, digest: str, random_state: int | torch.Generator | None) -> int | None:
    """Create or reopen a checkpoint folder for the run ``digest``; returns the seed to use.

    Under torch.distributed, rank 0 reads or writes the record and the other ranks get None (the
    seed reaches them by broadcast).
    """
    if isinstance(random_state, torch.Generator):
        raise ValueError("checkpoint_dir needs an integer random_state (or None), not a torch.Generator")
    folder = os.fspath(folder)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"checkpoint_dir {folder!r} exists and is not a folder")
    os.makedirs(folder, exist_ok=True)
    record = os.path.join(folder, RUN_RECORD)
    if distributed.rank() != 0:
        distributed.barrier()
        return None
    if os.path.exists(record):
        try:
            with open(record) as handle:
                saved = json.load(handle)
            recorded, seed = saved["fingerprint"], saved["seed"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{record} is not an fmmi run record ({error})") from None
        if recorded != digest:
            raise ValueError(
                f"checkpoint_dir {folder!r} holds checkpoints of a run with other options or data; "
                "use an empty folder for a new run"
            )
        distributed.barrier()
        return seed
    _, seed = make_generator(random_state)
    atomic_write_text(record, json.dumps({"fingerprint": digest, "seed": seed}) + "\n")
    distributed.barrier()
    return seed


def recorded_seed(folder: str | os.PathLike | None) -> int | None:
    """The seed a run recorded in ``folder``, if it holds a readable run record."""
    if folder is None:
        return None
    try:
        with open(os.path.join(folder, RUN_RECORD)) as handle:
            seed = json.load(handle)["seed"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return seed if isinstance(seed, int) else None
