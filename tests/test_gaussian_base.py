import numpy as np
import pytest
import torch

from fmmi import FMMI
from fmmi.distributions import CorrelatedGaussian
from fmmi.distributions.gaussian import GaussianVelocity
from fmmi.gaussian_base import (
    GaussianBase,
    ResidualVelocity,
    SharedXGaussianBase,
    gaussian_log_det_bias,
    mi_moments,
)
from fmmi.paths import get_path


@pytest.mark.parametrize("path", ["linear", "trigonometric"])
def test_the_base_is_the_exact_gaussian_velocity(path):
    dist = CorrelatedGaussian.dense(3, 2, 0.4)
    cov = torch.as_tensor(dist.cov)
    product = cov.clone()
    product[:3, 3:] = 0
    product[3:, :3] = 0
    base = GaussianBase(product, cov, get_path(path))
    exact = GaussianVelocity.for_mi(dist.cov, 3, path=path)
    z, t = torch.randn(20, 5, dtype=torch.float64), torch.rand(20, dtype=torch.float64)
    torch.testing.assert_close(base(z, t), exact(z, t))
    torch.testing.assert_close(base.trace(t), exact.divergence(t))
    assert -base.integral == pytest.approx(dist.mutual_information, rel=1e-10)


def test_the_base_keeps_float32_under_bfloat16_autocast():
    # Mixed-precision training runs the net under autocast; the base's large velocity near t = 1 must not be
    # rounded to bfloat16 (about 3 significant digits), or its rounding swamps the residual the net learns.
    cov = torch.tensor([[1.0, 0.99999], [0.99999, 1.0]], dtype=torch.float64)  # about 5.4 nats
    base = GaussianBase(torch.eye(2, dtype=torch.float64), cov, get_path("trigonometric"))
    z, t = torch.randn(256, 2), torch.linspace(0, 0.999, 256)
    exact = base(z.double(), t.double())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = base(z, t)
    assert inside.dtype == torch.float32
    torch.testing.assert_close(inside.double(), exact, rtol=1e-5, atol=1e-5)


def test_the_base_stays_finite_for_collinear_columns():
    cov = torch.ones(2, 2, dtype=torch.float64)  # y = x exactly
    base = GaussianBase(torch.eye(2, dtype=torch.float64), cov, get_path("trigonometric"))
    t = torch.tensor([0.0, 0.5, 1 - 1e-9], dtype=torch.float64)
    assert torch.all(torch.isfinite(base(torch.ones(3, 2, dtype=torch.float64), t)))
    assert np.isfinite(base.integral)


def test_wishart_bias_of_the_log_determinant():
    rng = np.random.default_rng(0)
    dim, n = 3, 40
    cov = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.5]])
    logdets = [np.linalg.slogdet(np.cov(rng.multivariate_normal(np.zeros(3), cov, n).T))[1] for _ in range(4000)]
    bias = np.mean(logdets) - np.linalg.slogdet(cov)[1]
    assert bias == pytest.approx(gaussian_log_det_bias(dim, n), abs=0.01)
    with pytest.raises(ValueError, match="more rows"):
        gaussian_log_det_bias(5, 6)


def test_residual_velocity_adds_the_net():
    base = GaussianBase(torch.eye(2), 0.5 * torch.eye(2) + 0.5, get_path("trigonometric"))

    def net(z, t, context=None):
        return torch.ones_like(z)

    z, t = torch.randn(4, 2, dtype=torch.float64), torch.rand(4, dtype=torch.float64)
    torch.testing.assert_close(ResidualVelocity(net, base)(z, t), base(z, t) + 1)


@pytest.mark.parametrize("reverse", [False, True])
def test_high_mi_is_carried_by_the_base(reverse):
    # 8 nats in one pair: a plain tanh net stalls near 4 nats per direction.
    x, y = CorrelatedGaussian.from_mi(8.0).sample(2000, random_state=0)
    options = dict(steps=150, hidden=32, interval="monte_carlo", random_state=0, gaussianize="auto")
    result = FMMI(gaussian_base=True, time_sampling="log_grid", reverse=reverse, **options).fit_estimate(x, y)
    assert result.value == pytest.approx(8.0, abs=0.15)


def test_the_sampling_variance_of_the_gaussian_mi():
    # Two pairs with correlations 0.8 and 0.5 (and a noise column): Var ≈ (0.64 + 0.25) / n.
    cov = np.eye(4)
    cov[0, 2] = cov[2, 0] = 0.8
    cov[1, 3] = cov[3, 1] = 0.5
    dist = CorrelatedGaussian(cov, dim_x=2)
    n, reps = 500, 400
    values, predicted = [], []
    for seed in range(reps):
        x, y = dist.sample(n, random_state=seed)
        x = np.column_stack([x, np.random.default_rng(seed).normal(size=n)])
        product, joint, bias, variance = mi_moments(torch.as_tensor(x), torch.as_tensor(y))
        values.append(0.5 * (torch.logdet(product) - torch.logdet(joint)).item() + bias)
        predicted.append(variance)
    assert np.mean(predicted) == pytest.approx((0.64 + 0.25) / n, rel=0.1)
    assert np.var(values) == pytest.approx(np.mean(predicted), rel=0.2)
    assert np.mean(values) == pytest.approx(dist.mutual_information, abs=0.005)  # the Wishart bias is off
    assert mi_moments(torch.zeros(5, 3), torch.zeros(5, 2)) is None


# The bare net of 50 steps misses the dependence, and the sample check says so: expected here.
@pytest.mark.filterwarnings("ignore::fmmi.UnderfitWarning")
def test_the_monte_carlo_interval_carries_the_base_sampling_error():
    x, y = CorrelatedGaussian.from_mi(2.0).sample(2000, random_state=0)
    options = dict(steps=50, hidden=16, interval="monte_carlo", random_state=0)
    result = FMMI(**options).fit_estimate(x, y)
    rho2 = 1 - np.exp(-4.0)  # one pair with 2 nats
    assert result.stderr >= 0.9 * np.sqrt(rho2 / result.n_train)
    bare = FMMI(gaussian_base=False, **options).fit_estimate(x, y)
    assert bare.stderr < 0.5 * result.stderr


@pytest.mark.parametrize("path", ["linear", "trigonometric"])
@pytest.mark.parametrize("reverse", [False, True])
def test_the_shared_x_base_is_the_exact_gaussian_velocity(path, reverse):
    dist = CorrelatedGaussian.dense(3, 2, 0.4)
    exact = GaussianVelocity.for_mi(dist.cov, 3, path=path, coupling="shared_x")
    if reverse:  # from the joint to the product of marginals: the ends swap, and the cross moment turns
        exact = GaussianVelocity(exact.cov_1, exact.cov_0, exact.cross.T, path)
    base = SharedXGaussianBase(torch.as_tensor(dist.cov), 3, get_path(path), reverse=reverse)
    z, t = torch.randn(20, 5, dtype=torch.float64), torch.rand(20, dtype=torch.float64) * 0.98 + 0.01
    torch.testing.assert_close(base(z, t), exact(z, t))
    torch.testing.assert_close(base.trace(t), exact.divergence(t))
    sign = 1 if reverse else -1
    assert sign * base.integral == pytest.approx(dist.mutual_information, rel=1e-10)


def test_shared_x_reads_a_gaussian_at_its_base():
    # The base alone (steps=0) is the exact Gaussian flow of the shared_x coupling, so it reads a dense
    # Gaussian's MI within sampling error, as the independent coupling's base does.
    dist = CorrelatedGaussian.dense(5, 5, 0.5)
    x, y = dist.sample(4000, random_state=0)
    options = dict(steps=0, interval="monte_carlo", gaussianize=False, random_state=0)
    shared = FMMI(coupling="shared_x", **options).fit_estimate(x, y)
    independent = FMMI(**options).fit_estimate(x, y)
    assert shared.value == pytest.approx(independent.value, abs=1e-6)
    assert shared.value == pytest.approx(dist.mutual_information, abs=0.05)
