"""Where do 2 DDP ranks on the CPU lose time against 2 independent processes? (issue 6)

    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/ddp_overhead.py

`benchmarks/parallel_ceiling.py` shows that two independent single-threaded
trainers run at about twice the rate of one on this machine, so what DDP
loses is lost to communication, not to the hardware. This script times, on
each of 2 ranks with the default net at d = 200 (X and Y each) and
``--batch`` rows per rank, bfloat16 autocast as the default:

* ``allreduce``: one all-reduce of a float32 tensor the size of the net's
  gradients, with nothing else running (the bare cost of the exchange);
* ``local``: a training step with no communication at all;
* ``manual``: the step, then one all-reduce of all gradients flattened into
  one tensor (no overlap with the backward pass);
* ``ddp``: the step with the net wrapped in `DistributedDataParallel`, as
  `fmmi.training` does (bucketed all-reduces overlapped with the backward pass).

Milliseconds per call, the median of ``--reps`` after 10 warm-up calls;
one JSON line from rank 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.distributed as dist

from fmmi import distributed
from fmmi.nn import VelocityMLP


def timed(step, reps: int) -> float:
    for _ in range(10):
        step()
    times = []
    for _ in range(reps):
        dist.barrier()
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=200)
    parser.add_argument("--batch", type=int, default=512, help="rows per rank")
    parser.add_argument("--reps", type=int, default=60)
    args = parser.parse_args()
    distributed.init_from_environment("cpu")
    if not distributed.is_distributed():
        raise SystemExit("run under torchrun with 2 processes")
    generator = torch.Generator().manual_seed(distributed.rank())
    net = VelocityMLP(2 * args.dim, generator=generator)
    ddp = torch.nn.parallel.DistributedDataParallel(net)
    parameters = list(net.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=1e-4)
    z = torch.randn(args.batch, 2 * args.dim, generator=generator)
    t = torch.rand(args.batch, generator=generator)
    goal = torch.randn(args.batch, 2 * args.dim, generator=generator)
    flat = torch.zeros(sum(p.numel() for p in parameters))

    def step(model, exchange: bool = False) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            prediction = model(z, t, None)
        loss = (prediction.float() - goal).square().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if exchange:
            grads = torch.cat([p.grad.reshape(-1) for p in parameters])
            dist.all_reduce(grads)
        optimizer.step()

    record = {
        "ranks": distributed.world_size(),
        "threads_per_rank": torch.get_num_threads(),
        "dim": args.dim,
        "batch_per_rank": args.batch,
        "parameters": flat.numel(),
        "allreduce_ms": timed(lambda: dist.all_reduce(flat), args.reps),
        "local_step_ms": timed(lambda: step(net), args.reps),
        "manual_step_ms": timed(lambda: step(net, exchange=True), args.reps),
        "ddp_step_ms": timed(lambda: step(ddp), args.reps),
    }
    if distributed.is_main_process():
        print(json.dumps(record), flush=True)
    distributed.shutdown()


if __name__ == "__main__":
    main()
