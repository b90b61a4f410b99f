"""A screen: do samples of the trained flow tell an underfit net from a good one?

For each task, one `fmmi.FMMI` training (``interval="monte_carlo"``) on N rows; then, on M fresh rows
of the same task in the flow's own coordinates, the flow is integrated from re-paired rows (the
product of marginals) to t = 1 and its samples are compared with the fresh joint rows by the
nearest-neighbour two-sample statistic (Schilling's: the share of each point's k nearest neighbours
in the pooled rows that come from its own sample, 1/2 when the two samples are alike). The share of
the dependence the flow missed is ``(S(flow samples, joint) - ½) / (S(product, joint) - ½)``: 0 when
its samples are the joint, 1 when they are still the product of marginals; a scale-free measure,
unlike a kernel's (a median-bandwidth MMD could not tell waves' joint from its product). A screen for an underfit signal, not a
result about the default.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import Records, parser, seeds, setup  # noqa: E402

import fmmi  # noqa: E402
from fmmi.benchmark import get_task  # noqa: E402
from fmmi.sample_check import same_sample_share  # noqa: E402
from fmmi.solver import rk4_trajectory  # noqa: E402

TASKS = (
    "1v1-normal-0.75,multinormal-dense-5-5-0.5,multinormal-dense-25-25-0.5,student-identity-2-2-1,"
    "student-identity-5-5-2,spiral-normal_cdf-multinormal-sparse-3-3-2-2.0,1v1-additive-0.75,"
    "half_cube-multinormal-sparse-25-25-2-2.0,1v1-AI,2v1-waves-12-5.0-3.0,mixtures-sign-5v5,"
    "mixtures-clusters4-5v5,2v1-galaxy-0.5-3.0,1v1-X-0.9"
)


def missed_share(estimator: fmmi.FMMI, x, y, n_steps: int, seed: int) -> dict:
    """Flow samples from half of the fresh rows against the other half's joint (see the module's docstring)."""
    arrays = estimator._preprocess(estimator.preprocessing_[0], (x, y))
    term = estimator.flows_[0][1]
    xs, ys = (t.double() for t in term.tensors(list(arrays)))
    generator = torch.Generator().manual_seed(seed)
    half = xs.shape[0] // 2
    product = torch.cat([xs[:half], ys[:half][torch.randperm(half, generator=generator)]], dim=1)
    joint = torch.cat([xs[half:], ys[half:]], dim=1)
    velocity = term.velocity.double()
    # Equal steps in s = -log(1 - t) up to t = 1 - 1e-4, where the Gaussian base's rates grow.
    with torch.no_grad():
        samples = rk4_trajectory(_in_log_time(velocity), product, n_steps)[-1]
    flow, start = same_sample_share(samples, joint), same_sample_share(product, joint)
    # The same on each sample's own normal scores (its copula): MI lives there, the marginals do not matter.
    scores = [normal_scores(a) for a in (samples, joint, product)]
    flow_c, start_c = same_sample_share(scores[0], scores[1]), same_sample_share(scores[2], scores[1])
    return {
        "share_flow": flow,
        "share_product": start,
        "missed": (flow - 0.5) / (start - 0.5),
        "copula_share_flow": flow_c,
        "copula_share_product": start_c,
        "copula_missed": (flow_c - 0.5) / (start_c - 0.5),
        "samples": {"product": product, "flow": samples, "joint": joint},
    }


def normal_scores(a: torch.Tensor) -> torch.Tensor:
    """Each column replaced by the standard normal quantiles of its ranks."""
    ranks = a.argsort(0).argsort(0).double()
    return torch.special.ndtri((ranks + 0.5) / a.shape[0])


def _in_log_time(velocity, s_max: float = 9.21):
    """The velocity as a function of u in [0, 1] with t = 1 - exp(-u s_max) (dz/du = v dt/du)."""

    def v(z, u, context=None):
        t = 1 - torch.exp(-u * s_max)
        return velocity(z, t, context) * (s_max * (1 - t))[:, None]

    return v


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--n", type=int, default=5000, help="training rows per task (default 5000)")
    arguments.add_argument("--m", type=int, default=4000, help="fresh rows for the comparison (default 4000)")
    arguments.add_argument("--ode-steps", type=int, default=100, help="RK4 steps (default 100)")
    arguments.add_argument("--tasks", default=TASKS, help="comma-separated task ids")
    arguments.add_argument("--samples", help="folder for each task's product, flow and joint samples (optional)")
    args = arguments.parse_args()
    setup(args)
    records = Records(args.out)
    for seed in seeds(args):
        for task_id in args.tasks.split(","):
            task = get_task(task_id)
            x, y = task.sample(args.n, seed=seed)
            fresh_x, fresh_y = task.sample(args.m, seed=seed + 1000)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator = fmmi.FMMI(interval="monte_carlo", random_state=seed)
                result = estimator.fit_estimate(x, y)
            fit_seconds = time.perf_counter() - start
            start = time.perf_counter()
            check = missed_share(estimator, fresh_x, fresh_y, args.ode_steps, seed)
            stopping = estimator.stopping_[0][0]
            if args.samples:  # the three samples, for other statistics later
                os.makedirs(args.samples, exist_ok=True)
                torch.save(check["samples"], os.path.join(args.samples, f"{task_id}_seed{seed}.pt"))
            del check["samples"]
            records.write(
                {
                    "task_id": task_id,
                    "n": args.n,
                    "m": args.m,
                    "seed": seed,
                    "true_mi": task.mutual_information,
                    "estimate": result.value,
                    "kept_step": None if stopping is None else stopping.kept_step,
                    **check,
                    "fit_seconds": fit_seconds,
                    "check_seconds": time.perf_counter() - start,
                }
            )
            print(
                f"{task_id}: {result.value:.3f} (true {task.mutual_information:.3f}) missed {check['missed']:.3f} "
                f"(same-sample shares {check['share_flow']:.3f} / {check['share_product']:.3f}), copula missed "
                f"{check['copula_missed']:.3f} ({check['copula_share_flow']:.3f} / {check['copula_share_product']:.3f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
