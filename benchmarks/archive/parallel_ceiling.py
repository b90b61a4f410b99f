"""How much faster can 2 processes train than 1 on this machine, with no communication at all?

    python benchmarks/archive/parallel_ceiling.py --procs 2 --dim 200 --reps 3

The ceiling against which to read the DDP speed-up of issue 6: each
repetition first times one single-threaded training process alone (the
default net, flow-matching steps at batch 512, `benchmarks/archive/throughput.py`'s
``measure``), then ``--procs`` such processes at once, started together at a
barrier, each on its own data and net, with no gradient exchange. Their
summed rows per second over the lone process's is the most that data
parallelism of single-threaded ranks can give here: what is lost below
``--procs``× is lost to the shared hardware (memory bandwidth, caches, clock),
not to torch.distributed. One JSON line per repetition.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
from pathlib import Path


def worker(dim: int, steps: int, batch: int, barrier, queue) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(Path(__file__).parent))
    import throughput

    throughput.measure(dim, torch.device("cpu"), 10, batch, 256)  # import and allocation warm-up
    barrier.wait()
    queue.put(throughput.measure(dim, torch.device("cpu"), steps, batch, 256)["train_rows_per_s"])


def run(procs: int, dim: int, steps: int, batch: int) -> list[float]:
    context = mp.get_context("spawn")
    barrier = context.Barrier(procs)
    queue = context.Queue()
    workers = [context.Process(target=worker, args=(dim, steps, batch, barrier, queue)) for _ in range(procs)]
    for process in workers:
        process.start()
    rates = [queue.get() for _ in workers]
    for process in workers:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a worker exited with code {process.exitcode}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--dim", type=int, default=200)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    for rep in range(args.reps):
        (alone,) = run(1, args.dim, args.steps, args.batch)
        together = run(args.procs, args.dim, args.steps, args.batch)
        record = {
            "rep": rep,
            "dim": args.dim,
            "batch_per_process": args.batch,
            "steps": args.steps,
            "cpus": os.cpu_count(),
            "alone_rows_per_s": alone,
            "together_rows_per_s": together,
            "ceiling_speedup": sum(together) / alone,
        }
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
