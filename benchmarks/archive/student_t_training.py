"""Where the tanh net's overshoot on the 20 x 20 Student-t (nu = 2) comes from: training length, rows, time.

    OMP_NUM_THREADS=1 python benchmarks/archive/student_t_training.py OUT.jsonl TASK STEPS[,STEPS...] [n_train=N] [OPTION=VALUE ...]

TASK is ``student-10`` or ``student-20`` (BMI's split Student-t, identity
dispersion, nu = 2, at 10 + 10 or 20 + 20 columns; true MI 0.711 and
1.012 nats), N = 10,000, seed 0. For each number of steps, one `FMMI` net
(the default options, ``random_state=0``, plus any OPTION=VALUE given, read
as Python literals) is trained on the first 5,000 rows (or ``n_train``, drawn on top of the
10,000) and read on them and on the last 5,000: the estimate (nats) and the mean flow-matching loss on the rows it
trained on and on the 5,000 it never saw, and the integrand per node of
the default time grid (32 Gauss-Legendre nodes in ``u = -log(1 - t)``),
i.e. each node's share of the estimate. A net that memorises its training
rows reads higher on them than on new rows, and its held-out loss rises
while its training loss falls. One JSON line per run.
"""

from __future__ import annotations

import ast
import json
import sys
import time

import numpy as np
import torch

from fmmi import FMMI
from fmmi.benchmark.tasks import SplitStudentT
from fmmi.divergence import divergence
from fmmi.integrate import time_nodes

N, SEED, N_TRAIN = 10000, 0, 5000
TASKS = {"student-10": 10, "student-20": 20}


def node_shares(est: FMMI, x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """Each time node's share of the estimate on these rows (nats) and the node's u = -log(1 - t).

    Uses the estimator's private flow object: one re-pairing of all rows, the net's divergence
    (the Gaussian base's integral is exact and not split by node).
    """
    flow = est.flows_[0][1]
    arrays = est._preprocess(est.preprocessing_[0], (x, y))
    draw, n_rows = flow.endpoints(flow.tensors(arrays))
    generator = torch.Generator().manual_seed(1)
    z_0, z_1, context = draw(torch.arange(n_rows), generator)
    t, w = time_nodes("log_grid", 1, est.n_time, generator)
    shares = []
    for k in range(t.shape[1]):
        times = t[0, k].expand(n_rows).to(torch.float64)
        z_t, _ = flow.path.sample(z_0, z_1, times)
        with torch.no_grad():
            div = divergence(flow.net, z_t, times, context)
        shares.append(float(-div.double().mean() * w[k]))
    return shares, (-torch.log1p(-t[0])).tolist()


def main() -> None:
    out, task, steps_list = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")]
    options = {k: ast.literal_eval(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
    n_train = options.pop("n_train", N_TRAIN)
    dist = SplitStudentT(np.eye(2 * TASKS[task]), TASKS[task], 2)
    x, y = dist.sample(N, random_state=SEED)
    if n_train > N_TRAIN:  # more training rows, the held-out half unchanged
        more_x, more_y = dist.sample(n_train - N_TRAIN, random_state=SEED + 1)
        x_train, y_train = np.vstack([x[:N_TRAIN], more_x]), np.vstack([y[:N_TRAIN], more_y])
    else:
        x_train, y_train = x[:n_train], y[:n_train]
    halves = {"train": (x_train, y_train), "held_out": (x[N_TRAIN:], y[N_TRAIN:])}
    for steps in steps_list:
        start = time.perf_counter()
        est = FMMI(steps=steps, random_state=0, device="cpu", **options).fit(*halves["train"])
        record = {
            "task": task,
            "true_mi": float(dist.mutual_information),
            "steps": steps,
            "options": options,
            "n_train": n_train,
            "train_seconds": time.perf_counter() - start,
            "final_training_loss": float(est.history_[-200:].mean()),
        }
        for name, (a, b) in halves.items():
            a, b = a[:N_TRAIN], b[:N_TRAIN]
            result = est.estimate(a, b)
            shares, u = node_shares(est, a, b)
            record[name] = {
                "estimate": result.value,
                "stderr": result.stderr,
                "loss": float(est.flow_matching_loss(a, b).mean()),
                "node_shares": shares,
            }
        record["u"] = u
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(
            f"{task} {options} steps={steps}: held-out {record['held_out']['estimate']:.3f} "
            f"(loss {record['held_out']['loss']:.4f}), train rows {record['train']['estimate']:.3f} "
            f"(loss {record['train']['loss']:.4f}), true {record['true_mi']:.3f}, {record['train_seconds']:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
