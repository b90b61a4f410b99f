"""Do fmmi's 95% intervals cover the true MI? Coverage, width and cost per interval type.

For each distribution with a known MI, each repetition draws fresh data with
its own seed and runs the estimator once per interval type:

* ``crossfit`` (the default): K-fold cross-fitting, t interval over folds;
* ``monte_carlo``: one 50/50 split, the Monte-Carlo standard error of one net.

From the same cross-fitting runs it also reports ``crossfit_z``: the same
centre and standard error with the normal quantile 1.96 instead of
Student's t, to show what the t quantile costs in width and buys in coverage.

It reports, per distribution and interval type: the fraction of intervals
containing the truth, their mean width, the spread (standard deviation) of
the estimates across repetitions, width / spread, the mean error, and the
seconds per estimate.

    python benchmarks/archive/coverage.py --preset small --reps 20 --out benchmarks/archive/results/coverage_small.json
    python benchmarks/archive/coverage.py --preset default --reps 5 --only 0 --out benchmarks/archive/results/coverage_default_gaussian.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

import fmmi
from fmmi.benchmark.tasks import get_task, paired_gaussian
from fmmi.distributions import SplitStudentT, Transformed, half_cube, normal_cdf

PRESETS = {
    # The library's defaults.
    "default": {},
    # A smaller net and fewer steps, so that 20 repetitions x 3 distributions
    # x 6 trainings fit in minutes on 2 CPU cores.
    "small": {"hidden": 128, "steps": 2000, "lr": 2e-3},
}


def distributions() -> dict:
    gaussian = paired_gaussian(2, 1.0)
    return {
        "gaussian 2+2": gaussian,
        "half_cube(x), normal_cdf(y) of gaussian 2+2": Transformed(gaussian, half_cube, normal_cdf),
        "student-t nu=3, 1+1, rho=0.6": SplitStudentT(np.array([[1.0, 0.6], [0.6, 1.0]]), dim_x=1, nu=3),
        # Harder (run with --only 3): dependence only through a shared scale, which fmmi underestimates.
        "student-t nu=2, 3+3, identity (BMI)": SplitStudentT(np.eye(6), dim_x=3, nu=2),
        # Non-Gaussian in a way rank Gaussianisation cannot undo (--only 4): the marginals stay Gaussian,
        # the dependence is wound up by a norm-dependent rotation (BMI's task of the same id).
        "spiral 3+3 (BMI spiral-multinormal-sparse-3-3-2-2.0)": get_task(
            "spiral-multinormal-sparse-3-3-2-2.0"
        ).distribution,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--n", type=int, default=5000, help="samples per repetition")
    parser.add_argument("--only", default=None, help="comma-separated distribution numbers (0-4; default 0, 1, 2)")
    parser.add_argument("--intervals", default="crossfit,monte_carlo", help="comma-separated interval kinds to run")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    chosen = list(distributions().items())
    chosen = [chosen[int(i)] for i in (args.only or "0,1,2").split(",")]
    options = dict(PRESETS[args.preset], device="cpu")
    runs = []
    for name, dist in chosen:
        truth = dist.mutual_information
        for rep in range(args.reps):
            x, y = dist.sample(args.n, random_state=10_000 + rep)
            for interval in args.intervals.split(","):
                start = time.perf_counter()
                result = fmmi.estimate_mi(x, y, random_state=rep, interval=interval, **options)
                seconds = time.perf_counter() - start
                runs.append(
                    {
                        "distribution": name,
                        "true_mi": truth,
                        "rep": rep,
                        "interval_kind": interval,
                        "value": result.value,
                        "stderr": result.stderr,
                        "interval": list(result.interval),
                        "fold_values": list(result.fold_values),
                        "seconds": seconds,
                    }
                )
                print(
                    f"{name} rep {rep} {interval}: {result.value:.4f} [{result.interval[0]:.4f}, "
                    f"{result.interval[1]:.4f}] truth {truth:.4f} ({seconds:.1f} s)",
                    flush=True,
                )
    summary = summarise(runs)
    print()
    print(table(summary))
    if args.out:
        record = {
            "benchmark": "coverage",
            "preset": args.preset,
            "options": options,
            "n": args.n,
            "reps": args.reps,
            "intervals": args.intervals,
            "fmmi_version": fmmi.__version__,
            "torch": torch.__version__,
            "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
            "summary": summary,
            "runs": runs,
        }
        with open(args.out, "w") as handle:
            json.dump(record, handle, indent=2)
            handle.write("\n")


def summarise(runs: list[dict]) -> list[dict]:
    rows = []
    for name in dict.fromkeys(r["distribution"] for r in runs):
        for kind in ("crossfit", "crossfit_z", "monte_carlo"):
            source = "crossfit" if kind == "crossfit_z" else kind
            chosen = [r for r in runs if r["distribution"] == name and r["interval_kind"] == source]
            if not chosen:
                continue
            truth = chosen[0]["true_mi"]
            values = np.array([r["value"] for r in chosen])
            if kind == "crossfit_z":
                stderr = np.array([r["stderr"] for r in chosen])
                low, high = values - 1.96 * stderr, values + 1.96 * stderr
            else:
                low = np.array([r["interval"][0] for r in chosen])
                high = np.array([r["interval"][1] for r in chosen])
            spread = float(values.std(ddof=1))
            width = float(np.mean(high - low))
            rows.append(
                {
                    "distribution": name,
                    "true_mi": truth,
                    "interval": kind,
                    "reps": len(chosen),
                    "coverage": float(np.mean((low <= truth) & (truth <= high))),
                    "mean_width": width,
                    "spread": spread,
                    "width_over_spread": width / spread if spread > 0 else float("nan"),
                    "mean_error": float(values.mean() - truth),
                    "seconds": float(np.mean([r["seconds"] for r in chosen])),
                }
            )
    return rows


def table(summary: list[dict]) -> str:
    lines = [
        "| distribution | true MI | interval | coverage | mean width | spread (sd) | width / spread | mean error | s per estimate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary:
        lines.append(
            f"| {row['distribution']} | {row['true_mi']:.4f} | {row['interval']} | "
            f"{row['coverage']:.0%} ({row['reps']}) | {row['mean_width']:.4f} | {row['spread']:.4f} | "
            f"{row['width_over_spread']:.2f} | {row['mean_error']:+.4f} | {row['seconds']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
