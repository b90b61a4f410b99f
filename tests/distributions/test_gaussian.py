import math

import numpy as np
import pytest
import torch

from fmmi.distributions import CorrelatedGaussian, GaussianVelocity, gaussian_mi


def test_mi_of_independent_pairs():
    rhos = [0.3, 0.6, 0.9]
    cov = np.eye(6)
    for i, rho in enumerate(rhos):
        cov[i, 3 + i] = cov[3 + i, i] = rho
    expected = -0.5 * sum(math.log(1 - r * r) for r in rhos)
    assert gaussian_mi(cov, 3) == pytest.approx(expected, rel=1e-12)


def test_from_mi_round_trip_and_seed_value():
    assert CorrelatedGaussian.from_mi(0.8304).mutual_information == pytest.approx(0.8304, abs=1e-12)
    assert CorrelatedGaussian.from_mi(0.0).mutual_information == pytest.approx(0.0, abs=1e-12)


def test_sample_is_repeatable_and_has_the_covariance():
    dist = CorrelatedGaussian(np.array([[2.0, 0.5, 0.3], [0.5, 1.0, -0.2], [0.3, -0.2, 1.5]]), dim_x=2)
    x, y = dist.sample(200_000, random_state=0)
    assert x.shape == (200_000, 2) and y.shape == (200_000, 1)
    np.testing.assert_array_equal(dist.sample(10, random_state=3)[1], dist.sample(10, random_state=3)[1])
    np.testing.assert_allclose(np.cov(np.hstack([x, y]).T), dist.cov, atol=0.02)


@pytest.mark.parametrize(
    ("cov", "dim_x", "message"),
    [
        (np.eye(2), 0, "dim_x"),
        (np.eye(3)[:2], 1, "square"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), 1, "positive definite"),
        (np.array([[1.0, 0.2], [0.1, 1.0]]), 1, "symmetric"),
    ],
)
def test_bad_covariances(cov, dim_x, message):
    with pytest.raises(ValueError, match=message):
        CorrelatedGaussian(cov, dim_x)


def test_velocity_transports_the_covariance():
    """The exact linear field carries Cov(Z_0) to Cov(Z_1): dΣ/dt = AΣ + ΣA^T."""
    dist = CorrelatedGaussian.from_mi(1.5)
    velocity = dist.velocity("trigonometric")
    assert isinstance(velocity, GaussianVelocity)
    cov, steps = velocity.cov_0.clone(), 4000
    for k in range(steps):
        t = torch.tensor([(k + 0.5) / steps], dtype=torch.float64)
        a = velocity.matrix(t)[0]
        cov = cov + (a @ cov + cov @ a.T) / steps
    np.testing.assert_allclose(cov.numpy(), dist.cov, atol=1e-3)


def test_dense_and_sparse_structures_match_a_monte_carlo_of_the_log_density_ratio():
    from scipy import stats

    for dist in (CorrelatedGaussian.dense(3, 2, 0.5), CorrelatedGaussian.sparse(4, 3, 2, 2.0)):
        x, y = dist.sample(100_000, random_state=1)
        dx = dist.dim_x
        joint = stats.multivariate_normal(cov=dist.cov).logpdf(np.hstack([x, y]))
        px = stats.multivariate_normal(cov=dist.cov[:dx, :dx]).logpdf(x)
        py = stats.multivariate_normal(cov=dist.cov[dx:, dx:]).logpdf(y)
        ratio = joint - px - py
        assert abs(ratio.mean() - dist.mutual_information) < 4 * ratio.std() / np.sqrt(ratio.size)


def test_sparse_correlation_and_paired():
    dist = CorrelatedGaussian.sparse(5, 5, 2, 2.0)
    assert dist.correlation()[0, 5] == pytest.approx(0.8) and dist.correlation()[2, 7] == 0
    # BMI samples the sparse tasks from the correlation matrix: unit variances.
    np.testing.assert_array_equal(np.diag(dist.cov), np.ones(10))
    np.testing.assert_array_equal(dist.cov, dist.correlation())
    assert CorrelatedGaussian.paired(3, 2.0).mutual_information == pytest.approx(2.0)
    with pytest.raises(ValueError, match="n_interacting"):
        CorrelatedGaussian.sparse(2, 2, 3)
