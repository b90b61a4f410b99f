"""Summaries of a sweep: a markdown table per task and estimator, and a plot."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..io import atomic_write_text
from ..plotting import _pyplot, save_figure
from .runner import load_records

__all__ = [
    "summarise",
    "markdown_table",
    "estimator_table",
    "seed_table",
    "level_table",
    "side_by_side",
    "write_report",
    "summary",
    "SOLVED_RATIO",
    "solved",
]

# BMI's rule: an estimate solves a task when |log(estimate / truth)| < log 1.5.
SOLVED_RATIO = 1.5

# The report's sections that `summary` keeps (the rest can run to hundreds of lines).
PER_ESTIMATOR = "Per estimator"
BY_MI_LEVEL = "MAE by true MI (tasks and seeds at the same MI pooled)"


def solved(estimate: float, truth: float) -> bool | None:
    """BMI's rule: whether ``|log(estimate / truth)| < log SOLVED_RATIO``.

    None at a true MI of 0, where the ratio is undefined; a non-positive
    estimate of a positive MI does not solve the task.
    """
    if truth <= 0:
        return None  # the ratio rule is undefined at zero MI
    return estimate > 0 and abs(math.log(estimate / truth)) < math.log(SOLVED_RATIO)


def summarise(records: list[dict]) -> list[dict]:
    """One row per (task, estimator, n): runs, failures, mean estimate, MAE, solved fraction, seconds.

    Also ``covered`` of ``with_interval`` runs whose 95% interval contains the
    true MI, ``open_above`` of them with no upper end (`fmmi.base_check`: these cover by saying
    that the estimate is likely too low), and the ``interval_kinds`` they carried.
    """
    rows = []
    # In the order the sweep ran them.
    for (task_id, estimator, n), group in _groups(records, ("task_id", "estimator", "n")).items():
        ok = [r for r in group if r.get("success")]
        truth = group[0]["true_mi"]
        estimates = np.array([r["estimate"] for r in ok])
        hits = [solved(r["estimate"], truth) for r in ok]
        with_interval = [r for r in ok if r.get("interval") is not None]
        covered = [r["interval"][0] <= truth <= r["interval"][1] for r in with_interval]
        rows.append(
            {
                "task_id": task_id,
                "estimator": estimator,
                "n": n,
                "true_mi": truth,
                "runs": len(group),
                "failed": len(group) - len(ok),
                "mean_estimate": float(estimates.mean()) if ok else float("nan"),
                "mae": float(np.abs(estimates - truth).mean()) if ok else float("nan"),
                "solved": (float(np.mean(hits)) if ok and hits[0] is not None else None),
                "seconds": float(np.mean([r["seconds"] for r in ok])) if ok else float("nan"),
                "covered": int(sum(covered)),
                "with_interval": len(with_interval),
                "open_above": sum(math.isinf(r["interval"][1]) for r in with_interval),
                "interval_kinds": sorted({str(r.get("interval_kind")) for r in with_interval}),
                "devices": sorted({str(r.get("device", "cpu")) for r in group}),
            }
        )
    return rows


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| task | estimator | n | true MI | runs (failed) | mean estimate | MAE | solved | s per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        share = "n/a" if row["solved"] is None else f"{row['solved']:.0%}"
        lines.append(
            f"| {row['task_id']} | {row['estimator']} | {row['n']} | {row['true_mi']:.4f} | "
            f"{row['runs']} ({row['failed']}) | {row['mean_estimate']:.4f} | {row['mae']:.4f} | {share} | "
            f"{row['seconds']:.1f} |"
        )
    return "\n".join(lines)


def estimator_table(rows: list[dict]) -> str:
    """Per estimator (and n): tasks, MAE over tasks, tasks solved by the mean estimate, seconds per run, devices.

    And how many runs' 95% intervals contain the truth (of the runs that have
    one), with the interval kinds.
    """
    lines = [
        "| estimator | n | tasks | runs (failed) | MAE over tasks | tasks solved | intervals containing the truth "
        "| s per run | devices |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (estimator, n), chosen in _groups(rows, ("estimator", "n")).items():
        a = _aggregate(chosen)
        kinds = ", ".join(a["kinds"])
        coverage = f"{a['covered']}/{a['with_interval']}{_open(a)} ({kinds})" if a["with_interval"] else "n/a"
        devices = ", ".join(sorted({d for r in chosen for d in r.get("devices", ["cpu"])}))
        lines.append(
            f"| {estimator} | {n} | {len(chosen)} | {a['runs']} ({a['failed']}) | {a['mae']:.3f} "
            f"| {a['solved']}/{a['rated']} | {coverage} | {a['seconds']:.1f} | {devices} |"
        )
    return "\n".join(lines)


def _aggregate(rows: list[dict]) -> dict:
    """Totals over rows of `summarise`: runs, failures, MAE over tasks, tasks solved by their mean, intervals."""
    ok = [r for r in rows if math.isfinite(r["mean_estimate"])]
    rated = [r for r in ok if r["true_mi"] > 0]
    return {
        "runs": sum(r["runs"] for r in rows),
        "failed": sum(r["failed"] for r in rows),
        "mae": float(np.mean([r["mae"] for r in ok])) if ok else float("nan"),
        "solved": sum(bool(solved(r["mean_estimate"], r["true_mi"])) for r in rated),
        "rated": len(rated),
        "covered": sum(r["covered"] for r in ok),
        "with_interval": sum(r["with_interval"] for r in ok),
        "open_above": sum(r.get("open_above", 0) for r in ok),
        "kinds": sorted({kind for r in ok for kind in r["interval_kinds"]}),
        "seconds": float(np.mean([r["seconds"] for r in ok])) if ok else float("nan"),
    }


def seed_table(records: list[dict]) -> str:
    """Per estimator, n and seed: MAE over the tasks that seed ran, tasks it solved, intervals, seconds.

    The spread of these lines is how much one sweep's summary would move with
    another seed; the "Per estimator" table judges tasks on the mean over seeds.
    """
    lines = [
        "| estimator | n | seed | tasks | failed | MAE over tasks | tasks solved | intervals containing the truth "
        "| s per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (estimator, n), group in _groups(records, ("estimator", "n")).items():
        for (seed,), runs in sorted(_groups(group, ("seed",)).items(), key=lambda item: _seed_order(item[0][0])):
            rows = summarise(runs)
            a = _aggregate(rows)
            lines.append(
                f"| {estimator} | {n} | {seed} | {len(rows)} | {a['failed']} | {a['mae']:.3f} "
                f"| {a['solved']}/{a['rated']} | {a['covered']}/{a['with_interval']}{_open(a)} | {a['seconds']:.1f} |"
            )
    return "\n".join(lines)


def _open(totals: dict) -> str:
    """How many of the intervals are open above, in words (nothing when none is)."""
    return f", {totals['open_above']} open above" if totals["open_above"] else ""


def level_table(records: list[dict]) -> str:
    """MAE per estimator at each true MI (rounded to 6 decimals), pooled over the tasks and seeds at that level.

    For suites such as ``highmi`` whose tasks share a few MI levels across dimensions.
    """
    ok = [r for r in records if r.get("success")]
    levels = sorted({_level(r) for r in ok})
    lines = [
        "| estimator | n | " + " | ".join(f"{level:g}" for level in levels) + " | runs | s per run |",
        "|---|---|" + "---|" * len(levels) + "---|---|",
    ]
    for (estimator, n), group in _groups(ok, ("estimator", "n")).items():
        cells = []
        for level in levels:
            errors = [abs(r["estimate"] - r["true_mi"]) for r in group if _level(r) == level]
            cells.append(f"{np.mean(errors):.3f}" if errors else "")
        seconds = np.mean([r["seconds"] for r in group])
        lines.append(f"| {estimator} | {n} | " + " | ".join(cells) + f" | {len(group)} | {seconds:.1f} |")
    return "\n".join(lines)


def _level(record: dict) -> float:
    """The true MI rounded to 6 decimals: the same nominal MI comes out a few 1e-9 apart across dimensions."""
    return round(record["true_mi"], 6)


def _seed_order(seed: Any) -> tuple:
    """Integer seeds in numeric order (2 before 10), anything else after them as text."""
    return (0, seed, "") if isinstance(seed, int) else (1, 0, str(seed))


def _groups(records: list[dict], keys: tuple[str, ...]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        groups.setdefault(tuple(record.get(key) for key in keys), []).append(record)
    return groups


def side_by_side(rows: list[dict]) -> str:
    """Task by task: the truth and each estimator's mean estimate (``*``: not solved by BMI's rule)."""
    estimators = list(dict.fromkeys(r["estimator"] for r in rows))
    lines = ["| task | true MI | " + " | ".join(estimators) + " |", "|---|---|" + "---|" * len(estimators)]
    for task_id in dict.fromkeys(r["task_id"] for r in rows):
        by = {r["estimator"]: r for r in rows if r["task_id"] == task_id}
        truth = next(iter(by.values()))["true_mi"]
        cells = []
        for estimator in estimators:
            row = by.get(estimator)
            if row is None or not math.isfinite(row["mean_estimate"]):
                cells.append("")
                continue
            mark = "*" if solved(row["mean_estimate"], truth) is False else ""
            cells.append(f"{row['mean_estimate']:.3f}{mark}")
        lines.append(f"| {task_id} | {truth:.4f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    folders: str | os.PathLike | list[str | os.PathLike], *, out: str | os.PathLike | None = None, plot: bool = True
) -> Path:
    """Write ``report.md`` (and plots when matplotlib is there) for one sweep folder or several pooled.

    Args:
        folders: One sweep folder, or a list of them whose records are pooled.
        out: Folder for the report; default the (single) sweep folder.
    """
    folders = [Path(f) for f in (folders if isinstance(folders, list) else [folders])]
    records = []
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(f"no sweep folder {folder}")
        records += load_records(folder)
    if not records:
        raise ValueError(f"{', '.join(map(str, folders))} hold no runs")
    if out is None:
        if len(folders) > 1:
            raise ValueError("several sweep folders: give out")
        out = folders[0]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = summarise(records)
    text = "\n\n".join(
        [
            "# fmmi benchmark report",
            "MI in nats; MAE over successful runs; solved: |log(estimate/truth)| < log 1.5 "
            "(for a task, judged on the mean estimate over seeds); intervals: runs whose 95% interval "
            "contains the true MI, of the runs that report one, and which kind of interval they carry.",
            f"## {PER_ESTIMATOR}",
            estimator_table(rows),
            "## Per seed",
            seed_table(records),
            *(
                [f"## {BY_MI_LEVEL}", level_table(highmi)]
                if (highmi := [r for r in records if str(r["task_id"]).startswith("highmi-")])
                else []
            ),
            "## Task by task (mean estimate; * not solved)",
            side_by_side(rows),
            "## All rows",
            markdown_table(rows),
        ]
    )
    atomic_write_text(out / "report.md", text + "\n")
    if plot:
        try:
            _plot(rows, out / "estimates.png")
            if any(r["task_id"].startswith("highmi-") for r in rows):
                _plot_errors([r for r in rows if r["task_id"].startswith("highmi-")], out / "highmi_errors.png")
        except ImportError:
            pass
    return out / "report.md"


def summary(text: str) -> str:
    """The title, the preamble and the summary sections of a report written by `write_report`."""
    intro, *sections = text.split("\n## ")
    kept = [section for section in sections if section.split("\n", 1)[0] in (PER_ESTIMATOR, BY_MI_LEVEL)]
    return "\n## ".join([intro, *kept]).rstrip()


def plot_limits(truths: list[float]) -> tuple[float, float]:
    """Axis limits on the truth's scale: the range of the true MI with a margin, never empty."""
    low, high = min(truths), max(truths)
    margin = max(0.25 * (high - low), 0.1 * max(abs(high), 1e-3))
    return low - margin, high + margin


def _plot(rows: list[dict], path: Path) -> None:
    """One panel per estimator: mean estimate against the truth, on the truth's scale.

    A mean estimate outside the axes (a diverged bound, say) is drawn at the edge it crossed as a
    red triangle, and the panel's title counts them, so that one wild value cannot flatten the rest.
    """
    plt = _pyplot()
    estimators = list(dict.fromkeys(r["estimator"] for r in rows))
    columns = min(3, len(estimators))
    lines = math.ceil(len(estimators) / columns)
    figure, axes = plt.subplots(
        lines, columns, figsize=(4 * columns, 3.6 * lines), squeeze=False, sharex=True, sharey=True
    )
    low, high = plot_limits([r["true_mi"] for r in rows])
    for ax, estimator in zip(axes.flat, estimators):
        chosen = [r for r in rows if r["estimator"] == estimator and math.isfinite(r["mean_estimate"])]
        truth = np.array([r["true_mi"] for r in chosen])
        estimate = np.array([r["mean_estimate"] for r in chosen])
        inside = (estimate >= low) & (estimate <= high)
        ax.plot([low, high], [low, high], color="0.5", ls="--", linewidth=0.8)
        ax.scatter(truth[inside], estimate[inside], s=14, color="C0")
        ax.scatter(truth[~inside], np.clip(estimate[~inside], low, high), marker="v", color="tab:red", s=24)
        outside = f"; {int((~inside).sum())} outside the axes (red)" if (~inside).any() else ""
        ax.set_title(f"{estimator}{outside}", fontsize=10)
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
    for ax in axes.flat[len(estimators) :]:
        ax.set_visible(False)
    for index in range(max(0, len(estimators) - columns), len(estimators)):  # the lowest panel of each column
        axes.flat[index].xaxis.set_tick_params(labelbottom=True)
        axes.flat[index].set_xlabel("true MI (nats)")
    for ax in axes[:, 0]:
        ax.set_ylabel("mean estimate (nats)")
    figure.suptitle("Mean estimate against the truth, per task")
    figure.tight_layout()
    save_figure(axes.flat[0], path)


def _plot_errors(rows: list[dict], path: Path) -> None:
    """Mean absolute error against the true MI, one line per estimator (tasks of equal MI pooled)."""
    plt = _pyplot()
    _, ax = plt.subplots(figsize=(6, 4.5))
    for i, estimator in enumerate(dict.fromkeys(r["estimator"] for r in rows)):
        chosen = [r for r in rows if r["estimator"] == estimator and math.isfinite(r["mae"])]
        levels = sorted({_level(r) for r in chosen})
        errors = [np.mean([r["mae"] for r in chosen if _level(r) == level]) for level in levels]
        ax.plot(levels, errors, marker="o", label=estimator, color=f"C{i}")
    ax.set_yscale("symlog", linthresh=0.01)  # errors from a thousandth to several nats on one axis
    ax.set_xlabel("true MI (nats)")
    ax.set_ylabel("mean absolute error (nats; linear below 0.01)")
    ax.set_title("highmi: error against the true MI")
    ax.legend()
    save_figure(ax, path)
