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


def test_knots_keep_structure_finer_than_the_gap_between_neighbours():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 1))
    noise = 1e-6 * rng.normal(size=(4000, 1))
    y = x + noise  # about 13 nats
    # All knots: both columns go to the same normal scores and the noise is erased.
    gx, gy = MarginalGaussianizer().fit(x), MarginalGaussianizer().fit(y)
    assert np.median(np.abs(gy.transform(y) - gx.transform(x))) == 0
    # 200 knots: the maps are affine between knots, so the noise survives, rescaled
    # (beside a smooth function of x from the two maps' different knots).
    gx, gy = MarginalGaussianizer(200).fit(x), MarginalGaussianizer(200).fit(y)
    residual = gy.transform(y) - gx.transform(x)
    assert np.corrcoef(residual[:, 0], noise[:, 0])[0, 1] > 0.5


def test_knots_option_is_checked():
    with pytest.raises(ValueError, match="n_knots"):
        MarginalGaussianizer(1)
