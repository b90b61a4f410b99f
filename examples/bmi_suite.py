"""Estimates against the truth across BMI v1's 40 tasks: fmmi's default, KSG and InfoNCE.

Drawn from the committed benchmark records (three seeds per task, N = 10,000; no training here). One
panel per estimator on the truth's scale; an estimate outside the axes is drawn at its edge as a
triangle, and the panel says how many there are.

    python examples/bmi_suite.py --out docs/gallery
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _gallery import command_line, save
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

from fmmi.benchmark.report import solved
from fmmi.benchmark.runner import load_records

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "archive" / "results"
PANELS = {
    "fmmi-default": ("bmi_fmmi_default_composed", "fmmi (the default)"),
    "ksg": ("bmi_baselines", "KSG (k = 5)"),
    "infonce": ("bmi_neural", "InfoNCE"),
}


def main(out: Path, quick: bool = False) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(PANELS), figsize=(4 * len(PANELS), 4), sharex=True, sharey=True)
    truths = [r["true_mi"] for r in load_records(RESULTS / "bmi_baselines")]
    low, high = 0.9 * min(truths), 1.1 * max(truths)
    for ax, (name, (folder, title)) in zip(axes, PANELS.items()):
        records = [r for r in load_records(RESULTS / folder) if r["estimator"] == name and r["success"]]
        if quick:
            records = records[:20]
        truth = np.array([r["true_mi"] for r in records])
        estimate = np.array([r["estimate"] for r in records])
        inside = (estimate >= low) & (estimate <= high)
        ax.plot([low, high], [low, high], color="k", linewidth=0.8)
        ax.fill_between([low, high], [low / 1.5, high / 1.5], [low * 1.5, high * 1.5], color="0.9", label="solved")
        ax.scatter(truth[inside], estimate[inside], s=12, alpha=0.7)
        clipped = np.clip(estimate[~inside], low, high)
        ax.scatter(truth[~inside], clipped, marker="v", color="tab:red", s=20)
        hits = sum(bool(solved(e, t)) for e, t in zip(estimate, truth))
        note = f"{(~inside).sum()} outside the axes (▼)" if (~inside).any() else "none outside the axes"
        mae = np.abs(estimate - truth).mean()
        ax.set_title(f"{title}\nMAE {mae:.3f} nats, {hits}/{len(records)} runs solved\n{note}", fontsize=10)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = [t for t in (0.2, 0.3, 0.5, 1.0, 2.0) if low <= t <= high]
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(FixedLocator(ticks))
            axis.set_major_formatter(FormatStrFormatter("%g"))
            axis.set_minor_formatter(NullFormatter())
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_xlabel("true MI (nats)")
    axes[0].set_ylabel("estimate (nats)")
    axes[0].legend(loc="upper left")
    return save(fig, out, "bmi_suite")


if __name__ == "__main__":
    command_line(main, __doc__)
