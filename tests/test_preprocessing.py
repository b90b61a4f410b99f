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


def test_skip_normal_leaves_gaussian_columns_alone():
    rng = np.random.default_rng(0)
    data = np.column_stack([rng.normal(size=3000), rng.exponential(size=3000), rng.standard_cauchy(size=3000)])
    g = MarginalGaussianizer(skip_normal=True).fit(data)
    assert g.columns_.tolist() == [False, True, True]
    z = g.transform(data)
    np.testing.assert_array_equal(z[:, 0], data[:, 0])
    assert stats.kstest(z[:, 2], "norm").pvalue > 0.5


def test_rank_maps_erase_structure_finer_than_the_gap_between_neighbours():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 1))
    y = x + 1e-6 * rng.normal(size=(4000, 1))  # about 13 nats
    gx, gy = MarginalGaussianizer().fit(x), MarginalGaussianizer().fit(y)
    assert np.median(np.abs(gy.transform(y) - gx.transform(x))) == 0  # both columns get the same normal scores
    gx, gy = MarginalGaussianizer(skip_normal=True).fit(x), MarginalGaussianizer(skip_normal=True).fit(y)
    assert np.all(gy.transform(y) != gx.transform(x))  # left alone: the noise survives
