"""Does a trained flow read more MI on the rows it was trained on than on new rows?

    python benchmarks/archive/train_vs_heldout.py TASK VARIANT STEPS OUT.jsonl

Draws ``task.sample(10000, 0)``, fits `FMMI` (``variant``, ``steps``, other
options default, ``random_state=0``, one thread) on the first 5,000 rows and
reads the estimate on those rows and on the other 5,000. One JSON line per
call, appended to OUT. A gap between the two is overfitting: the divergence
of a net that has memorised its training pairs is too negative near them.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from fmmi import FMMI
from fmmi.benchmark import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task")
    parser.add_argument("variant", choices=["joint", "conditional"])
    parser.add_argument("steps", type=int)
    parser.add_argument("out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = get_task(args.task)
    x, y = task.sample(10_000, 0)
    start = time.perf_counter()
    est = FMMI(variant=args.variant, steps=args.steps, random_state=0, device="cpu").fit(x[:5000], y[:5000])
    record = {
        "task": args.task,
        "variant": args.variant,
        "steps": args.steps,
        "truth": task.mutual_information,
        "on_train": est.estimate(x[:5000], y[:5000]).value,
        "held_out": est.estimate(x[5000:], y[5000:]).value,
        "s": time.perf_counter() - start,
    }
    print(json.dumps(record))
    with open(args.out, "a") as handle:
        handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
