"""Where does the high-MI ceiling come from? Two cheap checks on one correlated pair.

    python benchmarks/archive/highmi_ceiling.py            # about 2 minutes on 2 cores

1. Quadrature: the exact flow-matching velocity of the Gaussian (no training)
   through the estimator's time integral, Gauss–Legendre with 32, 128, 512
   nodes, at 4, 6 and 8 nats.
2. Training: the default net, one training (``interval="monte_carlo"``),
   without rank Gaussianisation, at 6 and 8 nats (with it, the highmi sweep
   gave 3.87 and 3.88).
"""

from __future__ import annotations

import time

import torch

from fmmi import FMMI
from fmmi.coupling import joint_endpoints
from fmmi.distributions import CorrelatedGaussian
from fmmi.distributions.gaussian import GaussianVelocity
from fmmi.integrate import divergence_integrals
from fmmi.paths import get_path


def main() -> None:
    path = get_path("trigonometric")
    for mi in (4.0, 6.0, 8.0):
        dist = CorrelatedGaussian.from_mi(mi)
        x, y = (torch.as_tensor(a) for a in dist.sample(4000, random_state=0))
        velocity = GaussianVelocity.for_mi(dist.cov, 1, path="trigonometric")
        for n_time in (32, 128, 512):
            values = divergence_integrals(
                velocity,
                joint_endpoints(x, y),
                4000,
                path=path,
                generator=torch.Generator().manual_seed(0),
                n_mc=4000,
                n_time=n_time,
            )
            print(f"exact velocity, true {mi:g} nats, {n_time} nodes: {-values.mean():.3f}", flush=True)
    for mi in (6.0, 8.0):
        x, y = CorrelatedGaussian.from_mi(mi).sample(10_000, random_state=0)
        start = time.perf_counter()
        result = FMMI(interval="monte_carlo", gaussianize=False, random_state=0, device="cpu").fit_estimate(x, y)
        print(
            f"trained default net, no Gaussianisation, true {mi:g}: {result.value:.3f} "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
