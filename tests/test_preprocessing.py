import numpy as np
import pytest
from scipy import stats

from fmmi.preprocessing import MarginalGaussianizer


def test_training_rows_become_standard_normal():
    data = np.random.default_rng(0).standard_cauchy(size=(5000, 2))
    z = MarginalGaussianizer().fit(data).transform(data)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert stats.kstest(z[:, 0], "norm").pvalue > 0.5


def test_maps_are_increasing_and_clamped():
    train = np.random.default_rng(1).uniform(size=(100, 1))
    g = MarginalGaussianizer().fit(train)
    grid = np.linspace(-1, 2, 1000)[:, None]
    z = g.transform(grid)[:, 0]
    assert np.all(np.diff(z) >= 0)
    assert np.all(np.isfinite(z))
    assert z.max() == pytest.approx(stats.norm.ppf(1 - 0.5 / 100))
