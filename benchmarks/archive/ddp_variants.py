"""Training throughput of DDP variants on the CPU at d = 200 (issue 6: the 2-rank speed-up).

    OMP_NUM_THREADS=1 python benchmarks/archive/ddp_variants.py --batch 512                   # one rank
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/archive/ddp_variants.py --batch 512
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/archive/ddp_variants.py --batch 1024

``--batch`` is the global batch (split over the ranks, as `fmmi.training`
does). Variants of the `DistributedDataParallel` wrapper that
`fmmi.training` makes, patched in for the measurement only:

* ``base``: as fmmi builds it;
* ``view``: ``gradient_as_bucket_view=True`` (no copy of the gradients into
  the communication buckets);
* ``bf16``: gradients all-reduced in bfloat16 (half the bytes; a hook
  written here, since PyTorch's ``bf16_compress_hook`` asks for NCCL);
* ``view+bf16``: both.

Each variant is measured ``--reps`` times, alternating, with ``--steps``
steps after a 10-step warm-up (`benchmarks/archive/throughput.py`'s ``measure``).
One JSON line per measurement on rank 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from fmmi import distributed

sys.path.insert(0, str(Path(__file__).parent))
import throughput  # noqa: E402  (the measurement of benchmarks/archive/throughput.py)

WRAPPER = torch.nn.parallel.DistributedDataParallel


def bf16_all_reduce(state, bucket):
    """Average a gradient bucket across ranks in bfloat16, then write it back in float32."""
    buffer = bucket.buffer()
    compressed = buffer.to(torch.bfloat16).div_(dist.get_world_size())
    future = dist.all_reduce(compressed, async_op=True).get_future()

    def decompress(done):
        buffer.copy_(done.value()[0])
        return buffer

    return future.then(decompress)


def wrapper(view: bool, bf16: bool):
    def make(module, **options):
        ddp = WRAPPER(module, gradient_as_bucket_view=view, **options)
        if bf16:
            ddp.register_comm_hook(None, bf16_all_reduce)
        return ddp

    return make


VARIANTS = {"base": (False, False), "view": (True, False), "bf16": (False, True), "view+bf16": (True, True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--dim", type=int, default=200)
    args = parser.parse_args()
    distributed.init_from_environment("cpu")
    names = list(VARIANTS) if distributed.is_distributed() else ["base"]
    for rep in range(args.reps):
        for name in names:
            torch.nn.parallel.DistributedDataParallel = wrapper(*VARIANTS[name])
            record = throughput.measure(args.dim, torch.device("cpu"), args.steps, args.batch, 256)
            if distributed.is_main_process():
                print(json.dumps({"variant": name, "rep": rep, "global_batch": args.batch, **record}), flush=True)
    torch.nn.parallel.DistributedDataParallel = WRAPPER
    distributed.shutdown()


if __name__ == "__main__":
    main()
