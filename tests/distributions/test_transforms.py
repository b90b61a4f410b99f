import numpy as np
import pytest

from fmmi.distributions import CorrelatedGaussian, Transformed, half_cube, normal_cdf


@pytest.mark.parametrize("transform", [half_cube, normal_cdf])
def test_transforms_are_strictly_increasing(transform):
    a = np.linspace(-6, 6, 10_001)
    assert np.all(np.diff(transform(a)) > 0)


def test_transformed_keeps_mi_and_maps_samples():
    base = CorrelatedGaussian.from_mi(0.7)
    dist = Transformed(base, half_cube, normal_cdf)
    assert dist.mutual_information == base.mutual_information
    x, y = dist.sample(1000, random_state=0)
    bx, by = base.sample(1000, random_state=0)
    np.testing.assert_allclose(x, half_cube(bx))
    np.testing.assert_allclose(y, normal_cdf(by))
    assert y.min() > 0 and y.max() < 1
