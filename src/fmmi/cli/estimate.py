"""``fmmi estimate`` and ``fmmi entropy``: columns of a file in, an estimate out (nats unless --bits)."""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter

from .. import distributed
from ..config import DIVERGENCES, INTERVALS, SELECT_MAX_COLUMNS, VARIANTS, FlowOptions, MIOptions
from ..estimators import AutoFMMI, conditional_mi, entropy
from ..io import column_indices, load_table
from ..paths import PATHS
from ..streaming import NpyRows, estimate_mi_streaming
from .args import non_negative_int, positive_int, progress

__all__ = ["add_estimator_flags", "add_estimate_flags", "run_entropy", "run_estimate"]

# --mixed-precision choices -> the estimators' mixed_precision option.
MIXED_PRECISION = {"auto": "auto", "on": True, "off": False}
_MIXED_PRECISION_FLAG = {value: flag for flag, value in MIXED_PRECISION.items()}


def add_estimator_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of the flow estimators' options; their defaults are `fmmi.config.FlowOptions`'s."""
    d = FlowOptions
    parser.add_argument(
        "--steps", type=positive_int, default=d.steps, help=f"most training steps per net (default {d.steps})"
    )
    parser.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        default=d.early_stopping,
        help="stop each net when its loss on validation rows kept back from its training rows stops falling, and "
        "keep its best weights (default: on; see fmmi.config.FlowOptions)",
    )
    parser.add_argument(
        "--patience",
        type=positive_int,
        default=d.patience,
        help=f"early stopping: steps without a lower validation loss before a net stops (default {d.patience})",
    )
    parser.add_argument("--hidden", type=positive_int, default=d.hidden, help=f"hidden width (default {d.hidden})")
    parser.add_argument("--depth", type=positive_int, default=d.depth, help=f"hidden layers (default {d.depth})")
    parser.add_argument(
        "--activation",
        metavar="NAME",
        help=f"hidden units: tanh, silu, gelu, ... (fmmi.nn.ACTIVATIONS); without it, estimate chooses the net "
        f"(see --select) and the other commands use {d.activation}",
    )
    parser.add_argument("--path", default=d.path, choices=list(PATHS), help=f"interpolation path (default {d.path})")
    parser.add_argument(
        "--divergence", default=d.divergence, choices=list(DIVERGENCES), help=f"divergence (default {d.divergence})"
    )
    parser.add_argument(
        "--interval",
        default=d.interval,
        choices=list(INTERVALS),
        help=f"crossfit: K nets, covers data and training variability; monte_carlo: one net, cheap, narrow "
        f"(default {d.interval})",
    )
    parser.add_argument(
        "--folds", type=positive_int, default=d.n_folds, help=f"K for the crossfit interval (default {d.n_folds})"
    )
    parser.add_argument(
        "--test-size",
        type=float,
        default=d.test_size,
        help=f"held-out fraction for monte_carlo (default {d.test_size})",
    )
    parser.add_argument("--seed", type=non_negative_int, default=None, help="random seed for a repeatable run")
    parser.add_argument("--device", default=d.device, help=f"'auto', 'cpu', 'cuda', ... (default {d.device})")
    parser.add_argument(
        "--mixed-precision",
        default=_MIXED_PRECISION_FLAG[d.mixed_precision],
        choices=list(MIXED_PRECISION),
        help="train under bfloat16 autocast: auto (where the device has bf16 units), on, off "
        f"(default {_MIXED_PRECISION_FLAG[d.mixed_precision]})",
    )
    parser.add_argument(
        "--parallel",
        default=d.parallel,
        choices=list(distributed.PARALLEL_MODES),
        help="under torchrun: folds (each rank trains whole folds), rows (DDP: every net over all ranks), "
        f"auto (folds on CPUs or when the ranks divide the folds) (default {d.parallel})",
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


def add_estimate_flags(estimate: argparse.ArgumentParser) -> None:
    """The flags of ``fmmi estimate``: the file and its columns, the variant, the choice of net, the options."""
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
        "--variant",
        default=MIOptions.variant,
        choices=list(VARIANTS),
        help=f"MI estimator (default {MIOptions.variant})",
    )
    estimate.add_argument("--reverse", action="store_true", help="flow from the joint to the product of marginals")
    estimate.add_argument("--swap", action="store_true", help="conditional variant: flow in x given y")
    choice = estimate.add_mutually_exclusive_group()
    choice.add_argument(
        "--select",
        action="store_true",
        help=f"choose between the tanh and the SiLU net even with more than {SELECT_MAX_COLUMNS} columns in all "
        "(by default the choice is made up to that many, see fmmi.AutoFMMI)",
    )
    choice.add_argument(
        "--no-select",
        action="store_true",
        help="fit the tanh net (or --activation's) alone, without the two pilots that choose the net",
    )
    estimate.add_argument(
        "--pilot-steps",
        type=positive_int,
        help="training steps of each pilot: the two that choose the net, or the one net's (default: --steps)",
    )
    add_estimator_flags(estimate)


def _estimator_options(args: argparse.Namespace) -> dict:
    """The estimators' options from the flags of `add_estimator_flags` (``activation`` None unless given)."""
    return dict(
        steps=args.steps,
        early_stopping=args.early_stopping,
        patience=args.patience,
        hidden=args.hidden,
        depth=args.depth,
        activation=args.activation,
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
        progress=progress(args) and not args.json and os.environ.get("RANK", "0") == "0",
    )


def _print_result(args: argparse.Namespace, result, what: str, dims: dict, selection=None) -> None:
    """One line (or one JSON object) for the result; with a choice of net, the kept fit's own line and the choice's.

    With ``selection``, ``result`` is the whole call's (its seconds count the pilots too).
    """
    total = result.seconds
    if selection is not None:
        result = selection.result  # the kept fit, with its own seconds
    if not distributed.is_main_process():
        return  # under torchrun every rank holds the same result; rank 0 reports it
    if args.bits:
        result = result.to("bits")
    if args.json:
        record = {"file": args.file, "quantity": what, **dims, **result.as_dict()}
        if selection is not None:
            record["selection"] = {**_selection_record(selection, args.bits), "seconds": total}
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
        print(f"{_selection_line(selection)}; {total:.1f} s in all")


def _describe(candidate: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in {"activation": MIOptions.activation, **candidate}.items())


def _selection_line(selection) -> str:
    """One line on what `select` kept and why, against the first (reference) candidate."""
    on = f"pilots of {selection.pilot_steps} steps" if selection.pilot_steps else "the full fits"
    reference = _describe(selection.candidates[0])
    if len(selection.candidates) == 1:
        if selection.result.options.get("steps") == 0:
            return f"pilot ({reference}): its net stayed at the Gaussian base; the folds read the base alone"
        return f"pilot ({reference}): its net learned beyond the Gaussian base; the folds train"
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


def _load_xy(args: argparse.Namespace):
    """X, Y and, with ``--z``, Z (else None) from the command line's file and column flags."""
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


def run_estimate(args: argparse.Namespace) -> int:
    """``fmmi estimate``: `fmmi.AutoFMMI` on columns of a file (or the conditional MI, or the streaming fit)."""
    distributed.init_from_environment(args.device)
    code = _estimate_here(args)
    distributed.shutdown()  # a clean exit under torchrun
    return code


def _estimate_here(args: argparse.Namespace) -> int:
    if args.select and (args.stream or args.z is not None or args.activation is not None):
        flag = "--stream" if args.stream else "--z" if args.z is not None else "--activation"
        why = "it chooses the activation itself" if flag == "--activation" else "it fits in-memory FMMI nets only"
        raise ValueError(f"--select cannot be combined with {flag}: {why}")
    no_pilots = _no_pilots(args)
    if args.pilot_steps is not None and no_pilots:
        raise ValueError(f"--pilot-steps goes with the default's pilots, which {no_pilots} turns off")
    if args.stream:
        return _estimate_streaming(args)
    x, y, z = _load_xy(args)
    options = dict(variant=args.variant, reverse=args.reverse, swap=args.swap, **_estimator_options(args))
    if z is not None:
        options["activation"] = args.activation or MIOptions.activation
        result = conditional_mi(x, y, z, **options)
        _print_result(args, result, "I(X;Y|Z)", {"dim_x": x.shape[1], "dim_y": y.shape[1], "dim_z": z.shape[1]})
        return 0
    select = True if args.select else False if args.no_select else "auto"
    estimator = AutoFMMI(**options, select=select, pilot_steps=args.pilot_steps)
    if args.pilot_steps is not None and not estimator.trains_pilots(x.shape[1] + y.shape[1]):
        raise ValueError(
            "--pilot-steps: this fit trains no pilot (the one net's pilot needs the crossfit interval, "
            "early stopping, the Gaussian base and --steps above 0; see fmmi.AutoFMMI)"
        )
    result = estimator.fit_estimate(x, y)
    _print_result(args, result, "I(X;Y)", {"dim_x": x.shape[1], "dim_y": y.shape[1]}, estimator.selection_)
    return 0


def _no_pilots(args: argparse.Namespace) -> str | None:
    """The flag that turns the default's pilots off, if any (under torchrun, unless --select: the ranks)."""
    for flag, given in (
        ("--no-select", args.no_select),
        ("--variant", args.variant != MIOptions.variant and not args.select),
        ("--z", args.z is not None),
        ("--stream", args.stream is not None),
    ):
        if given:
            return flag
    return "torchrun" if distributed.is_distributed() and not args.select else None


def _estimate_streaming(args: argparse.Namespace) -> int:
    ignored = [
        flag for flag, value in (("--x", args.x), ("--y", args.y), ("--z", args.z), ("--key", args.key)) if value
    ]
    if ignored or args.variant != "joint":
        raise ValueError(f"--stream takes whole files and the joint variant; drop {', '.join(ignored) or '--variant'}")
    if args.activation not in (None, FlowOptions.activation):
        raise ValueError(f"--stream trains the default {FlowOptions.activation} net; drop --activation")
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
        progress=progress(args) and not args.json,
    )
    _print_result(args, result, "I(X;Y)", {"dim_x": x.dim, "dim_y": y.dim})
    return 0


def run_entropy(args: argparse.Namespace) -> int:
    """``fmmi entropy``: `fmmi.entropy` of columns of a file."""
    distributed.init_from_environment(args.device)
    table = load_table(args.file, key=args.key)
    x = table.data[:, _columns(table, args.x, "--x")]
    options = _estimator_options(args)
    options["activation"] = args.activation or FlowOptions.activation
    result = entropy(x, **options)
    _print_result(args, result, "h(X)", {"dim": x.shape[1]})
    distributed.shutdown()  # a clean exit under torchrun
    return 0
