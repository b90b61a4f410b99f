"""The seed experiment over several seeds: accuracy, spread and cost of `fmmi demo`'s configuration.

Each seed draws fresh data (30,000 samples of the bivariate Gaussian with
MI 0.8304 nats) and trains a fresh net; the table reports the mean estimate,
the spread across seeds, the mean Monte-Carlo standard error one run reports,
and the seconds per run (fit and estimate; figures not included).

    python benchmarks/archive/seed_experiment.py --out benchmarks/archive/results/seed_experiment.json
    python benchmarks/archive/seed_experiment.py --config trigonometric --out benchmarks/archive/results/seed_experiment_trigonometric.json
    python benchmarks/archive/seed_experiment.py --config default --out benchmarks/archive/results/seed_experiment_default.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

import fmmi
from fmmi.demo import SEED_MI, DemoConfig, seed_experiment
from fmmi.distributions import CorrelatedGaussian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--steps", type=int, default=DemoConfig.steps)
    parser.add_argument(
        "--config",
        choices=["demo", "trigonometric", "default"],
        default="demo",
        help="'demo': the seed's settings as `fmmi demo` runs them (linear path, uniform t, 50,000 MC samples); "
        "'trigonometric': `fmmi.estimate_mi` defaults but one 50/50 split and no rank Gaussianisation "
        "(interval='monte_carlo', gaussianize=False); "
        "'default': `fmmi.estimate_mi` with all its defaults (5-fold cross-fitting: 5 nets)",
    )
    parser.add_argument("--out", default=None, help="write the runs and the summary as JSON here")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = []
    for seed in seeds:
        start = time.perf_counter()
        config = DemoConfig(seed=seed, steps=args.steps, progress=False, device="cpu")
        if args.config == "demo":
            _, _, result = seed_experiment(config)
        else:
            x, y = CorrelatedGaussian.from_mi(SEED_MI).sample(config.samples, random_state=seed)
            options = {"trigonometric": dict(interval="monte_carlo", gaussianize=False), "default": {}}[args.config]
            result = fmmi.estimate_mi(x, y, random_state=seed, device="cpu", steps=args.steps, **options)
        seconds = time.perf_counter() - start
        runs.append(
            {
                "seed": seed,
                "value": result.value,
                "stderr": result.stderr,
                "interval": list(result.interval),
                "interval_kind": result.interval_kind,
                "seconds": seconds,
            }
        )
        print(f"seed {seed}: {result.value:.4f} ± {result.stderr:.4f} nats, {seconds:.1f} s", flush=True)
    values = np.array([r["value"] for r in runs])
    covered = [r["interval"][0] <= SEED_MI <= r["interval"][1] for r in runs]
    summary = {
        "true_mi": SEED_MI,
        "seeds": len(runs),
        "mean": float(values.mean()),
        "error_of_mean": float(values.mean() - SEED_MI),
        "spread_across_seeds": float(values.std(ddof=1)) if len(runs) > 1 else float("nan"),
        "mean_reported_stderr": float(np.mean([r["stderr"] for r in runs])),
        "intervals_covering_truth": f"{sum(covered)}/{len(runs)}",
        "seconds_per_run": float(np.mean([r["seconds"] for r in runs])),
    }
    print()
    print(
        "| true MI | mean over seeds | error of mean | spread across seeds (sd) | mean reported s.e. | 95% intervals covering truth | s per run |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {SEED_MI} | {summary['mean']:.4f} | {summary['error_of_mean']:+.4f} | {summary['spread_across_seeds']:.4f} "
        f"| {summary['mean_reported_stderr']:.4f} | {summary['intervals_covering_truth']} | {summary['seconds_per_run']:.1f} |"
    )
    if args.out:
        record = {
            "benchmark": "seed_experiment",
            "fmmi_version": fmmi.__version__,
            "torch": torch.__version__,
            "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
            "config": args.config,
            "demo_config": vars(DemoConfig(steps=args.steps)),
            "runs": runs,
            "summary": summary,
        }
        with open(args.out, "w") as handle:
            json.dump(record, handle, indent=2)
            handle.write("\n")


if __name__ == "__main__":
    main()
