"""Does the held-out flow-matching loss pick the more accurate net, without the true MI?

    python benchmarks/archive/validation_loss.py TASKS VARIANTS OUT_FOLDER
    python benchmarks/archive/validation_loss.py --table OUT_FOLDER

For each task (``fmmi.benchmark`` ids) and variant (names in ``VARIANTS``):
``task.sample(10000, seed 0)``, `FMMI` with the variant's options on top of
the defaults, ``random_state=0``, fitted on the first 5,000 rows; on the other
5,000 rows, the MI estimate (Monte-Carlo interval) and the per-row
flow-matching loss (`FMMI.flow_matching_loss`, 8 draws, ``random_state=0``,
so every variant is scored on the very same draws). One JSON line per run in
``OUT_FOLDER/runs.jsonl`` and the per-row losses in
``OUT_FOLDER/losses/TASK__VARIANT.npy``; finished pairs are skipped.
``--table`` prints, per task, each variant's estimate and error and its mean
loss minus the first variant's, with the paired standard error; then, for
tanh against SiLU, which of the two `fmmi.select`'s rule keeps (tanh unless
SiLU's loss is lower by more than 2 paired standard errors) and the mean
absolute error of each column; then whether 2,000-step pilots (``tanh_2k``,
``silu_2k``) lead the rule to the same net as the full trainings.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np
import torch

import fmmi
from fmmi import FMMI
from fmmi.benchmark import get_task
from fmmi.benchmark.runner import source_commit
from fmmi.estimators.selection import keep

VARIANTS = {
    "tanh": {},  # the default
    "silu": {"activation": "silu"},
    "depth_3": {"depth": 3},
    "depth_4": {"depth": 4},
    "hidden_1024": {"hidden": 1024},
    # Short pilots: does the loss gap after 2,000 steps (cosine over those steps) foretell the full one?
    "tanh_2k": {"steps": 2000},
    "silu_2k": {"activation": "silu", "steps": 2000},
}

N, N_TRAIN, N_DRAWS = 10000, 5000, 8


def run(tasks: list[str], variants: list[str], out: str) -> None:
    os.makedirs(os.path.join(out, "losses"), exist_ok=True)
    runs = os.path.join(out, "runs.jsonl")
    done = set()
    if os.path.exists(runs):
        with open(runs) as f:
            done = {(r["task"], r["variant"]) for r in map(json.loads, f)}
    for task_id in tasks:
        task = get_task(task_id)
        x, y = task.sample(N, 0)
        for name in variants:
            if (task_id, name) in done:
                continue
            start = time.perf_counter()
            est = FMMI(interval="monte_carlo", random_state=0, device="cpu", **VARIANTS[name])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(x[:N_TRAIN], y[:N_TRAIN])
                trained = time.perf_counter() - start
                result = est.estimate(x[N_TRAIN:], y[N_TRAIN:])
                losses = est.flow_matching_loss(x[N_TRAIN:], y[N_TRAIN:], n_draws=N_DRAWS, random_state=0)
            np.save(os.path.join(out, "losses", f"{task_id}__{name}.npy"), losses)
            record = {
                "task": task_id,
                "variant": name,
                "options": VARIANTS[name],
                "true_mi": task.mutual_information,
                "estimate": float(result),
                "stderr": result.stderr,
                "loss": float(losses.mean()),
                "loss_stderr": float(losses.std(ddof=1) / np.sqrt(losses.size)),
                "train_seconds": trained,
                "seconds": time.perf_counter() - start,
                "threads": torch.get_num_threads(),
                "mixed_precision_used": bool(est.mixed_precision_),
                "fmmi_version": fmmi.__version__,
                "fmmi_commit": source_commit(),
            }
            with open(runs, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(
                f"{task_id} {name}: {record['estimate']:.3f} (true {task.mutual_information:.3f}), loss {record['loss']:.5f}, "
                f"{record['seconds']:.0f} s",
                flush=True,
            )


def table(out: str) -> None:
    with open(os.path.join(out, "runs.jsonl")) as f:
        records = [json.loads(line) for line in f]
    print("| task (true MI) | variant | estimate (error) | loss − first variant's (paired s.e.) | s |")
    print("|---|---|---|---|---|")
    for task_id in dict.fromkeys(r["task"] for r in records):
        rows = [r for r in records if r["task"] == task_id]
        reference = np.load(os.path.join(out, "losses", f"{task_id}__{rows[0]['variant']}.npy"))
        for r in rows:
            diff = np.load(os.path.join(out, "losses", f"{task_id}__{r['variant']}.npy")) - reference
            paired = f"{diff.mean():+.5f} ({diff.std(ddof=1) / np.sqrt(diff.size):.5f})" if r is not rows[0] else "0"
            print(
                f"| {task_id} ({r['true_mi']:.3f}) | {r['variant']} | {r['estimate']:.3f} "
                f"({r['estimate'] - r['true_mi']:+.3f}) | {paired} | {r['seconds']:.0f} |"
            )


def selection_table(out: str, variants: list[str], margin: float = 2.0) -> None:
    """Per task: each variant's error and what `fmmi.select`'s rule (first variant unless another's
    loss is lower by more than ``margin`` paired standard errors) would keep; then the MAE of each."""
    with open(os.path.join(out, "runs.jsonl")) as f:
        records = {(r["task"], r["variant"]): r for r in map(json.loads, f)}
    tasks = [t for t in dict.fromkeys(t for t, _ in records) if all((t, v) in records for v in variants)]
    print(f"| task (true MI) | {' | '.join(variants)} | kept (margin {margin:g} s.e.) |")
    print("|---|" + "---|" * (len(variants) + 1))
    errors = {v: [] for v in [*variants, "kept"]}
    for task_id in tasks:
        losses = [np.load(os.path.join(out, "losses", f"{task_id}__{v}.npy")) for v in variants]
        kept = variants[keep(losses, margin)[0]]
        cells = []
        for v in variants:
            r = records[task_id, v]
            errors[v].append(abs(r["estimate"] - r["true_mi"]))
            cells.append(f"{r['estimate']:.3f} ({r['estimate'] - r['true_mi']:+.3f})")
        errors["kept"].append(abs(records[task_id, kept]["estimate"] - records[task_id, kept]["true_mi"]))
        true_mi = records[task_id, variants[0]]["true_mi"]
        print(f"| {task_id} ({true_mi:.3f}) | {' | '.join(cells)} | {kept} |")
    print(
        f"| mean absolute error over {len(tasks)} tasks | "
        + " | ".join(f"{np.mean(errors[v]):.3f}" for v in errors)
        + " |"
    )


def pilot_table(out: str, full: list[str], pilot: list[str], margin: float = 2.0) -> None:
    """Per task: what the rule keeps on the full trainings' losses and on the pilots' losses (gap in paired
    standard errors), and the error of each pick, both read on the full trainings; then the MAE of each."""
    with open(os.path.join(out, "runs.jsonl")) as f:
        records = {(r["task"], r["variant"]): r for r in map(json.loads, f)}
    tasks = [t for t in dict.fromkeys(t for t, _ in records) if all((t, v) in records for v in full + pilot)]
    print("| task (true MI) | kept on full trainings (gap / s.e.) | kept on pilots (gap / s.e.) | error of each pick |")
    print("|---|---|---|---|")
    errors: dict[str, list[float]] = {"full": [], "pilot": []}
    for task_id in tasks:
        cells, picks = [], []
        for names in (full, pilot):
            chosen, gaps, stderrs = keep([np.load(os.path.join(out, "losses", f"{task_id}__{v}.npy")) for v in names])
            picks.append(full[chosen])
            cells.append(f"{full[chosen]} ({gaps[1] / stderrs[1]:+.1f})")
        wrong = [records[task_id, v]["estimate"] - records[task_id, v]["true_mi"] for v in picks]
        for name, error in zip(errors, wrong):
            errors[name].append(abs(error))
        true_mi = records[task_id, full[0]]["true_mi"]
        print(f"| {task_id} ({true_mi:.3f}) | {cells[0]} | {cells[1]} | {wrong[0]:+.3f} / {wrong[1]:+.3f} |")
    print(
        f"| mean absolute error over {len(tasks)} tasks | | | {np.mean(errors['full']):.3f} / {np.mean(errors['pilot']):.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("args", nargs="+", help="TASKS VARIANTS OUT_FOLDER, or OUT_FOLDER with --table")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if args.table:
        table(args.args[0])
        print()
        selection_table(args.args[0], ["tanh", "silu"])
        print()
        pilot_table(args.args[0], ["tanh", "silu"], ["tanh_2k", "silu_2k"])
    else:
        tasks, variants, out = args.args
        unknown = [v for v in variants.split(",") if v not in VARIANTS]
        if unknown:
            parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
        run(tasks.split(","), variants.split(","), out)


if __name__ == "__main__":
    main()
