"""`fmmi.select` with pilots on a benchmark suite: one training per candidate to choose, then the kept net's full fit.

    python benchmarks/archive/pilot_select.py SEEDS OUT_FOLDER [--suite bmi] [--tasks T1,T2] [--pilots-only | --fits-only]
        [--pilot-steps 2000] [--interval crossfit | monte_carlo] [--option KEY=VALUE ...] [--candidates JSON]
    python benchmarks/archive/pilot_select.py --table OUT_FOLDER DEFAULT_RECORDS [MORE_RECORDS ...] [--suite bmi]
        [--seeds 0] [--interval crossfit | monte_carlo] [--every-seed]

Per task of the suite (``--suite``, BMI unless told; ``--tasks`` picks
some) and seed: ``task.sample(10000, seed)``, then the pilots of
`fmmi.select` (`fmmi.estimators.selection.fit_pilots`: the default candidates, tanh
and SiLU, 2,000 steps each unless ``--pilot-steps`` says otherwise,
``random_state=seed``) and `fmmi.estimators.selection.keep`'s choice, one ``"stage":
"pilot"`` line in ``OUT_FOLDER/runs.jsonl`` (with each pilot's own
estimate, ``estimates``, in records made since 2026-12-01, and, since the
second session of that day, ``mixed_precision_used``: whether the pilots
trained in bfloat16, the default's choice on this CPU). Where the pilots
keep SiLU, the full estimate of the SiLU net (``FMMI(activation="silu",
interval=INTERVAL, random_state=seed).fit_estimate``) is run too: with
``--interval crossfit`` (the default) five folds, what `select` then fits,
one ``"stage": "full"`` line; with ``monte_carlo`` one training,
``"stage": "full_mc"``, what ``select(interval="monte_carlo")`` keeps. A
10,000-step pilot is that one training (same seed, split and steps), so
where its record holds ``estimates`` it is not run again. Where the pilots
keep tanh, `select` would fit the default estimator (or, with
``monte_carlo``, the ``fmmi-mc`` one) with the same seed on the same data:
that is the run ``fmmi bench`` already recorded, so it is not run again.
``--option KEY=VALUE`` (repeatable; VALUE read as a Python literal) adds
an `FMMI` option to every net of the run, pilots and full fits alike
(e.g. ``--option hidden=128``), kept in each record as ``options``; use
a fresh OUT_FOLDER per set of options. ``--candidates JSON`` replaces the
two candidates (a JSON list of option dicts, tanh first and SiLU second
for the table's labels, e.g. ``'[{"hidden": 256}, {"activation": "silu",
"hidden": 128}]'``), kept in each record as ``candidates``. For pilots
made with either, ``--table`` ignores DEFAULT_RECORDS (made with the
default nets) and takes the estimates from the folder itself (with
``--interval monte_carlo``, the 10,000-step pilots' own). Finished lines
are skipped; ``--fits-only`` runs only the full fits of pilots already
recorded (beside processes running pilots).

``--table`` puts the choice together: the reference estimate from
DEFAULT_RECORDS (a ``fmmi bench`` records file; ``fmmi`` records, or
``fmmi-mc`` ones with ``--interval monte_carlo``) where tanh was kept, the
SiLU fit where SiLU was kept, from OUT_FOLDER or MORE_RECORDS (the full
fits of another folder of this script, made with other pilots, or, for
crossfit, the ``fmmi-select`` records of ``fmmi bench``, whose SiLU
candidate is the same fit; with ``monte_carlo``, a 10,000-step pilot's own
estimates stand in for either net where no record has one); per task, the
mean over the seeds, the reference's mean, and BMI's solved rule; then,
over the tasks where both are complete (with how many seeds each task's
mean has), the MAE of the seed means, the MAE over the runs (each task's
mean of |estimate - truth| over its seeds, then the mean over tasks: what
``fmmi report`` and the published anchors call MAE) and the solved count
of both, and each seed's MAE and count within BMI's factor over the tasks
recorded on that seed. ``--every-seed`` keeps only the tasks with a pilot
on every seed (those of ``--seeds``, or all recorded). BMI's factor is
undefined at a true MI of 0 (the ``highmi`` suite's first level): those
tasks count in the MAE, not in the solved counts. Where every true MI is
shared by several tasks (``highmi``), the MAE over the runs of each level
follows.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
import warnings

import numpy as np
import torch

import fmmi
from fmmi import FMMI
from fmmi._checks import resolve_mixed_precision
from fmmi.benchmark import get_task, list_tasks
from fmmi.benchmark.report import solved  # BMI's rule; None at a true MI of 0
from fmmi.benchmark.runner import source_commit
from fmmi.benchmark.tasks import SUITES
from fmmi.config import CANDIDATES
from fmmi.estimators.selection import fit_pilots, keep

N = 10000


def _record(out: str, record: dict) -> None:
    record.update(
        threads=torch.get_num_threads(), fmmi_version=fmmi.__version__, fmmi_commit=source_commit(), device="cpu"
    )
    with open(os.path.join(out, "runs.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")


# The record stage of the kept SiLU net's full fit, per interval of that fit.
FULL_STAGE = {"crossfit": "full", "monte_carlo": "full_mc"}


def run(
    seeds: list[int],
    out: str,
    tasks: list[str],
    pilots_only: bool,
    pilot_steps: int,
    interval: str = "crossfit",
    fits_only: bool = False,
    options: dict | None = None,
    candidates: list[dict] | None = None,
) -> None:
    options = dict(options or {})
    given = {"candidates": candidates} if candidates is not None else {}
    candidates = list(candidates) if candidates is not None else list(CANDIDATES)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "runs.jsonl")
    stage = FULL_STAGE[interval]
    done, pilots = set(), {}  # finished (stage, task, seed); each finished pilot record
    if os.path.exists(path):
        for r in _read(path):
            done.add((r["stage"], r["task"], r["seed"]))
            if r["stage"] == "pilot":
                pilots[r["task"], r["seed"]] = r

    def needs_fit(pilot: dict) -> bool:
        fitted = (stage, pilot["task"], pilot["seed"]) in done or _pilot_is_the_fit(pilot, interval)
        return not (pilots_only or pilot["chosen"] == 0 or fitted)

    for task_id in tasks:
        task = get_task(task_id)
        for seed in seeds:
            if (task_id, seed) in pilots and not needs_fit(pilots[task_id, seed]):
                continue  # nothing left to run: no data drawn
            if fits_only and (task_id, seed) not in pilots:
                continue  # another process may be running this pilot
            x, y = task.sample(N, seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if (task_id, seed) not in pilots:
                    start = time.perf_counter()
                    fitted = fit_pilots(x, y, candidates, pilot_steps, random_state=seed, device="cpu", **options)
                    chosen, gaps, stderrs = keep([pilot.losses for pilot in fitted])
                    record = {
                        "stage": "pilot",
                        "task": task_id,
                        "seed": seed,
                        "true_mi": task.mutual_information,
                        "pilot_steps": pilot_steps,
                        **({"options": options} if options else {}),
                        **given,
                        "chosen": chosen,
                        "gaps": gaps,
                        "gap_stderrs": stderrs,
                        "estimates": [pilot.result.value for pilot in fitted],
                        "mixed_precision_used": resolve_mixed_precision("auto", torch.device("cpu"), torch.float32),
                        "seconds": time.perf_counter() - start,
                    }
                    _record(out, record)
                    pilots[task_id, seed] = record
                    print(f"{task_id} seed {seed}: pilots keep {chosen} ({gaps[1] / stderrs[1]:+.1f} s.e.)", flush=True)
                chosen = pilots[task_id, seed]["chosen"]
                if not needs_fit(pilots[task_id, seed]):
                    continue
                start = time.perf_counter()
                estimator = FMMI(**options, **candidates[chosen], interval=interval, random_state=seed, device="cpu")
                result = estimator.fit_estimate(x, y)
                _record(
                    out,
                    {
                        "stage": stage,
                        "task": task_id,
                        "seed": seed,
                        "true_mi": task.mutual_information,
                        "candidate": chosen,
                        **({"options": options} if options else {}),
                        **given,
                        "estimate": float(result),
                        "interval": list(result.interval),
                        "mixed_precision_used": bool(estimator.mixed_precision_),
                        "seconds": time.perf_counter() - start,
                    },
                )
                done.add((stage, task_id, seed))
                print(f"{task_id} seed {seed}: candidate {chosen} reads {float(result):.3f} ({interval})", flush=True)


def _pilot_is_the_fit(pilot: dict, interval: str) -> bool:
    """A pilot is one Monte-Carlo training: with the default's steps it is the kept net's Monte-Carlo fit."""
    return interval == "monte_carlo" and pilot["pilot_steps"] == FMMI().steps and "estimates" in pilot


def _option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` -> (key, value), the value read as a Python literal (a bare word stays a string)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SystemExit(f"--option wants KEY=VALUE, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def _read(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f]


def table(
    out: str,
    default_records: str,
    *more_records: str,
    seeds: list[int] | None = None,
    interval: str = "crossfit",
    every_seed: bool = False,
    suite: str = "bmi",
) -> None:
    records = _read(os.path.join(out, "runs.jsonl"))
    pilots = {
        (r["task"], r["seed"]): r for r in records if r["stage"] == "pilot" and (seeds is None or r["seed"] in seeds)
    }
    silu = {}
    for r in [*records, *(r for path in more_records for r in _read(path))]:
        if r.get("stage") == FULL_STAGE[interval]:
            silu.setdefault((r["task"], r["seed"]), r["estimate"])
        elif interval == "crossfit" and r.get("estimator") == "fmmi-select" and r.get("success"):
            silu.setdefault((r["task_id"], r["seed"]), r["candidate_estimates"][1])
    reference = "fmmi" if interval == "crossfit" else "fmmi-mc"
    default = {
        (r["task_id"], r["seed"]): r["estimate"]
        for r in _read(default_records)
        if r["estimator"] == reference and r.get("success")
    }
    own_fits = {(r["task"], r["seed"]): r["estimate"] for r in records if r["stage"] == FULL_STAGE[interval]}
    for key, pilot in pilots.items():  # a pilot that is the one training stands in where no record has it
        if "options" in pilot or "candidates" in pilot:  # other nets than the records': only this folder's fits
            default.pop(key, None)
            silu.pop(key, None)
            if key in own_fits:
                silu[key] = own_fits[key]
        if _pilot_is_the_fit(pilot, interval):
            default.setdefault(key, pilot["estimates"][0])
            silu.setdefault(key, pilot["estimates"][1])
    recorded, order = {t for t, _ in pilots}, list_tasks(suite)
    if every_seed:  # only the tasks with a pilot on every seed (of --seeds, or recorded)
        wanted = set(seeds) if seeds is not None else {s for _, s in pilots}
        recorded = {t for t in recorded if all((t, s) in pilots for s in wanted)}
        pilots = {key: pilot for key, pilot in pilots.items() if key[0] in recorded}
    tasks = [t for t in order if t in recorded] + sorted(recorded - set(order))  # the suite's order, then any others
    if not tasks:
        raise SystemExit(f"no pilot records to tabulate in {out} (seeds {seeds or 'all'}, every seed: {every_seed})")
    names = ("pilot-select", "default") if interval == "crossfit" else ("select on one training each", "fmmi-mc")
    print(f"| task (true MI) | kept per seed (pilot gap / s.e.) | {names[0]}, mean | {names[1]}, mean |")
    print("|---|---|---|---|")
    errors, n_solved, missing = {"select": [], "default": []}, {"select": 0, "default": 0}, []
    run_errors = {"select": [], "default": []}  # per task: mean over its seeds of |estimate - truth|
    by_level: dict[float, dict[str, list[float]]] = {}  # true MI -> run_errors of its tasks, per name
    per_seed: dict[int, list[tuple[float, float, float]]] = {}  # seed -> (true MI, kept, reference) per task
    n_seeds = []  # of each task in the totals
    for task_id in tasks:
        task_seeds = sorted(s for t, s in pilots if t == task_id)
        picks, kept, base = [], [], []
        for seed in task_seeds:
            pilot = pilots[task_id, seed]
            picks.append(f"{'SiLU' if pilot['chosen'] else 'tanh'} ({pilot['gaps'][1] / pilot['gap_stderrs'][1]:+.1f})")
            value = default.get((task_id, seed)) if pilot["chosen"] == 0 else silu.get((task_id, seed))
            if value is None:
                missing.append((task_id, seed))
            kept.append(value)
            base.append(default.get((task_id, seed)))
            if value is not None and base[-1] is not None:
                per_seed.setdefault(seed, []).append((pilot["true_mi"], value, base[-1]))
        true_mi = pilots[task_id, task_seeds[0]]["true_mi"]
        cells = []
        complete = not any(v is None for v in kept + base)  # the totals compare the same tasks
        if complete:
            n_seeds.append(len(task_seeds))
        for name, values in (("select", kept), ("default", base)):
            if any(v is None for v in values):
                cells.append("missing")
                continue
            mean = float(np.mean(values))
            ok = solved(mean, true_mi)
            if complete:
                errors[name].append(abs(mean - true_mi))
                run_errors[name].append(float(np.mean(np.abs(np.array(values) - true_mi))))
                by_level.setdefault(round(true_mi, 6), {"select": [], "default": []})[name].append(run_errors[name][-1])
                n_solved[name] += bool(ok)
            cells.append(f"{mean:.3f} ({mean - true_mi:+.3f}){' unsolved' if ok is False else ''}")
        print(f"| {task_id} ({true_mi:.3f}) | {', '.join(picks)} | {cells[0]} | {cells[1]} |")
    counts = np.bincount(n_seeds)
    spread = ", ".join(f"{k} with {s} seed{'s' * (s > 1)}" for s, k in enumerate(counts) if k)
    if np.count_nonzero(counts) > 1:
        spread += ": means over unequal numbers of seeds"
    n_zero = len(by_level.get(0.0, {"select": []})["select"])  # tasks at a true MI of 0
    unsolvable = f" of {len(errors['select']) - n_zero} (MI = 0: no factor)" if n_zero else ""
    for name, label in zip(errors, names):
        print(
            f"{label}: MAE {np.mean(errors[name]):.4f} of the seed means, {np.mean(run_errors[name]):.4f} over the "
            f"runs (fmmi report's MAE), over {len(errors[name])} tasks ({spread}), solved {n_solved[name]}{unsolvable}"
        )
    if len(by_level) > 1 and all(len(e["select"]) > 1 for e in by_level.values()):  # levels of several tasks (highmi)
        for level, e in sorted(by_level.items()):
            cells = [f"{label} {np.mean(e[name]):.4f}" for name, label in zip(errors, names)]
            print(f"true MI {level:g}, {len(e['select'])} tasks, MAE over the runs: {'; '.join(cells)}")
    for seed, rows in sorted(per_seed.items()):  # each seed on its own: the same kind of figure for every task
        true, kept_values, base_values = np.array(rows).T
        cells = [
            f"{label} MAE {np.mean(np.abs(v - true)):.4f}, "
            f"within BMI's factor {sum(bool(solved(a, b)) for a, b in zip(v, true))}"
            for label, v in zip(names, (kept_values, base_values))
        ]
        print(f"seed {seed}, {len(rows)} tasks: {'; '.join(cells)}")
    if missing:
        print(f"missing full fits: {missing}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "args", nargs="+", help="SEEDS OUT_FOLDER, or OUT_FOLDER DEFAULT_RECORDS [MORE_RECORDS ...] with --table"
    )
    parser.add_argument("--suite", default="bmi", choices=SUITES, help="the benchmark suite (default bmi)")
    parser.add_argument("--tasks", help="comma-separated task ids (default: every task of the suite)")
    parser.add_argument("--pilots-only", action="store_true", help="run the pilots, not the full SiLU fits")
    parser.add_argument("--pilot-steps", type=int, default=2000, help="training steps of each pilot (default 2000)")
    parser.add_argument(
        "--interval",
        choices=sorted(FULL_STAGE),
        default="crossfit",
        help="the kept SiLU net's full fit: five folds (crossfit, the default's) or one training (monte_carlo)",
    )
    parser.add_argument(
        "--fits-only", action="store_true", help="only the full fits of pilots already recorded (no new pilots)"
    )
    parser.add_argument(
        "--option", action="append", default=[], help="KEY=VALUE: an FMMI option for every net (repeatable)"
    )
    parser.add_argument("--candidates", help="JSON list of candidate option dicts (default: tanh, SiLU)")
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--seeds", help="with --table: only these comma-separated seeds (default: all recorded)")
    parser.add_argument(
        "--every-seed", action="store_true", help="with --table: only the tasks with a pilot on every one of the seeds"
    )
    args = parser.parse_args()
    if args.table:
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
        table(*args.args, seeds=seeds, interval=args.interval, every_seed=args.every_seed, suite=args.suite)
    else:
        seeds, out = args.args
        tasks = args.tasks.split(",") if args.tasks else list_tasks(args.suite)
        run(
            [int(s) for s in seeds.split(",")],
            out,
            tasks,
            args.pilots_only,
            args.pilot_steps,
            interval=args.interval,
            fits_only=args.fits_only,
            options=dict(_option(text) for text in args.option),
            candidates=json.loads(args.candidates) if args.candidates else None,
        )


if __name__ == "__main__":
    main()
