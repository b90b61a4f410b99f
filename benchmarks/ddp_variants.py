"""Training throughput of DDP variants on the CPU at d = 200 (issue 6: the 2-rank speed-up).

    OMP_NUM_THREADS=1 python benchmarks/ddp_variants.py --batch 512                   # one rank
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/ddp_variants.py --batch 512
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/ddp_variants.py --batch 1024

``--batch`` is the global batch (split over the ranks, as `fmmi.training`
does). Variants of the `DistributedDataParallel` wrapper that
`fmmi.training` makes (`fmmi.distributed.data_parallel`), patched in for
the measurement only:

* ``base``: float32 gradient exchange, as fmmi wrapped nets until 2026-11-30;
* ``view``: ``gradient_as_bucket_view=True`` (no copy of the gradients into
  the communication buckets);
* ``bf16``: gradients averaged in bfloat16 (`fmmi.distributed.bfloat16_exchange`:
  half the bytes; PyTorch's ``bf16_compress_hook`` asks for NCCL), as fmmi
  now does under mixed precision (the default where bfloat16 is fast);
* ``view+bf16``: both.

Each variant is measured ``--reps`` times, alternating, with ``--steps``
steps after a 10-step warm-up (`benchmarks/throughput.py`'s ``measure``).
One JSON line per measurement on rank 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from fmmi import distributed

sys.path.insert(0, str(Path(__file__).parent))
import throughput  # noqa: E402  (the measurement of benchmarks/throughput.py)

WRAPPER = torch.nn.parallel.DistributedDataParallel


def wrapper(view: bool, bf16: bool):
    """A stand-in for `fmmi.distributed.data_parallel` that builds the variant."""

    def make(module, **ignored):
        ddp = WRAPPER(module, gradient_as_bucket_view=view, **distributed.no_buffer_sync())
        if bf16:
            ddp.register_comm_hook(None, distributed.bfloat16_exchange)
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
            distributed.data_parallel = wrapper(*VARIANTS[name])
            record = throughput.measure(args.dim, torch.device("cpu"), args.steps, args.batch, 256)
            if distributed.is_main_process():
                print(json.dumps({"variant": name, "rep": rep, "global_batch": args.batch, **record}), flush=True)
    distributed.shutdown()


if __name__ == "__main__":
    main()
