"""How much can a net gain on the held-out loss over the Gaussian base? Exact, for zero-mean mixtures.

For a mixture of zero-mean Gaussians whose X block and Y block are the same in every component
(BMI v2's sparse Gaussians with inliers, its X task), both marginals are Gaussian, so the product of
marginals is one Gaussian and the flow of the default (independent coupling) has a closed-form
velocity: given the target's component k, ``z_t`` is Gaussian and ``E[dz_t | z_t, k] = A_k(t) z_t``,
and the exact velocity weighs these by the posterior of k given ``z_t``. The Gaussian base is the
exact velocity of the Gaussian with the mixture's covariance. The flow-matching loss of a velocity
exceeds the exact one's by its mean squared distance to it, so

    excess(t) = E_{z_t} |v_base(z_t, t) - v_exact(z_t, t)|² / d

(per coordinate, as `fmmi.FMMI.flow_matching_loss` averages) is the most that any net can lower the
held-out loss below the base's, at each t; its mean over t ~ U[0, 1) is the whole of it. The script
prints it beside the base's MI and the true MI, to compare with the standard errors of the loss gaps
that the default's pilots record.

    python benchmarks/mixture_screen/base_gap.py --tasks mult-sparse-w-inliers-5-5-2-2.0-0.2,1v1-X-0.9
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch

from fmmi.benchmark import get_task
from fmmi.distributions import GaussianMixture
from fmmi.distributions.gaussian import gaussian_mi
from fmmi.paths import get_path

TASKS = (
    "mult-sparse-w-inliers-5-5-2-2.0-0.2",
    "mult-sparse-w-inliers-5-5-2-2.0-0.5",
    "mult-sparse-w-inliers-25-25-2-2.0-0.2",
    "mult-sparse-w-inliers-25-25-2-2.0-0.5",
    "1v1-X-0.9",
)


def check_gaussian_marginals(mixture: GaussianMixture) -> None:
    dim_x = mixture.dim_x
    covariances = mixture.covariances
    same_x = np.allclose(covariances[:, :dim_x, :dim_x], covariances[0, :dim_x, :dim_x])
    same_y = np.allclose(covariances[:, dim_x:, dim_x:], covariances[0, dim_x:, dim_x:])
    if not (np.allclose(mixture.means, 0.0) and same_x and same_y):
        raise ValueError("the closed form needs zero means and the same X and Y blocks in every component")


def excess_at(mixture: GaussianMixture, t: float, n: int, rng: np.random.Generator, path) -> tuple[float, float]:
    """Mean and standard error over ``n`` draws of z_t of |v_base - v_exact|² / d at time t."""
    weights = mixture.weights
    components = list(mixture.covariances)
    dim_x = mixture.dim_x
    pooled = sum(w * c for w, c in zip(weights, components))
    source = pooled.copy()
    source[:dim_x, dim_x:] = source[dim_x:, :dim_x] = 0.0
    time = torch.tensor([t], dtype=torch.float64)
    a, b, da, db = (float(f(time)) for f in (path.alpha, path.beta, path.d_alpha, path.d_beta))

    def linear_map(target):
        cov_t = a * a * source + b * b * target
        return (da * a * source + db * b * target) @ np.linalg.inv(cov_t), cov_t

    base_map, _ = linear_map(pooled)
    maps, covs_t = zip(*(linear_map(c) for c in components))
    labels = rng.choice(len(weights), size=n, p=weights)
    z = np.empty((n, pooled.shape[0]))
    for k, cov_t in enumerate(covs_t):
        rows = labels == k
        z[rows] = rng.multivariate_normal(np.zeros(pooled.shape[0]), cov_t, size=int(rows.sum()))
    log_post = np.stack(
        [
            math.log(w) - 0.5 * np.einsum("ni,ij,nj->n", z, np.linalg.inv(c), z) - 0.5 * np.linalg.slogdet(c)[1]
            for w, c in zip(weights, covs_t)
        ],
        axis=1,
    )
    posterior = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    posterior /= posterior.sum(axis=1, keepdims=True)
    exact = sum(posterior[:, [k]] * (z @ m.T) for k, m in enumerate(maps))
    squared = ((z @ base_map.T - exact) ** 2).mean(axis=1)
    return float(squared.mean()), float(squared.std(ddof=1) / math.sqrt(n))


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task ids (zero-mean mixtures)")
    cli.add_argument("--path", default="trigonometric")
    cli.add_argument("--n-times", type=int, default=200, help="times drawn uniformly on [0, 1)")
    cli.add_argument("--rows", type=int, default=500, help="draws of z_t per time")
    args = cli.parse_args()
    path = get_path(args.path)
    rng = np.random.default_rng(0)
    print("| task | true MI | Gaussian base's MI | excess loss of the base (per coordinate) | at t = 0.5 / 0.7 / 0.9 |")
    print("|---|---|---|---|---|")
    for task_id in args.tasks.split(","):
        task = get_task(task_id)
        mixture = task.distribution
        check_gaussian_marginals(mixture)
        pooled = sum(w * c for w, c in zip(mixture.weights, mixture.covariances))
        draws = [excess_at(mixture, t, args.rows, rng, path)[0] for t in rng.random(args.n_times)]
        mean, stderr = float(np.mean(draws)), float(np.std(draws, ddof=1) / math.sqrt(len(draws)))
        profile = " / ".join(f"{excess_at(mixture, t, 4 * args.rows, rng, path)[0]:.4f}" for t in (0.5, 0.7, 0.9))
        print(
            f"| {task_id} | {task.mutual_information:.3f} | {gaussian_mi(pooled, mixture.dim_x):.3f} "
            f"| {mean:.4f} ± {stderr:.4f} | {profile} |"
        )


if __name__ == "__main__":
    main()
