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


from fmmi.distributions import asinh, bimodal, compose, spiral, swiss_roll, wiggly_x, wiggly_y  # noqa: E402


@pytest.mark.parametrize("transform", [asinh, wiggly_x, wiggly_y, bimodal(), bimodal(1.5, 0.6)])
def test_coordinate_wise_maps_are_strictly_increasing(transform):
    a = np.linspace(-8, 8, 100_001)
    assert np.all(np.diff(transform(a)) > 0)


def test_bimodal_makes_two_modes():
    x = bimodal(1.0, 0.5)(np.random.default_rng(0).normal(size=200_000))
    counts, _ = np.histogram(x, bins=np.linspace(-2, 2, 9))
    assert counts[1] > 2 * counts[3] and counts[6] > 2 * counts[4]  # more mass near ±1 than near 0


@pytest.mark.parametrize("dim", [2, 3, 25])
def test_spiral_is_inverted_by_rotating_back(dim):
    a = np.random.default_rng(dim).normal(size=(500, dim)) * 3
    f = spiral(dim)
    b = f(a)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), np.linalg.norm(a, axis=1))
    np.testing.assert_allclose(f.inverse(b), a, atol=1e-10)
    assert not np.allclose(b, a)
    with pytest.raises(ValueError, match="at least 2"):
        spiral(1)


def test_spiral_turns_only_its_plane():
    a = np.random.default_rng(0).normal(size=(300, 4))
    f = spiral(4, plane=(1, 2))
    b = f(a)
    np.testing.assert_array_equal(b[:, [0, 3]], a[:, [0, 3]])
    assert not np.allclose(b[:, [1, 2]], a[:, [1, 2]])
    np.testing.assert_allclose(f.inverse(b), a, atol=1e-10)
    for bad in ((1, 1), (0, 4)):
        with pytest.raises(ValueError, match="plane"):
            spiral(4, plane=bad)


def test_swiss_roll_is_injective():
    u = np.random.default_rng(0).random((1000, 1))
    rolled = swiss_roll(u)
    assert rolled.shape == (1000, 2)
    # The distance from the origin is t = 1.5π(1 + 2u), so u can be read back.
    np.testing.assert_allclose((np.linalg.norm(rolled, axis=1) / (1.5 * np.pi) - 1) / 2, u[:, 0])


def test_compose_applies_right_to_left():
    a = np.linspace(-3, 3, 7)[:, None]
    np.testing.assert_allclose(compose(swiss_roll, normal_cdf)(a), swiss_roll(normal_cdf(a)))
