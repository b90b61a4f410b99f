"""The ``fmmi`` command: ``fmmi demo``, ``fmmi estimate FILE`` and ``fmmi entropy FILE``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence

from .estimators.fmmi import SELECT_MAX_COLUMNS

__all__ = ["main"]


def _int_at_least(minimum: int):
    """An argparse type: an integer no smaller than ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} must be at least {minimum}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars only on a terminal: redrawn with carriage returns, they would flood a log file."""
    return not args.no_progress and sys.stderr.isatty()


def _parser() -> argparse.ArgumentParser:
    from . import __version__

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
    demo.add_argument("--steps", type=_positive_int, help="training steps (default 5000; 200 with --quick)")
    demo.add_argument("--samples", type=_positive_int, help="joint samples (default 30000; 4000 with --quick)")
    demo.add_argument("--mc-samples", type=_positive_int, help="Monte-Carlo samples (default 50000; 5000 with --quick)")
    demo.add_argument("--out", default="fmmi-demo", help="output folder (default: ./fmmi-demo)")
    demo.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    demo.add_argument("--device", default="auto", help="'auto', 'cpu', 'cuda', ... (default auto)")
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
    estimate.add_argument("file", help="a .npy, .npz or .csv file with one row per sample")
    estimate.add_argument("--x", help="columns of X (default: column 0 of a two-column table)")
    estimate.add_argument("--y", help="columns of Y (default: column 1 of a two-column table)")
    estimate.add_argument("--key", help=".npz: the array to take columns from")
    estimate.add_argument("--x-key", help=".npz: the array holding X")
    estimate.add_argument("--y-key", help=".npz: the array holding Y")
    estimate.add_argument("--z", help="columns of Z: estimate the conditional MI I(X;Y|Z) instead")
    estimate.add_argument(
        "--stream",
        metavar="Y_FILE",
        help="FILE holds X and Y_FILE holds Y (.npy, paired by row): read rows from disk as needed, "
        "for data larger than memory (one split, Monte-Carlo interval; see fmmi.streaming)",
    )
    estimate.add_argument(
        "--variant", default="joint", choices=["joint", "conditional", "doe"], help="MI estimator (default joint)"
    )
    estimate.add_argument("--reverse", action="store_true", help="flow from the joint to the product of marginals")
    estimate.add_argument("--swap", action="store_true", help="conditional variant: flow in x given y")
    choice = estimate.add_mutually_exclusive_group()
    choice.add_argument(
        "--select",
        action="store_true",
        help=f"choose between the tanh and the SiLU net even with more than {SELECT_MAX_COLUMNS} columns in all "
        "(by default the choice is made up to that many, see fmmi.estimate_mi)",
    )
    choice.add_argument(
        "--no-select",
        action="store_true",
        help="fit the tanh net (or --activation's) alone, without the two pilots that choose the net",
    )
    estimate.add_argument(
        "--pilot-steps",
        type=_positive_int,
        help="training steps of each net's pilot, on which the net is chosen (default: --steps)",
    )
    _add_estimator_flags(estimate)

    entropy = commands.add_parser(
        "entropy",
        help="differential entropy of columns of a .npy, .npz or .csv file",
        description="Estimate the differential entropy h(X) in nats of the columns chosen by --x (default: all).",
    )
    entropy.add_argument("file", help="a .npy, .npz or .csv file with one row per sample")
    entropy.add_argument("--x", help="columns (default: all)")
    entropy.add_argument("--key", help=".npz: the array to read")
    _add_estimator_flags(entropy)

    bench = commands.add_parser(
        "bench",
        help="run estimators over benchmark tasks with known MI (resumable)",
        description="Run estimators over tasks and seeds; one JSON record per run in OUT/runs.jsonl. "
        "Rerunning the same command skips the runs already recorded.",
    )
    bench.add_argument("--suite", help="a suite: seed, highmi, highdim, bmi")
    bench.add_argument("--tasks", help="comma-separated task ids (instead of, or besides, --suite)")
    bench.add_argument(
        "--estimators",
        default="fmmi-default",
        help=(
            "comma-separated: fmmi-default (what fmmi.estimate_mi does by default; the default), fmmi (the tanh "
            "net alone), fmmi-mc, fmmi-select, fmmi-select-pilot, fmmi-select-mc, ksg, cca, infonce, nwj, mine, minde"
        ),
    )
    bench.add_argument("--n", type=_positive_int, default=10_000, help="samples per run (default 10000)")
    bench.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    bench.add_argument("--out", required=True, help="sweep folder")
    bench.add_argument("--jobs", type=_positive_int, default=1, help="parallel worker processes (default 1)")
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


def _bench(args: argparse.Namespace) -> int:
    from .benchmark import list_tasks, run_benchmark

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
        progress=_progress(args),
    )
    failed = sum(not r["success"] for r in new)
    print(f"{len(new)} new runs ({failed} failed) recorded in {args.out}/runs.jsonl")
    return 0


def _report(args: argparse.Namespace) -> int:
    from .benchmark.report import summary, write_report

    if len(args.folder) > 1 and not args.out:
        raise ValueError("with several sweep folders, say where the report goes with --out")
    path = write_report(args.folder[0] if len(args.folder) == 1 else args.folder, out=args.out)
    text = path.read_text()
    if not args.full:
        text = summary(text) + f"\n\nWhole report (per seed, per task, every run): {path}"
    print(text)
    return 0


# --mixed-precision choices -> the estimators' mixed_precision option.
MIXED_PRECISION = {"auto": "auto", "on": True, "off": False}


def _add_estimator_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=_positive_int, default=10000, help="training steps per net (default 10000)")
    parser.add_argument("--hidden", type=_positive_int, default=512, help="hidden width (default 512)")
    parser.add_argument("--depth", type=_positive_int, default=2, help="hidden layers (default 2)")
    parser.add_argument(
        "--activation",
        metavar="NAME",
        help="hidden units: tanh, silu, gelu, ... (fmmi.nn.ACTIVATIONS); without it, estimate chooses tanh or silu "
        "(see --select) and the other commands use tanh",
    )
    parser.add_argument(
        "--path", default="trigonometric", choices=["trigonometric", "linear"], help="interpolation path"
    )
    parser.add_argument(
        "--divergence", default="exact", choices=["exact", "hutchinson"], help="divergence (default exact)"
    )
    parser.add_argument(
        "--interval",
        default="crossfit",
        choices=["crossfit", "monte_carlo"],
        help="crossfit: K nets, covers data and training variability (default); monte_carlo: one net, cheap, narrow",
    )
    parser.add_argument("--folds", type=_positive_int, default=5, help="K for the crossfit interval (default 5)")
    parser.add_argument("--test-size", type=float, default=0.5, help="held-out fraction for monte_carlo (default 0.5)")
    parser.add_argument("--seed", type=_non_negative_int, default=None, help="random seed for a repeatable run")
    parser.add_argument("--device", default="auto", help="'auto', 'cpu', 'cuda', ... (default auto)")
    parser.add_argument(
        "--mixed-precision",
        default="auto",
        choices=list(MIXED_PRECISION),
        help="train under bfloat16 autocast: auto (where the device has bf16 units; default), on, off",
    )
    parser.add_argument(
        "--parallel",
        default="auto",
        choices=["auto", "folds", "rows"],
        help="under torchrun: folds (each rank trains whole folds), rows (DDP: every net over all ranks), "
        "auto (folds on CPUs or when the ranks divide the folds; default)",
    )
    parser.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="write training checkpoints to DIR; the same command resumes a killed run from them",
    )
    parser.add_argument(
        "--dequantize",
        action="store_true",
        help="spread tied values (data on a grid) over their gaps before estimating",
    )
    parser.add_argument("--bits", action="store_true", help="report in bits instead of nats")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a line")
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the training progress bar (shown only when stderr is a terminal)",
    )


def _estimator_options(args: argparse.Namespace) -> dict:
    return dict(
        steps=args.steps,
        hidden=args.hidden,
        depth=args.depth,
        activation=args.activation or "tanh",
        path=args.path,
        divergence=args.divergence,
        interval=args.interval,
        n_folds=args.folds,
        test_size=args.test_size,
        random_state=args.seed,
        checkpoint_dir=args.checkpoint,
        dequantize=args.dequantize,
        device=args.device,
        mixed_precision=MIXED_PRECISION[args.mixed_precision],
        parallel=args.parallel,
        progress=_progress(args) and not args.json and os.environ.get("RANK", "0") == "0",
    )


def _print_result(args: argparse.Namespace, result, what: str, dims: dict, selection=None, seconds=None) -> None:
    from .distributed import is_main_process

    if not is_main_process():
        return  # under torchrun every rank holds the same result; rank 0 reports it
    if args.bits:
        result = result.to("bits")
    if args.json:
        record = {"file": args.file, "quantity": what, **dims, **result.as_dict()}
        if selection is not None:
            record["selection"] = {**_selection_record(selection, args.bits), "seconds": seconds}
        print(json.dumps(record, default=str))
        return
    low, high = result.interval
    shape = ", ".join(f"{k}={v}" for k, v in dims.items())
    print(
        f"{what} = {result.value:.4f} ± {result.stderr:.4f} {result.unit} "
        f"(95% {result.interval_kind} interval [{low:.4f}, {high:.4f}]; {result.method}; {shape}, "
        f"n_eval={result.n_eval}, folds={result.n_folds}, {result.seconds:.1f} s)"
    )
    if selection is not None:
        print(f"{_selection_line(selection)}; {seconds:.1f} s in all")


def _describe(candidate: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in {"activation": "tanh", **candidate}.items())  # FMMI's net: tanh


def _selection_line(selection) -> str:
    """One line on what `select` kept and why, against the first (reference) candidate."""
    on = f"pilots of {selection.pilot_steps} steps" if selection.pilot_steps else "the full fits"
    reference = _describe(selection.candidates[0])
    if selection.chosen == 0:
        others = "; ".join(
            f"{_describe(c)}: {gap:+.5f} ± {stderr:.5f}"
            for c, gap, stderr in zip(selection.candidates[1:], selection.gaps[1:], selection.gap_stderrs[1:])
        )
        return f"select: kept {reference}; no other net's held-out loss was clearly lower on {on} ({others})"
    i = selection.chosen
    return (
        f"select: kept {_describe(selection.candidates[i])}: its held-out flow-matching loss is "
        f"{-selection.gaps[i]:.5f} ± {selection.gap_stderrs[i]:.5f} below {reference}'s on {on}"
    )


def _selection_record(selection, bits: bool) -> dict:
    def value(result):
        return None if result is None else (result.to("bits") if bits else result).value

    return {
        "chosen": selection.chosen,
        "candidates": list(selection.candidates),
        "estimates": [value(r) for r in selection.results],
        "loss_gaps": list(selection.gaps),
        "loss_gap_stderrs": list(selection.gap_stderrs),
        "pilot_steps": selection.pilot_steps,
        "pilot_estimates": None if selection.pilot_results is None else [value(r) for r in selection.pilot_results],
    }


def _demo(args: argparse.Namespace) -> int:
    from .demo import DemoConfig, run_demo

    overrides = {
        name: value
        for name, value in (("steps", args.steps), ("samples", args.samples), ("mc_samples", args.mc_samples))
        if value is not None
    }
    common = dict(seed=args.seed, device=args.device, progress=_progress(args))
    config = DemoConfig.quick(**overrides, **common) if args.quick else DemoConfig(**overrides, **common)
    print(
        f"fmmi demo: bivariate Gaussian, {config.samples} samples, {config.steps} steps, "
        f"{config.mc_samples} Monte-Carlo samples -> {args.out}/",
        flush=True,
    )
    run_demo(config, args.out)
    return 0


def _load_xy(args: argparse.Namespace):
    """X, Y and, with ``--z``, Z (else None) from the command line's file and column flags."""
    from .io import load_table

    if args.x_key or args.y_key:
        if not (args.x_key and args.y_key):
            raise ValueError("--x-key and --y-key go together")
        if args.key:
            raise ValueError("--key cannot be combined with --x-key/--y-key")
        if args.z is not None:
            raise ValueError("--z takes columns of one table; it cannot be combined with --x-key/--y-key")
        x_table, y_table = load_table(args.file, key=args.x_key), load_table(args.file, key=args.y_key)
        x_columns = _columns(x_table, args.x, "--x")
        y_columns = _columns(y_table, args.y, "--y")
        if args.x_key == args.y_key:
            _check_disjoint(x_table, {"--x": x_columns, "--y": y_columns})
        return x_table.data[:, x_columns], y_table.data[:, y_columns], None
    table = load_table(args.file, key=args.key)
    if args.x is None and args.y is None:
        if table.n_columns != 2:
            problem = "one column; X and Y need two" if table.n_columns == 1 else f"{table.n_columns} columns"
            raise ValueError(f"{args.file} has {problem}; choose X and Y with --x and --y")
        picked = {"--x": [0], "--y": [1]}
    elif args.x is None or args.y is None:
        raise ValueError("--x and --y go together")
    else:
        picked = {"--x": _columns(table, args.x, "--x"), "--y": _columns(table, args.y, "--y")}
    if args.z is not None:
        picked["--z"] = _columns(table, args.z, "--z")
    _check_disjoint(table, picked)
    z = table.data[:, picked["--z"]] if args.z is not None else None
    return table.data[:, picked["--x"]], table.data[:, picked["--y"]], z


def _columns(table, spec: str | None, flag: str) -> list[int]:
    """The columns ``spec`` picks (all columns without one), each at most once."""
    from collections import Counter

    from .io import column_indices

    if spec is None:
        return list(range(table.n_columns))
    columns = column_indices(table, spec, flag)
    repeated = sorted(c for c, count in Counter(columns).items() if count > 1)
    if repeated:
        which = ", ".join(table.label(c) for c in repeated)
        raise ValueError(f"{flag} {spec!r} picks column {which} more than once")
    return columns


def _check_disjoint(table, picked: dict[str, list[int]]) -> None:
    """Refuse groups of columns that overlap: a continuous column shares infinite information with itself."""
    flags = list(picked)
    for i, first in enumerate(flags):
        for second in flags[i + 1 :]:
            shared = sorted(set(picked[first]) & set(picked[second]))
            if shared:
                which = ", ".join(table.label(c) for c in shared)
                raise ValueError(
                    f"{first} and {second} both pick column {which}; the groups must not overlap "
                    "(a continuous column shares infinite information with itself)"
                )


def _estimate(args: argparse.Namespace) -> int:
    from .distributed import init_from_environment, shutdown

    init_from_environment(args.device)
    code = _estimate_here(args)
    shutdown()  # a clean exit under torchrun
    return code


def _estimate_here(args: argparse.Namespace) -> int:
    from .estimators import FMMI, conditional_mi

    if args.select and (args.stream or args.z is not None or args.activation is not None):
        flag = "--stream" if args.stream else "--z" if args.z is not None else "--activation"
        why = "it chooses the activation itself" if flag == "--activation" else "it fits in-memory FMMI nets only"
        raise ValueError(f"--select cannot be combined with {flag}: {why}")
    no_choice = _no_choice(args)
    if args.pilot_steps is not None and no_choice:
        raise ValueError(f"--pilot-steps goes with the choice of net, which {no_choice} turns off")
    if args.stream:
        return _estimate_streaming(args)
    x, y, z = _load_xy(args)
    options = dict(variant=args.variant, reverse=args.reverse, swap=args.swap, **_estimator_options(args))
    columns = x.shape[1] + y.shape[1]
    if not no_choice and not args.select and columns > SELECT_MAX_COLUMNS and args.pilot_steps is not None:
        raise ValueError(
            f"--pilot-steps: with {columns} columns (more than {SELECT_MAX_COLUMNS}) the tanh net is fitted alone; "
            "add --select to choose the net anyway"
        )
    if not no_choice and (args.select or columns <= SELECT_MAX_COLUMNS):
        from .selection import select

        del options["activation"]
        seed = options.pop("random_state")
        start = time.perf_counter()
        selection = select(x, y, pilot_steps=args.pilot_steps or options["steps"], random_state=seed, **options)
        dims = {"dim_x": x.shape[1], "dim_y": y.shape[1]}
        _print_result(args, selection.result, "I(X;Y)", dims, selection, time.perf_counter() - start)
        return 0
    if z is None:
        result = FMMI(**options).fit_estimate(x, y)
        _print_result(args, result, "I(X;Y)", {"dim_x": x.shape[1], "dim_y": y.shape[1]})
        return 0
    result = conditional_mi(x, y, z, **options)
    _print_result(args, result, "I(X;Y|Z)", {"dim_x": x.shape[1], "dim_y": y.shape[1], "dim_z": z.shape[1]})
    return 0


def _no_choice(args: argparse.Namespace) -> str | None:
    """The flag that turns the default's choice of net off, if any (under torchrun, unless --select: the ranks)."""
    from . import distributed

    for flag, given in (
        ("--no-select", args.no_select),
        ("--activation", args.activation is not None),
        ("--variant", args.variant != "joint" and not args.select),
        ("--z", args.z is not None),
        ("--stream", args.stream is not None),
    ):
        if given:
            return flag
    return "torchrun" if distributed.is_distributed() and not args.select else None


def _estimate_streaming(args: argparse.Namespace) -> int:
    from .streaming import NpyRows, estimate_mi_streaming

    ignored = [
        flag for flag, value in (("--x", args.x), ("--y", args.y), ("--z", args.z), ("--key", args.key)) if value
    ]
    if ignored or args.variant != "joint":
        raise ValueError(f"--stream takes whole files and the joint variant; drop {', '.join(ignored) or '--variant'}")
    if args.activation not in (None, "tanh"):
        raise ValueError("--stream trains the default tanh net; drop --activation")
    x, y = NpyRows(args.file), NpyRows(args.stream)
    result = estimate_mi_streaming(
        x,
        y,
        steps=args.steps,
        hidden=args.hidden,
        depth=args.depth,
        path=args.path,
        test_size=args.test_size,
        mixed_precision=MIXED_PRECISION[args.mixed_precision],
        random_state=args.seed,
        device=args.device,
        progress=_progress(args) and not args.json,
    )
    _print_result(args, result, "I(X;Y)", {"dim_x": x.dim, "dim_y": y.dim})
    return 0


def _entropy(args: argparse.Namespace) -> int:
    from .distributed import init_from_environment, shutdown
    from .estimators import entropy
    from .io import load_table

    init_from_environment(args.device)

    table = load_table(args.file, key=args.key)
    x = table.data[:, _columns(table, args.x, "--x")]
    result = entropy(x, **_estimator_options(args))
    _print_result(args, result, "h(X)", {"dim": x.shape[1]})
    shutdown()  # a clean exit under torchrun
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error, 2 usage)."""
    args = _parser().parse_args(argv)
    handler = {
        "demo": _demo,
        "estimate": _estimate,
        "entropy": _entropy,
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
