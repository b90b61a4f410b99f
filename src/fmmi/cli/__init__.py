"""The ``fmmi`` command: ``fmmi demo``, ``fmmi estimate FILE`` and ``fmmi entropy FILE``."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from .. import __version__
from ..benchmark import list_tasks, run_benchmark
from ..benchmark.report import summary, write_report
from ..demo import DemoConfig, run_demo
from .args import non_negative_int, positive_int, progress
from .estimate import add_estimate_flags, add_estimator_flags, run_entropy, run_estimate

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fmmi", description="Mutual information estimation by flow matching (FMMI). MI is in nats."
    )
    parser.add_argument("--version", action="version", version=f"fmmi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="reproduce the seed experiment (bivariate Gaussian, true MI 0.8304 nats) with figures",
        description="Train jFMMI on the seed article's bivariate Gaussian and write figures into a folder.",
    )
    demo.add_argument("--steps", type=positive_int, help="training steps (default 5000; 200 with --quick)")
    demo.add_argument("--samples", type=positive_int, help="joint samples (default 30000; 4000 with --quick)")
    demo.add_argument("--mc-samples", type=positive_int, help="Monte-Carlo samples (default 50000; 5000 with --quick)")
    demo.add_argument("--out", default="fmmi-demo", help="output folder (default: ./fmmi-demo)")
    demo.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    demo.add_argument(
        "--device", default=DemoConfig.device, help=f"'auto', 'cpu', 'cuda', ... (default {DemoConfig.device})"
    )
    demo.add_argument("--quick", action="store_true", help="a smoke run: small data, small net, few steps")
    demo.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the training progress bar (shown only when stderr is a terminal)",
    )

    estimate = commands.add_parser(
        "estimate",
        help="MI between two groups of columns of a .npy, .npz or .csv file",
        description=(
            "Estimate I(X;Y) in nats between the columns chosen by --x and --y. Columns are given as "
            "'0,2,5', '0:3' (end excluded) or, for a CSV file with a header, by name. For a .npz archive, "
            "--x-key/--y-key take X and Y from two arrays, or --key picks one array to select columns from."
        ),
    )
    add_estimate_flags(estimate)

    entropy = commands.add_parser(
        "entropy",
        help="differential entropy of columns of a .npy, .npz or .csv file",
        description="Estimate the differential entropy h(X) in nats of the columns chosen by --x (default: all).",
    )
    entropy.add_argument("file", help="a .npy, .npz or .csv file with one row per sample")
    entropy.add_argument("--x", help="columns (default: all)")
    entropy.add_argument("--key", help=".npz: the array to read")
    add_estimator_flags(entropy)

    bench = commands.add_parser(
        "bench",
        help="run estimators over benchmark tasks with known MI (resumable)",
        description="Run estimators over tasks and seeds; one JSON record per run in OUT/runs.jsonl. "
        "Rerunning the same command skips the runs already recorded.",
    )
    bench.add_argument("--suite", help="a suite: seed, highmi, highdim, bmi, bmi-v2, mixtures")
    bench.add_argument("--tasks", help="comma-separated task ids (instead of, or besides, --suite)")
    bench.add_argument(
        "--estimators",
        default="fmmi-default",
        help=(
            "comma-separated: fmmi-default (what fmmi.estimate_mi does by default; the default), fmmi (the tanh "
            "net alone), fmmi-mc, fmmi-select, fmmi-select-pilot, fmmi-select-mc, ksg, cca, infonce, nwj, mine, minde"
        ),
    )
    bench.add_argument("--n", type=positive_int, default=10_000, help="samples per run (default 10000)")
    bench.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    bench.add_argument("--out", required=True, help="sweep folder")
    bench.add_argument("--jobs", type=positive_int, default=1, help="parallel worker processes (default 1)")
    bench.add_argument("--dask", metavar="ADDRESS", help="run on a Dask distributed cluster (scheduler address)")
    bench.add_argument(
        "--device",
        default="cpu",
        help="where estimators with nets train: cpu (default), cuda, cuda:N or auto; the workers share it",
    )
    bench.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown only when stderr is a terminal)"
    )

    report = commands.add_parser("report", help="summarise a sweep folder into report.md and a plot")
    report.add_argument("folder", nargs="+", help="folders written by fmmi bench (their runs are pooled)")
    report.add_argument("--out", help="where to write the report (default: the only folder given)")
    report.add_argument("--full", action="store_true", help="print the whole report, not only its summary tables")
    return parser


def _demo(args: argparse.Namespace) -> int:
    overrides = {
        name: value
        for name, value in (("steps", args.steps), ("samples", args.samples), ("mc_samples", args.mc_samples))
        if value is not None
    }
    common = dict(seed=args.seed, device=args.device, progress=progress(args))
    config = DemoConfig.quick(**overrides, **common) if args.quick else DemoConfig(**overrides, **common)
    print(
        f"fmmi demo: bivariate Gaussian, {config.samples} samples, {config.steps} steps, "
        f"{config.mc_samples} Monte-Carlo samples -> {args.out}/",
        flush=True,
    )
    run_demo(config, args.out)
    return 0


def _bench(args: argparse.Namespace) -> int:
    task_ids = list_tasks(args.suite) if args.suite else []
    if args.tasks:
        task_ids += [t.strip() for t in args.tasks.split(",") if t.strip() not in task_ids]
    if not task_ids:
        raise ValueError("choose tasks with --suite or --tasks")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise ValueError(f"--seeds {args.seeds!r}: expected comma-separated integers") from None
    new = run_benchmark(
        task_ids,
        [e.strip() for e in args.estimators.split(",")],
        n=args.n,
        seeds=seeds,
        out=args.out,
        jobs=args.jobs,
        dask=args.dask,
        device=args.device,
        progress=progress(args),
    )
    failed = sum(not r["success"] for r in new)
    print(f"{len(new)} new runs ({failed} failed) recorded in {args.out}/runs.jsonl")
    return 0


def _report(args: argparse.Namespace) -> int:
    if len(args.folder) > 1 and not args.out:
        raise ValueError("with several sweep folders, say where the report goes with --out")
    path = write_report(args.folder[0] if len(args.folder) == 1 else args.folder, out=args.out)
    text = path.read_text()
    if not args.full:
        text = summary(text) + f"\n\nWhole report (per seed, per task, every run): {path}"
    print(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error, 2 usage)."""
    args = _parser().parse_args(argv)
    handler = {
        "demo": _demo,
        "estimate": run_estimate,
        "entropy": run_entropy,
        "bench": _bench,
        "report": _report,
    }[args.command]
    # Warnings (discrete data, a recovered training run) read as one line, like errors.
    warnings.formatwarning = lambda message, category, *_: f"fmmi {args.command}: warning: {message}\n"
    try:
        return handler(args)
    except (ValueError, TypeError, OSError, ArithmeticError, ImportError) as error:
        print(f"fmmi {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"fmmi {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
