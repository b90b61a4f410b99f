"""Training and estimation throughput of the default velocity net (512 × 2, tanh) or of another width.

    python benchmarks/archive/throughput.py                       # d = 2, 20, 200 on the default device
    python benchmarks/archive/throughput.py --dims 200 --device cpu
    python benchmarks/archive/throughput.py --dims 5 --hidden 128 --activation silu
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/archive/throughput.py --dims 200

d is the dimension of X and of Y (the flow moves 2d coordinates). Training
throughput counts rows per second through flow-matching steps at batch 512
(under torchrun: the whole step, all ranks together); estimation throughput
counts (row, time node) pairs per second through the exact divergence.
Training runs as the default does: under bfloat16 autocast where the device
has bfloat16 units (``mixed_precision="auto"``), in float32 elsewhere; the
record says which. (Records made before 2026-11-30 trained in float32 on
every device.) A JSON line per d goes to stdout (rank 0 only).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from fmmi import distributed
from fmmi._checks import resolve_mixed_precision
from fmmi.coupling import joint_endpoints
from fmmi.distributions import CorrelatedGaussian
from fmmi.integrate import divergence_integrals
from fmmi.nn import VelocityMLP
from fmmi.paths import get_path
from fmmi.training import train_flow_matching


def measure(
    dim: int, device: torch.device, steps: int, batch: int, units: int, hidden: int = 512, activation: str = "tanh"
) -> dict:
    x, y = CorrelatedGaussian.paired(dim, 0.5 * dim).sample(20_000, random_state=0)
    x, y = (torch.as_tensor(a, dtype=torch.float32, device=device) for a in (x, y))
    generator = torch.Generator().manual_seed(0)
    net = VelocityMLP(2 * dim, hidden=hidden, activation=activation, generator=generator).to(device)
    endpoints = joint_endpoints(x, y)
    path = get_path("trigonometric")
    mixed_precision = resolve_mixed_precision("auto", device, torch.float32)
    options = dict(path=path, generator=generator, batch_size=batch, mixed_precision=mixed_precision)
    train_flow_matching(net, endpoints, x.shape[0], steps=10, **options)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    train_flow_matching(net, endpoints, x.shape[0], steps=steps, **options)
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_seconds = time.perf_counter() - start
    n_time = 32
    start = time.perf_counter()
    divergence_integrals(net, endpoints, x.shape[0], path=path, generator=generator, n_mc=units, n_time=n_time)
    if device.type == "cuda":
        torch.cuda.synchronize()
    estimate_seconds = time.perf_counter() - start
    return {
        "dim_x": dim,
        "dim_y": dim,
        "hidden": hidden,
        "activation": activation,
        "device": str(device),
        "ranks": distributed.world_size(),
        "threads_per_rank": torch.get_num_threads(),
        "mixed_precision": mixed_precision,
        "train_rows_per_s": steps * batch / train_seconds,
        "train_ms_per_step": 1000 * train_seconds / steps,
        "estimate_pairs_per_s": units * n_time / estimate_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="2,20,200")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--units", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=512, help="width of the two hidden layers (default 512)")
    parser.add_argument("--activation", default="tanh", help="tanh (the default) or silu")
    args = parser.parse_args()
    distributed.init_from_environment(args.device)
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    for dim in (int(d) for d in args.dims.split(",")):
        record = measure(dim, device, args.steps, args.batch, args.units, args.hidden, args.activation)
        if distributed.is_main_process():
            print(json.dumps({**record, "torch": torch.__version__, "cpus": os.cpu_count()}), flush=True)
    distributed.shutdown()


if __name__ == "__main__":
    main()
