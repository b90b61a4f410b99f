"""Where do 2 DDP ranks on the CPU lose time against 2 independent processes? (issue 6)

    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/archive/ddp_overhead.py

`benchmarks/archive/parallel_ceiling.py` shows that two independent single-threaded
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
  `fmmi.training` does (bucketed all-reduces overlapped with the backward pass);
* ``ddp_base``: the same with a Gaussian base under the net (`ResidualVelocity`,
  the default's model), as `fmmi.training` wraps it now (``broadcast_buffers=False``);
* ``ddp_base_broadcast``: the same with DDP's default ``broadcast_buffers=True``,
  which sends the base's float64 maps from rank 0 before every forward pass
  (how fmmi wrapped it before 2026-11-30);
* ``ddp_view``: ``ddp`` with ``gradient_as_bucket_view=True`` (the gradients
  live in DDP's buckets, which saves copying them in and out every step);
* ``ddp_fp16``: ``ddp`` with PyTorch's ``fp16_compress_hook`` (the buckets
  are sent as float16, half the bytes, and cast back after the exchange;
  its bfloat16 twin refuses gloo in torch 2.13);
* ``ddp_view_fp16``: both;
* ``ddp_bf16``: ``ddp`` with ``benchmarks/archive/ddp_variants.py``'s bfloat16 hook,
  the same halving in bfloat16 (float32's range), which works on gloo.

Milliseconds per call, the median of ``--reps`` after 10 warm-up calls.
Then the whole training loop of `fmmi.training` (`benchmarks/archive/throughput.py`'s
``measure``, ``--steps`` steps), on both ranks at once: ``fmmi_local`` with
the process group hidden from fmmi (two independent trainings of ``--batch``
rows per step), ``fmmi_ddp`` as fmmi runs under torchrun (one training,
``--batch`` rows per rank per step). One JSON line from rank 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

from fmmi import distributed
from fmmi.gaussian_base import GaussianBase, ResidualVelocity
from fmmi.nn import VelocityMLP
from fmmi.paths import get_path

sys.path.insert(0, str(Path(__file__).parent))
import throughput  # noqa: E402  (the measurement of benchmarks/archive/throughput.py)
from ddp_variants import bf16_all_reduce  # noqa: E402


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
    parser.add_argument("--steps", type=int, default=200, help="steps of the whole-loop measurements")
    args = parser.parse_args()
    distributed.init_from_environment("cpu")
    if not distributed.is_distributed():
        raise SystemExit("run under torchrun with 2 processes")
    generator = torch.Generator().manual_seed(distributed.rank())
    z = torch.randn(args.batch, 2 * args.dim, generator=generator)
    t = torch.rand(args.batch, generator=generator)
    goal = torch.randn(args.batch, 2 * args.dim, generator=generator)
    # The base from the same covariances on every rank, as from the same training rows.
    common = torch.Generator().manual_seed(0)
    mixing = torch.randn(2 * args.dim, 2 * args.dim, generator=common, dtype=torch.float64) / (2 * args.dim) ** 0.5
    covariances = torch.eye(2 * args.dim), torch.eye(2 * args.dim) + mixing @ mixing.T

    def variant(wrap: str, base: bool = False, view: bool = False, fp16: bool = False, bf16: bool = False):
        """A fresh net (each DDP wrapper hooks its own parameters), wrapped as ``wrap``, and one step of it."""
        net = VelocityMLP(2 * args.dim, generator=torch.Generator().manual_seed(0))
        model = ResidualVelocity(net, GaussianBase(*covariances, get_path("trigonometric"))) if base else net
        if wrap == "ddp":
            model = torch.nn.parallel.DistributedDataParallel(
                model, gradient_as_bucket_view=view, **distributed.no_buffer_sync()
            )
            if fp16:
                model.register_comm_hook(None, default_hooks.fp16_compress_hook)
            if bf16:
                model.register_comm_hook(None, bf16_all_reduce)
        elif wrap == "ddp_broadcast":
            model = torch.nn.parallel.DistributedDataParallel(model)
        parameters = list(net.parameters())
        optimizer = torch.optim.AdamW(parameters, lr=1e-4)

        def step() -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                prediction = model(z, t, None)
            loss = (prediction.float() - goal).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if wrap == "manual":
                dist.all_reduce(torch.cat([p.grad.reshape(-1) for p in parameters]))
            optimizer.step()

        return step, sum(p.numel() for p in parameters)

    local, n_parameters = variant("local")
    flat = torch.zeros(n_parameters)
    record = {
        "ranks": distributed.world_size(),
        "threads_per_rank": torch.get_num_threads(),
        "dim": args.dim,
        "batch_per_rank": args.batch,
        "parameters": n_parameters,
        "allreduce_ms": timed(lambda: dist.all_reduce(flat), args.reps),
        "local_step_ms": timed(local, args.reps),
        "manual_step_ms": timed(variant("manual")[0], args.reps),
        "ddp_step_ms": timed(variant("ddp")[0], args.reps),
        "ddp_base_step_ms": timed(variant("ddp", base=True)[0], args.reps),
        "ddp_base_broadcast_step_ms": timed(variant("ddp_broadcast", base=True)[0], args.reps),
        "ddp_view_step_ms": timed(variant("ddp", view=True)[0], args.reps),
        "ddp_fp16_step_ms": timed(variant("ddp", fp16=True)[0], args.reps),
        "ddp_view_fp16_step_ms": timed(variant("ddp", view=True, fp16=True)[0], args.reps),
        "ddp_bf16_step_ms": timed(variant("ddp", bf16=True)[0], args.reps),
    }
    cpu = torch.device("cpu")
    hidden = distributed.is_distributed
    distributed.is_distributed = lambda: False  # fmmi sees no process group: independent trainings
    dist.barrier()
    local_loop = throughput.measure(args.dim, cpu, args.steps, args.batch, 256)["train_ms_per_step"]
    distributed.is_distributed = hidden
    dist.barrier()
    ddp_loop = throughput.measure(args.dim, cpu, args.steps, args.batch * distributed.world_size(), 256)
    record.update(fmmi_local_step_ms=local_loop, fmmi_ddp_step_ms=ddp_loop["train_ms_per_step"])
    if distributed.is_main_process():
        print(json.dumps(record), flush=True)
    distributed.shutdown()


if __name__ == "__main__":
    main()
