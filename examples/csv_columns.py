"""MI between two groups of columns of a CSV file, from the command line.

A table of 5,000 rows: three columns of X, two of Y that depend on them linearly with noise, and two
columns of noise that belong to neither (true MI in closed form). ``fmmi estimate`` picks the groups by
their header names; the figure shows its estimate and interval beside the truth and beside KSG on the
same columns. The estimate trains two nets (the default's two pilots; with ``--interval monte_carlo``
the kept pilot is the estimate); without that flag it cross-fits the kept net on five folds.

    python examples/csv_columns.py --out docs/gallery
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _gallery import command_line, save

from fmmi.estimators import KSG


def make_table(path: Path, rows: int, seed: int = 0) -> float:
    """Write the CSV; returns the true I(X;Y) in nats."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    mixing = np.array([[1.0, 0.5], [0.0, 1.0], [0.5, -0.5]])
    noise = 0.8
    y = x @ mixing + noise * rng.normal(size=(rows, 2))
    other = rng.normal(size=(rows, 2))
    header = "age,dose,weight,response,marker,noise_a,noise_b"
    np.savetxt(path, np.hstack([x, y, other]), delimiter=",", header=header, comments="")
    cov_y = mixing.T @ mixing + noise**2 * np.eye(2)
    return 0.5 * float(np.log(np.linalg.det(cov_y) / noise**4))


def main(out: Path, quick: bool = False) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    table = out / "csv_columns.csv"
    truth = make_table(table, 600 if quick else 5000)
    budget = ["--steps", "30", "--hidden", "16"] if quick else []
    command = [
        sys.executable,
        "-m",
        "fmmi",
        "estimate",
        str(table),
        "--x",
        "age,dose,weight",
        "--y",
        "response,marker",
        "--interval",
        "monte_carlo",
        "--seed",
        "0",
        "--json",
        "--no-progress",
        *budget,
    ]
    result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    data = np.loadtxt(table, delimiter=",", skiprows=1)
    ksg = KSG().fit_estimate(data[:, :3], data[:, 3:5])
    table.unlink()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for i, (name, value, (low, high)) in enumerate(
        [("fmmi estimate", result["value"], result["interval"]), ("KSG (k = 5)", ksg.value, ksg.interval)]
    ):
        ax.errorbar([value], [i], xerr=[[value - low], [high - value]], fmt="o", capsize=4)
    ax.axvline(truth, color="k", linestyle="--", label=f"true MI {truth:.3f}")
    ax.set_yticks([0, 1], ["fmmi estimate", "KSG (k = 5)"])
    ax.set_ylim(-0.7, 1.7)
    ax.set_xlabel("I(X;Y), nats (95% interval)")
    ax.set_title("X = age, dose, weight; Y = response, marker")
    ax.legend(loc="lower right")
    return save(fig, out, "csv_columns")


if __name__ == "__main__":
    command_line(main, __doc__)
