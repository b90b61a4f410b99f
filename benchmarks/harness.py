"""What every benchmark study shares: its command-line arguments, threads, and the JSON-lines record it writes.

A study's ``run.py`` builds its parser with `parser`, calls `setup` once, and writes one record per
measurement with `Records.write`; every record carries the source commit, the versions and the
machine, so that a number in a study's README traces to the code that printed it. Studies use
fmmi's public API only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

import torch

import fmmi
from fmmi.benchmark.runner import source_commit

__all__ = ["Records", "parser", "seeds", "setup"]


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every study takes: ``--out``, ``--seeds``, ``--threads``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, help="JSON-lines file the records are appended to")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    return parser


def seeds(args: argparse.Namespace) -> list[int]:
    """The integer seeds of ``--seeds``."""
    try:
        return [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise SystemExit(f"--seeds {args.seeds!r}: expected comma-separated integers") from None


def setup(args: argparse.Namespace) -> None:
    """Apply ``--threads`` (one thread makes float reductions repeat exactly from run to run)."""
    if args.threads:
        torch.set_num_threads(args.threads)


class Records:
    """Append-only JSON lines, each written whole and flushed, with the provenance of the run."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.provenance = {
            "fmmi_version": fmmi.__version__,
            "fmmi_commit": source_commit(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "machine": platform.machine(),
        }

    def write(self, record: dict[str, Any]) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps({**record, **self.provenance}, default=str) + "\n")
            handle.flush()
