"""When the default's pilots keep the Gaussian base, what do their nets read at their lowest record?

Where the kept pilot's net is not clearly better than its Gaussian base on the held-out half, the
default reads the base alone (`fmmi.AutoFMMI`); the base reads the MI of a Gaussian copula, and the
interval over the folds' bases carries its sampling error, not that bias. This probe replays, on the
samples of recorded runs of the default, its two pilots (the tanh and the SiLU net, one training on half
of the rows each) and records, for each pilot that stayed at its base, its estimate with its net read at
its lowest validation record where that is not the start (`fmmi.estimators.selection.Pilot.lowest`, a
fit the held-out rows could not tell from the base), beside the recorded run's truth, estimate and interval. The recorded runs
predate the widening of the interval to hold that reading (`fmmi.estimators.selection.widened`), so
``--table`` shows the coverage without it and with it.

Records written before the library read the lowest record itself (their ``lowest_readings`` came from a
second training of each pilot with ``stopping_margin=0``: the same training, kept at its lowest record)
hold a reading for every pilot; newer ones only for the pilots that stayed at their base (null otherwise).

    python benchmarks/budget/base_only.py --out FILE --coverage COVERAGE_JSON [--reps 0,1] [--threads 1]
    python benchmarks/budget/base_only.py --out FILE --bench BENCH_FOLDER --n 1000 [--seeds 0] [--tasks T1,T2]
    python benchmarks/budget/base_only.py --out FILE --table [--pooled LABEL]

``--coverage`` replays a ``benchmarks/archive/coverage.py --preset default`` output (crossfit runs; its
samples: ``dist.sample(n, random_state=10_000 + rep)``, seed ``rep``), ``--bench`` the ``fmmi-default``
records of a bench folder (``task.sample(n, seed)``, seed ``seed``). ``--table`` prints, per source,
how often the recorded interval contains the truth, and how often it would if, where the kept pilot
stayed at its base, it were widened to reach each pilot's lowest-record reading and to hold their 95%
intervals, as the default now does, with the mean widths.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "archive"))

from coverage import distributions  # noqa: E402
from harness import Records, parser, seeds, setup  # noqa: E402

from fmmi.benchmark import get_task  # noqa: E402
from fmmi.benchmark.runner import load_records  # noqa: E402
from fmmi.config import CANDIDATES, MIOptions  # noqa: E402
from fmmi.estimators.selection import fit_pilots, keep  # noqa: E402


def replay(x: np.ndarray, y: np.ndarray, seed: int) -> dict:
    """The default's pilots on (x, y) with ``seed``: which is kept, and each base-only pilot's lowest reading."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pilots = fit_pilots(x, y, CANDIDATES, MIOptions.steps, random_state=seed)
    kept, _, _ = keep([p.losses for p in pilots])
    return {
        "kept": kept,
        "base_only": bool(pilots[kept].base_only),
        "pilot_readings": [p.result.value for p in pilots],
        "lowest_readings": [None if p.lowest is None else p.lowest.value for p in pilots],
        "lowest_stderrs": [None if p.lowest is None else p.lowest.stderr for p in pilots],
        "lowest_intervals": [None if p.lowest is None else list(p.lowest.interval) for p in pilots],
        "seconds": time.perf_counter() - start,
    }


def from_coverage(path: str, reps: list[int] | None) -> list[tuple[str, dict, np.ndarray, np.ndarray, int]]:
    """(source, recorded run, x, y, seed) for each crossfit run of a coverage output (of ``reps``, if given)."""
    record = json.load(open(path))
    dists = distributions()
    out = []
    for run in record["runs"]:
        if run["interval_kind"] != "crossfit" or (reps is not None and run["rep"] not in reps):
            continue
        x, y = dists[run["distribution"]].sample(record["n"], random_state=10_000 + run["rep"])
        out.append((run["distribution"], {**run, "n": record["n"]}, x, y, run["rep"]))
    return out


def from_bench(folder: str, n: int, wanted_seeds: list[int], tasks: list[str] | None):
    """(source, recorded run, x, y, seed) for each ``fmmi-default`` record of a bench folder."""
    out = []
    for run in load_records(folder):
        if run["estimator"] != "fmmi-default" or run["n"] != n or run["seed"] not in wanted_seeds:
            continue
        if tasks and run["task_id"] not in tasks:
            continue
        x, y = get_task(run["task_id"]).sample(n, run["seed"])
        out.append((run["task_id"], {**run, "value": run["estimate"]}, x, y, run["seed"]))
    return out


def widening(row: dict) -> list[tuple[float, float]]:
    """The (reading, stderr) of each pilot whose interval the default holds in this run's: where the kept pilot
    stayed at its base, every pilot with a lower record than its start, read at that record.

    Records hold a null reading for a pilot with no such record (or one that learned), and older ones the
    pilot's own reading (the same number: nothing to widen to)."""
    if not row["base_only"]:
        return []
    pairs = zip(row["lowest_readings"], row["lowest_stderrs"], row["pilot_readings"])
    return [(reading, stderr) for reading, stderr, own in pairs if reading is not None and reading != own]


def table(rows: list[dict], pooled: str | None = None) -> str:
    """Per source: runs, runs whose kept pilot stayed at its base, runs the default widens (`widening`), and
    the intervals containing the truth as recorded, widened to reach the lowest-record readings, and widened
    to hold their 95% Monte-Carlo intervals; the mean widths of the three. ``pooled``: one line of that name
    for every row (for a bench folder's tasks)."""
    lines = [
        "| source | runs | base kept | widened | covered | to the readings | to their intervals | widths |",
        "|---|---|---|---|---|---|---|---|",
    ]
    sources = {}
    for row in rows:
        sources.setdefault(pooled or row["source"], []).append(row)
    for source, group in sources.items():
        counts, widths = [0, 0, 0], [[], [], []]
        for row in group:
            low, high = row["interval"]
            bounds = [(low, high), (low, high), (low, high)]
            for reading, stderr in widening(row):
                half = 1.96 * stderr
                bounds[1] = (min(bounds[1][0], reading), max(bounds[1][1], reading))
                bounds[2] = (min(bounds[2][0], reading - half), max(bounds[2][1], reading + half))
            for i, (lo, hi) in enumerate(bounds):
                counts[i] += lo <= row["true_mi"] <= hi
                widths[i].append(hi - lo)
        kept_base = sum(row["base_only"] for row in group)
        wide = sum(bool(widening(row)) for row in group)
        width = " / ".join(f"{np.mean(w):.3f}" for w in widths)
        cells = " | ".join(str(c) for c in counts)
        lines.append(f"| {source} | {len(group)} | {kept_base} | {wide} | {cells} | {width} |")
    return "\n".join(lines)


def main() -> None:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--coverage", help="a coverage.py output (JSON) to replay")
    args_parser.add_argument("--bench", help="a bench folder whose fmmi-default records to replay")
    args_parser.add_argument("--reps", help="with --coverage: comma-separated repetitions (default: all)")
    args_parser.add_argument("--n", type=int, default=1000, help="with --bench: the records' row count")
    args_parser.add_argument("--tasks", help="with --bench: comma-separated task ids (default: all)")
    args_parser.add_argument("--table", action="store_true", help="print the table of --out and stop")
    args_parser.add_argument("--pooled", help="with --table: one line of this name for every record")
    args = args_parser.parse_args()
    if args.table:
        print(table([json.loads(line) for line in open(args.out)], args.pooled))
        return
    setup(args)
    if args.coverage:
        items = from_coverage(args.coverage, [int(r) for r in args.reps.split(",")] if args.reps else None)
    elif args.bench:
        items = from_bench(args.bench, args.n, seeds(args), args.tasks.split(",") if args.tasks else None)
    else:
        raise SystemExit("give --coverage FILE or --bench FOLDER (or --table)")
    done = set()
    if os.path.exists(args.out):
        done = {(r["source"], r["seed"], r["n"]) for r in map(json.loads, open(args.out))}
    records = Records(args.out)
    for source, run, x, y, seed in items:
        if (source, seed, len(x)) in done:
            continue
        row = {
            "source": source,
            "seed": seed,
            "n": len(x),
            "true_mi": run["true_mi"],
            "estimate": run["value"],
            "interval": run["interval"],
            **replay(x, y, seed),
        }
        records.write(row)
        print(
            f"{source} seed {seed}: truth {row['true_mi']:.3f}, default {row['estimate']:.3f} "
            f"[{row['interval'][0]:.3f}, {row['interval'][1]:.3f}], kept {row['kept']} base {row['base_only']}, "
            f"lowest {row['lowest_readings']} ({row['seconds']:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
