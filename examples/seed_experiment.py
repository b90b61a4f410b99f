"""The seed experiment: jFMMI on a bivariate Gaussian with a true MI of 0.8304 nats.

The seed article's settings (30,000 samples, a 512-unit tanh net, 5,000 steps, the linear path,
50,000 Monte-Carlo samples with one uniform time each), as ``fmmi demo`` runs them. The figure is the
running estimate against the number of Monte-Carlo samples, with its 95% band and the truth.

    python examples/seed_experiment.py --out docs/gallery
"""

from __future__ import annotations

from pathlib import Path

from _gallery import command_line

from fmmi.demo import DemoConfig, run_demo


def main(out: Path, quick: bool = False) -> Path:
    config = DemoConfig.quick(progress=False) if quick else DemoConfig(progress=False)
    folder = out / "seed_experiment"
    run_demo(config, folder)
    return folder / "convergence.png"


if __name__ == "__main__":
    command_line(main, __doc__)
