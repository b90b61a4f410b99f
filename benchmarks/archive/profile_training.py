"""Where one training of the default net spends its time: a cProfile of one ``fmmi-mc`` estimate.

    python benchmarks/archive/profile_training.py [--task multinormal-dense-5-5-0.5] [--steps 10000] [--top 16] [--loop]

``task.sample(10000, 0)``, then ``FMMI(interval="monte_carlo", steps=STEPS,
random_state=0).fit_estimate`` under `cProfile` (the profiler adds its own
overhead, a few percent). Prints the estimate, the wall time and the
functions with the most time of their own (PyTorch's C++ calls show as
their Python entry points: ``run_backward`` is the backward pass,
``linear`` the three layers, ``_fused_adamw_`` or ``_single_tensor_adam``
the optimiser), then the optimiser step's total. ``--loop`` puts back
PyTorch's default AdamW (``fmmi.training.adamw(..., fused=False)``; on
CPUs a loop over the tensors, fmmi's before the fused kernel).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import time

import torch

import fmmi
import fmmi.training
from fmmi.benchmark import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="multinormal-dense-5-5-0.5")
    parser.add_argument("--steps", type=int, default=fmmi.FMMI().steps)
    parser.add_argument("--top", type=int, default=16)
    parser.add_argument("--loop", action="store_true", help="PyTorch's default AdamW instead of the fused kernel")
    args = parser.parse_args()
    if args.loop:
        fmmi.training.adamw = functools.partial(fmmi.training.adamw, fused=False)
    x, y = get_task(args.task).sample(10000, 0)
    estimator = fmmi.FMMI(interval="monte_carlo", steps=args.steps, random_state=0)
    profile = cProfile.Profile()
    start = time.perf_counter()
    result = profile.runcall(estimator.fit_estimate, x, y)
    seconds = time.perf_counter() - start
    print(f"{args.task}: {result}; {seconds:.1f} s under the profiler, {torch.get_num_threads()} threads, "
          f"bfloat16 training: {estimator.mixed_precision_}, optimiser: {'loop' if args.loop else 'fused'}")  # fmt: skip
    stats = pstats.Stats(profile)
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue().split("\n\n", 1)[-1].strip())
    step = [v[3] for k, v in stats.stats.items() if k[2] == "step" and k[0].endswith(("adamw.py", "adam.py"))]
    print(f"optimiser step, in all: {max(step, default=float('nan')):.1f} s")


if __name__ == "__main__":
    main()
