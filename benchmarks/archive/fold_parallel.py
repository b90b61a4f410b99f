"""Wall time of one cross-fitted estimate over torch.distributed ranks: folds dealt out vs DDP (issue 6).

    OMP_NUM_THREADS=1 python benchmarks/archive/fold_parallel.py                      # one process
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/archive/fold_parallel.py --parallel folds
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/archive/fold_parallel.py --parallel rows

The default estimator (`FMMI`, K = 5 folds, default net, mixed precision as
the default) on a correlated Gaussian with ``--dim`` coordinates in X and in Y
(0.5 nat per pair), ``--steps`` training steps per net so that it runs in
minutes. Under torchrun, ``--parallel folds`` gives each rank whole folds
(rank 0 three, rank 1 two), ``rows`` trains every net with DDP over both
ranks. Reports the wall time of ``fit_estimate`` and the training rows per
second it implies (K × steps × batch / seconds, estimation included, so a
lower bound on the training rate). One JSON line from rank 0.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

import fmmi
from fmmi import distributed
from fmmi.distributions import CorrelatedGaussian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=200)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--parallel", default="auto", choices=["auto", "folds", "rows"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    distributed.init_from_environment("cpu")
    task = CorrelatedGaussian.paired(args.dim, 0.5 * args.dim)
    x, y = task.sample(args.rows, random_state=args.seed)
    estimator = fmmi.FMMI(steps=args.steps, parallel=args.parallel, device="cpu", random_state=args.seed)
    distributed.barrier()
    start = time.perf_counter()
    result = estimator.fit_estimate(x, y)
    seconds = time.perf_counter() - start
    if distributed.is_main_process():
        dealt = distributed.deal_folds(estimator.n_folds, args.parallel)
        record = {
            "ranks": distributed.world_size(),
            "threads_per_rank": torch.get_num_threads(),
            "parallel": args.parallel,
            "folds_dealt": dealt,
            "dim_x": args.dim,
            "dim_y": args.dim,
            "rows": args.rows,
            "steps": args.steps,
            "n_folds": estimator.n_folds,
            "mixed_precision": estimator.mixed_precision_,
            "seconds": seconds,
            "train_rows_per_s_lower_bound": estimator.n_folds * args.steps * estimator.batch_size / seconds,
            "estimate": result.value,
            "stderr": result.stderr,
            "true_mi": task.mutual_information,
            "torch": torch.__version__,
            "cpus": os.cpu_count(),
        }
        print(json.dumps(record), flush=True)
    distributed.shutdown()


if __name__ == "__main__":
    main()
