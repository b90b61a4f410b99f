"""Ablation of the changes aimed at high MI and high dimension (issue 5).

    python benchmarks/archive/ablation.py TASKS VARIANTS OUT.jsonl
    python benchmarks/archive/ablation.py --table OUT.jsonl

TASKS: comma-separated task ids (``fmmi.benchmark``); VARIANTS: comma-separated
names from ``VARIANTS`` below. Each run: ``task.sample(10000, seed 0)``, one
training (``interval="monte_carlo"``, ``random_state=0``) with the variant's
options on top of the defaults *of the commit the run was made at* (the
record keeps the options, the fmmi version and the commit; records made
before the commit was kept lack ``fmmi_commit``). One JSON line per run,
appended as it finishes; finished (task, variant) pairs are skipped, so a
killed run resumes. ``--table`` prints estimate and error per task and variant.
Each run of a default-sized net takes 70-140 s on this 2-core machine with one thread;
the deeper and wider variants take several times that (now_depth_4 490 s, now_hidden_1024 590 s).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import torch

import fmmi
from fmmi import FMMI
from fmmi.benchmark import get_task
from fmmi.benchmark.runner import source_commit

# Options changed against the defaults of the pre-issue-5 release (grid in t,
# uniform training times, t as the only time input, velocity regressed directly).
VARIANTS = {
    "base": dict(time_sampling="grid", time_density="uniform", time_features="linear", gaussian_base=False),
    "grid": dict(time_sampling="log_grid", time_density="uniform", time_features="linear", gaussian_base=False),
    "dens": dict(time_sampling="log_grid", time_density="log", time_features="linear", gaussian_base=False),
    "tf": dict(time_sampling="log_grid", time_density="uniform", time_features="log", gaussian_base=False),
    "feat": dict(time_sampling="log_grid", time_density="log", time_features="log", gaussian_base=False),
    "gba": dict(
        time_sampling="log_grid", time_density="log", time_features="log", gaussian_base=True, gaussianize="auto"
    ),
}
# The default from issue 5 on, and that default with the log time input (the candidate
# when the "no_*" runs were made: each drops one change from *that* configuration).
# Records made before this script had these names also hold "endp", "knots" and "endp_v"
# (endpoint parametrisations, removed; their options and commit are in each record).
DEFAULT = dict(
    time_sampling="log_grid", time_density="uniform", time_features="linear", gaussian_base=True, gaussianize="auto"
)
WITH_LOG_FEATURE = {**DEFAULT, "time_features": "log"}
VARIANTS.update(
    {
        "default": DEFAULT,
        "with_log_feature": WITH_LOG_FEATURE,
        "no_base": {**WITH_LOG_FEATURE, "gaussian_base": False},
        "no_auto": {**WITH_LOG_FEATURE, "gaussianize": True},
        "no_log_grid": {**WITH_LOG_FEATURE, "time_sampling": "grid"},
    }
)
# Training budget (issue 5, Student-t underestimation): each changes one training option of DEFAULT.
VARIANTS.update(
    {
        "steps_15k": {**DEFAULT, "steps": 15000},
        "lr_3e-3": {**DEFAULT, "lr": 3e-3},
        "lr_3e-4": {**DEFAULT, "lr": 3e-4},
        "batch_128_steps_20k": {**DEFAULT, "batch_size": 128, "steps": 20000},
        "hidden_256_steps_15k": {**DEFAULT, "hidden": 256, "steps": 15000},
        # Less noisy regression targets: only y moves (x kept), or a flow in y given x (cFMMI).
        "shared_x": {**DEFAULT, "coupling": "shared_x"},
        "conditional": {**DEFAULT, "variant": "conditional"},
        "log_density": {**DEFAULT, "time_density": "log"},
        "ema_0.999": {**DEFAULT, "ema": 0.999},
        # bfloat16 autocast halves the step time on this CPU (AVX512-BF16): more steps at the same cost.
        "bf16": {**DEFAULT, "mixed_precision": True},
        "bf16_steps_10k": {**DEFAULT, "mixed_precision": True, "steps": 10000},
        "bf16_steps_15k": {**DEFAULT, "mixed_precision": True, "steps": 15000},
    }
)
# Against the current default (10,000 steps, bfloat16 where fast): changes aimed at the plain
# spirals, fmmi's largest remaining BMI error (the spiral keeps the marginals Gaussian, so only
# the net can undo it). Baseline: fmmi-mc seed 0 in benchmarks/archive/results/bmi_fmmi_v3 (same data, seed, options).
VARIANTS.update(
    {
        "now_log_density": {**DEFAULT, "time_density": "log"},
        "now_silu": {**DEFAULT, "activation": "silu"},
        "now_depth_3": {**DEFAULT, "depth": 3},
        "now_conditional": {**DEFAULT, "variant": "conditional"},
        "now_shared_x": {**DEFAULT, "coupling": "shared_x"},
        # A wider or deeper tanh net (2026-11-30): does capacity alone lift the spiral?
        "now_hidden_1024": {**DEFAULT, "hidden": 1024},
        "now_depth_4": {**DEFAULT, "depth": 4},
        # Other smooth activations between tanh (bounded) and SiLU: does one keep
        # SiLU's lift on the spirals without its overshoot where the Gaussian base is exact?
        "now_gelu": {**DEFAULT, "activation": "gelu"},
        "now_elu": {**DEFAULT, "activation": "elu"},
        "now_softplus": {**DEFAULT, "activation": "softplus"},
        # The flow run backwards, from the joint to the product of marginals: is its bias the mirror
        # of the forward flow's (so that the two could be averaged)?
        "now_reverse": {**DEFAULT, "reverse": True},
    }
)
for _options in VARIANTS.values():
    _options.setdefault("gaussianize", True)


def run(tasks: list[str], variants: list[str], out: str) -> None:
    done = set()
    if os.path.exists(out):
        with open(out) as handle:
            done = {(r["task"], r["variant"]) for r in map(json.loads, handle) if isinstance(r["value"], float)}
    torch.set_num_threads(1)
    for task_id in tasks:
        task = get_task(task_id)
        x, y = task.sample(10_000, 0)
        for name in variants:
            if (task_id, name) in done:
                continue
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    value = (
                        FMMI(interval="monte_carlo", random_state=0, device="cpu", **VARIANTS[name])
                        .fit_estimate(x, y)
                        .value
                    )
                except Exception as error:  # recorded, not fatal
                    value = repr(error)
            record = {
                "task": task_id,
                "true": task.mutual_information,
                "variant": name,
                "options": VARIANTS[name],
                "value": value,
                "s": time.perf_counter() - start,
                "fmmi": fmmi.__version__,
                "fmmi_commit": source_commit(),
            }
            print(record, flush=True)
            with open(out, "a") as handle:
                handle.write(json.dumps(record) + "\n")


def table(out: str) -> None:
    with open(out) as handle:
        records = [r for r in map(json.loads, handle) if isinstance(r["value"], float)]
    tasks = list(dict.fromkeys(r["task"] for r in records))
    names = list(dict.fromkeys(r["variant"] for r in records))
    cell = {(r["task"], r["variant"]): r for r in records}
    print("| task | true MI | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for task in tasks:
        true = next(r["true"] for r in records if r["task"] == task)
        values = [f"{cell[task, v]['value']:.3f}" if (task, v) in cell else "" for v in names]
        print(f"| {task} | {true:.3f} | " + " | ".join(values) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("args", nargs="+")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if args.table:
        table(args.args[0])
    else:
        tasks, variants, out = args.args
        run(tasks.split(","), variants.split(","), out)


if __name__ == "__main__":
    main()
