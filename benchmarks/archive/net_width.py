"""Smaller nets for issue 5's cost target: one training per net on BMI, seed 0, tabulated from the records.

    python benchmarks/archive/net_width.py [--seed 0]

Reads the pilot records that `benchmarks/archive/pilot_select.py` wrote with
``--pilot-steps 10000 --interval monte_carlo`` and other nets
(``--option hidden=128``, ``--candidates ...``; a 10,000-step pilot is one
training of its net, the ``fmmi-mc`` protocol: half of the rows train,
the other half are read), and the ``fmmi-mc`` records of the default
(512 x 2, tanh) in ``bmi_fmmi_v3`` (the same data, split and seed). Prints
one row per BMI task: each net's own estimate, then what the loss rule of
`fmmi.select` (keep the second net only if its held-out loss is lower by
more than 2 paired standard errors) keeps from each pair; then MAE (nats),
BMI's solved count (``|log(estimate / truth)| < log 1.5``) and the pilots'
mean seconds per pair (one thread, other runs sharing the 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from fmmi.benchmark import list_tasks
from fmmi.benchmark.report import solved

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
# Pair name -> (records folder, names of its two nets).
PAIRS = {
    "tanh 128 / SiLU 128": ("bmi_select_mc_h128", ("tanh 128", "SiLU 128")),
    "tanh 256 / SiLU 128": ("bmi_select_mc_h256_silu128", ("tanh 256", "SiLU 128")),
    "tanh 512 / SiLU 128": ("bmi_select_mc_silu128", ("tanh 512", "SiLU 128")),
}
DEFAULT_NET = "tanh 512 (fmmi-mc)"


def _pilots(folder: str, seed: int) -> dict[str, dict]:
    path = os.path.join(HERE, folder, "runs.jsonl")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        records = [json.loads(line) for line in f]
    return {r["task"]: r for r in records if r["stage"] == "pilot" and r["seed"] == seed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with open(os.path.join(HERE, "bmi_fmmi_v3", "runs.jsonl")) as f:
        reference = {
            r["task_id"]: r["estimate"]
            for r in map(json.loads, f)
            if r["estimator"] == "fmmi-mc" and r["seed"] == args.seed and r.get("success")
        }
    pilots = {pair: _pilots(folder, args.seed) for pair, (folder, _) in PAIRS.items()}
    nets: dict[str, dict[str, float]] = {DEFAULT_NET: reference}
    kept: dict[str, dict[str, float]] = {}
    spread: dict[str, float] = {}
    for pair, (_, names) in PAIRS.items():
        kept[pair] = {}
        for task, r in pilots[pair].items():
            for name, value in zip(names, r["estimates"]):
                if name == "tanh 512":  # the default's net: its fmmi-mc record is the column
                    name = "tanh 512 pilot"
                first = nets.setdefault(name, {}).setdefault(task, value)
                spread[name] = max(spread.get(name, 0.0), abs(first - value))  # same net, seed, split: same value
            kept[pair][task] = r["estimates"][r["chosen"]]
    pilot_512 = nets.pop("tanh 512 pilot", {})
    columns = {**nets, **{f"kept of {pair}": values for pair, values in kept.items()}}
    tasks = [t for t in list_tasks("bmi") if all(t in values for values in columns.values())]
    truth = {t: next(p[t]["true_mi"] for p in pilots.values() if t in p) for t in tasks}
    print(f"| task (true MI) | {' | '.join(columns)} |")
    print("|---|" + "---|" * len(columns))
    for task in tasks:
        cells = []
        for values in columns.values():
            ok = solved(values[task], truth[task])
            cells.append(f"{values[task]:.3f}{' unsolved' if ok is False else ''}")
        print(f"| {task} ({truth[task]:.3f}) | {' | '.join(cells)} |")
    true = np.array([truth[t] for t in tasks])
    mae = [f"{np.mean(np.abs(np.array([v[t] for t in tasks]) - true)):.4f}" for v in columns.values()]
    counts = [str(sum(bool(solved(v[t], truth[t])) for t in tasks)) for v in columns.values()]
    print(f"| MAE over {len(tasks)} tasks (seed {args.seed}) | {' | '.join(mae)} |")
    print(f"| solved | {' | '.join(counts)} |")
    repeats = [f"{name} {value:.4f}" for name, value in spread.items() if name != "tanh 512 pilot"]
    print(f"largest difference between runs of the same net in two folders: {', '.join(repeats)}")
    same = [abs(pilot_512[t] - reference[t]) for t in tasks if t in pilot_512]
    if same:
        print(f"tanh 512 pilots against their fmmi-mc records: largest difference {max(same):.4f} ({len(same)} tasks)")
    for pair, records in pilots.items():
        seconds = [r["seconds"] for t, r in records.items() if t in tasks]
        picks = sum(records[t]["chosen"] for t in tasks)
        print(f"{pair}: second net kept on {picks} of {len(tasks)}; {np.mean(seconds):.0f} s per pair on average")


if __name__ == "__main__":
    main()
