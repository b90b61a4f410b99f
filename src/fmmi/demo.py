"""The seed experiment, end to end: `fmmi demo`.

A bivariate Gaussian with true MI 0.8304 nats, 30,000 samples, the seed's
velocity net (512 Tanh units per hidden layer), 5,000 AdamW steps with cosine
annealing, and 50,000 Monte-Carlo samples with one uniform time each, as in
the seed article; then pictures of the training, the convergence of the
estimate and the learned flow beside the exact one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import plotting
from .distributions import CorrelatedGaussian
from .estimators import FMMI
from .io import atomic_write_text
from .result import MIResult
from .solver import rk4_trajectory

__all__ = ["DemoConfig", "run_demo", "seed_experiment", "SEED_MI"]

SEED_MI = 0.8304


@dataclass(frozen=True)
class DemoConfig:
    """Settings of `run_demo`; the defaults are the seed article's."""

    steps: int = 5000
    samples: int = 30_000
    mc_samples: int = 50_000
    hidden: int = 512
    seed: int = 0
    device: str = "auto"
    particles: int = 600
    frames: int = 60
    progress: bool = True

    @classmethod
    def quick(cls, **overrides) -> DemoConfig:
        """A smoke run: small data, a small net and few steps (seconds, not minutes)."""
        settings = dict(steps=200, samples=4000, mc_samples=5000, hidden=64, particles=200, frames=20)
        settings.update(overrides)
        return cls(**settings)


def seed_experiment(config: DemoConfig) -> tuple[CorrelatedGaussian, FMMI, MIResult]:
    """Sample the seed's Gaussian, fit the seed's net on half of it, estimate on the other half."""
    dist = CorrelatedGaussian.from_mi(SEED_MI)
    x, y = dist.sample(config.samples, random_state=config.seed)
    estimator = FMMI(
        path="linear",
        coupling="independent",  # the seed's flow: both sides move
        hidden=config.hidden,
        depth=2,
        activation="tanh",
        steps=config.steps,
        time_sampling="uniform",
        n_mc=config.mc_samples,
        interval="monte_carlo",
        gaussianize=False,
        random_state=config.seed,
        device=config.device,
        progress=config.progress,
    )
    return dist, estimator, estimator.fit_estimate(x, y)


def run_demo(config: DemoConfig, out: str | Path, *, log=print) -> MIResult:
    """Run the seed experiment and write its figures and numbers into ``out``.

    Writes ``loss.png``, ``convergence.png``, ``flow.gif`` and ``result.json``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output folder {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    dist, estimator, result = seed_experiment(config)
    elapsed = time.perf_counter() - start

    log(f"true MI:      {dist.mutual_information:.4f} nats")
    log(f"estimated MI: {result.value:.4f} ± {result.stderr:.4f} nats (Monte-Carlo standard error)")
    log(f"95% interval: [{result.interval[0]:.4f}, {result.interval[1]:.4f}] nats (Monte-Carlo only)")
    log(f"error:        {result.value - dist.mutual_information:+.4f} nats")
    log(
        f"time:         {elapsed:.1f} s for {config.steps} training steps on {result.n_train} rows "
        f"and {result.n_mc} Monte-Carlo samples on {result.n_eval} held-out rows ({estimator.device_})"
    )

    figure_start = time.perf_counter()
    plotting.save_figure(plotting.plot_loss(estimator.history_), out / "loss.png")
    plotting.save_figure(
        plotting.plot_convergence(estimator.contributions_, true_mi=dist.mutual_information), out / "convergence.png"
    )
    _animate(estimator, dist, config, out / "flow.gif")
    record = {
        "true_mi": dist.mutual_information,
        "result": result.as_dict(),
        "config": vars(config) | {"out": str(out)},
        "seconds": {"estimate": elapsed, "figures": time.perf_counter() - figure_start},
    }
    atomic_write_text(out / "result.json", json.dumps(record, indent=2, default=str) + "\n")
    log(f"wrote {out}/: loss.png, convergence.png, flow.gif, result.json")
    return result


def _animate(estimator: FMMI, dist: CorrelatedGaussian, config: DemoConfig, path: Path) -> None:
    """Particles from the product of marginals, carried by the learned and the exact flow."""
    generator = torch.Generator().manual_seed(config.seed + 1)
    x, y = dist.sample(config.particles, random_state=generator)
    y = y[torch.randperm(config.particles, generator=generator).numpy()]  # product of marginals
    scale = np.sqrt(np.diag(dist.cov))
    z_0 = torch.as_tensor(np.concatenate([x, y], axis=1) / scale)
    param = next(estimator.net_.parameters())
    learned = rk4_trajectory(
        lambda z, t, _: estimator.velocity_(z.to(param), t.to(param)).double(), z_0.to(param.device), config.frames
    )
    exact = rk4_trajectory(dist.velocity(estimator.path_, estimator.coupling, standardized=True), z_0, config.frames)
    target_x, target_y = dist.sample(3000, random_state=config.seed + 2)
    plotting.animate_flows(
        {"learned flow (jFMMI)": learned.cpu().numpy(), "exact flow (closed form)": exact.numpy()},
        path,
        background=np.concatenate([target_x, target_y], axis=1) / scale,
    )
