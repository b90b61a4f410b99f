"""What the gallery's examples share: their command line and how a figure is written."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def save(figure, out: Path, name: str) -> Path:
    """Write ``figure`` as ``out/name.png`` and close it; returns the path."""
    figure.tight_layout()
    path = out / f"{name}.png"
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def command_line(main: Callable[[Path, bool], Path], description: str) -> None:
    """``--out FOLDER`` (default ./gallery) and ``--quick`` (tiny settings, for the tests); prints the figure's path."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("gallery"), help="folder for the figure")
    parser.add_argument("--quick", action="store_true", help="tiny settings (seconds), for the tests")
    args = parser.parse_args()
    print(main(args.out, args.quick))
