import os

import pytest
import torch

# Two threads match the CI machine and keep runs repeatable across machines.
torch.set_num_threads(min(2, os.cpu_count() or 1))
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def gaussian_1d():
    """Bivariate Gaussian with MI 0.5 nats and 3000 samples."""
    from fmmi.distributions import CorrelatedGaussian

    dist = CorrelatedGaussian.from_mi(0.5)
    x, y = dist.sample(3000, random_state=11)
    return dist, x, y


# Small but real settings for tests that train: seconds, not minutes.
FAST = dict(hidden=128, steps=600, batch_size=256, lr=3e-3, n_time=16)
