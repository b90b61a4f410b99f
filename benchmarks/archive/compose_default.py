"""The default estimator's benchmark records (``fmmi-default``), put together from runs already recorded.

    python benchmarks/archive/compose_default.py OUT_FOLDER --pilots P [P ...] --tanh T [T ...] [--silu S [S ...]]

`fmmi.estimate_mi` by default (up to `fmmi.estimators.fmmi.SELECT_MAX_COLUMNS`
columns in all) trains one tanh and one SiLU pilot of the full fit's steps
with the run's seed, keeps one by `fmmi.estimators.selection.keep`, then fits the kept
net on five folds with the same seed; above that many columns it fits the
tanh net alone. Each of these trainings is deterministic given the seed and
the data, and each is already on record for the suites:

* the pilots: ``"stage": "pilot"`` lines of ``benchmarks/archive/pilot_select.py``
  with 10,000 pilot steps, or ``fmmi-select-mc`` records of ``fmmi bench``
  (one training of each net on half of the rows: the same two trainings,
  the same losses, the same choice; its seconds are both trainings');
* the tanh net's five folds: ``fmmi`` records of ``fmmi bench``;
* the SiLU net's five folds: ``"stage": "full"`` lines of
  ``pilot_select.py``, or ``fmmi-select`` records of ``fmmi bench`` that
  kept SiLU (its full fit is the same).

So instead of training again, this writes one ``fmmi bench``-style record
per (task, seed) with ``"estimator": "fmmi-default"``: the kept fit's
estimate and interval (the standard error of a fit record that lacks one
is its interval's half-width over Student's t with K - 1 = 4 degrees of
freedom), the choice and its loss gaps, ``seconds`` = the pilots' plus
the fit's (as recorded, under whatever load they ran: see
``benchmarks/archive/README.md``; an ``fmmi-select`` record timed both nets' five
folds, so where it is the SiLU fit the seconds overstate the default's), and ``"composed_from"`` naming the records. A
(task, seed) without every record it needs is listed and left out. ``fmmi
report OUT_FOLDER`` then tabulates the default like any sweep.
"""

from __future__ import annotations

import argparse
import json
import os

from scipy import stats

from fmmi.config import SELECT_MAX_COLUMNS

T_975_4 = float(stats.t.ppf(0.975, 4))  # the crossfit interval's quantile with the default's five folds


def _read(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _pilots(paths: list[str]) -> dict[tuple[str, int], dict]:
    """(task, seed) -> {chosen, gaps, gap_stderrs, seconds, source} from either kind of pilot record."""
    found: dict[tuple[str, int], dict] = {}
    for path in paths:
        for r in _read(path):
            if r.get("stage") == "pilot" and r.get("pilot_steps") == 10000:
                key = (r["task"], r["seed"])
                pilot = dict(chosen=r["chosen"], gaps=r["gaps"], gap_stderrs=r["gap_stderrs"], seconds=r["seconds"])
            elif r.get("estimator") == "fmmi-select-mc" and r.get("success"):
                key = (r["task_id"], r["seed"])
                pilot = dict(
                    chosen=r["chosen"], gaps=r["loss_gaps"], gap_stderrs=r["loss_gap_stderrs"], seconds=r["seconds"]
                )
            else:
                continue
            found.setdefault(key, {**pilot, "source": path})
    return found


def _fits(paths: list[str], net: str) -> dict[tuple[str, int], dict]:
    """(task, seed) -> {estimate, stderr, interval, seconds, record, source} of the five-fold fits of one net."""
    found: dict[tuple[str, int], dict] = {}
    for path in paths:
        for r in _read(path):
            if net == "tanh" and r.get("estimator") == "fmmi" and r.get("success"):
                key = (r["task_id"], r["seed"])
            elif net == "silu" and r.get("stage") == "full" and r.get("candidate") == 1:
                key = (r["task"], r["seed"])
            elif net == "silu" and r.get("estimator") == "fmmi-select" and r.get("success") and r.get("chosen") == 1:
                key = (r["task_id"], r["seed"])
            else:
                continue
            low, high = r["interval"]
            stderr = r.get("stderr", (high - low) / 2 / T_975_4)
            fit = dict(estimate=r["estimate"], stderr=stderr, interval=[low, high], seconds=r["seconds"])
            found.setdefault(key, {**fit, "record": r, "source": path})
    return found


def compose(pilot_paths: list[str], tanh_paths: list[str], silu_paths: list[str]) -> tuple[list[dict], list]:
    pilots, tanh, silu = _pilots(pilot_paths), _fits(tanh_paths, "tanh"), _fits(silu_paths, "silu")
    records, missing = [], []
    for key, base in sorted(tanh.items()):  # every (task, seed) the tanh net was fitted on
        r = base["record"]
        columns = r["dim_x"] + r["dim_y"]
        chooses = columns <= SELECT_MAX_COLUMNS
        pilot = pilots.get(key) if chooses else None
        if chooses and pilot is None:
            missing.append((*key, "pilots"))
            continue
        fit = base if not chooses or pilot["chosen"] == 0 else silu.get(key)
        if fit is None:
            missing.append((*key, "SiLU five-fold fit"))
            continue
        keep = ("task_id", "suite", "task_params", "true_mi", "dim_x", "dim_y", "n", "seed", "torch", "machine")
        record = {k: r[k] for k in keep if k in r}
        record.update(
            estimator="fmmi-default",
            estimator_params={"select_max_columns": SELECT_MAX_COLUMNS, "pilot_steps": 10000, "random_state": key[1]},
            estimate=fit["estimate"],
            stderr=fit["stderr"],
            interval=fit["interval"],
            interval_kind="crossfit",
            success=True,
            error=None,
            seconds=fit["seconds"] + (pilot["seconds"] if pilot else 0.0),
            seconds_pilots=pilot["seconds"] if pilot else 0.0,
            seconds_fit=fit["seconds"],
            composed_from={"pilots": pilot and pilot["source"], "fit": fit["source"]},
        )
        if pilot:
            record.update(chosen=pilot["chosen"], loss_gaps=pilot["gaps"], loss_gap_stderrs=pilot["gap_stderrs"])
        records.append(record)
    return records, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="folder for runs.jsonl (overwritten)")
    parser.add_argument("--pilots", nargs="+", required=True, help="records files with the pilots")
    parser.add_argument("--tanh", nargs="+", required=True, help="fmmi bench records with the tanh net's fits")
    parser.add_argument("--silu", nargs="*", default=[], help="records files with the SiLU net's five-fold fits")
    args = parser.parse_args()
    records, missing = compose(args.pilots, args.tanh, args.silu)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "runs.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    chosen = [r.get("chosen") for r in records]
    print(
        f"{len(records)} records into {args.out}/runs.jsonl: {chosen.count(0)} kept tanh, {chosen.count(1)} kept "
        f"SiLU, {chosen.count(None)} above {SELECT_MAX_COLUMNS} columns (tanh alone)"
    )
    if missing:
        print(f"left out, a record missing: {missing}")


if __name__ == "__main__":
    main()
