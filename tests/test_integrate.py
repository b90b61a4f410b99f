import numpy as np
import pytest
import torch

from fmmi.coupling import joint_endpoints
from fmmi.distributions import CorrelatedGaussian
from fmmi.integrate import (
    divergence_integrals,
    gauss_legendre,
    mean_and_stderr,
    running_mean_and_stderr,
    time_nodes,
)
from fmmi.paths import get_path


def test_gauss_legendre_is_exact_for_polynomials():
    t, w = gauss_legendre(5)
    for power in range(10):  # 5 nodes integrate degree <= 9 exactly
        assert float((w * t**power).sum()) == pytest.approx(1 / (power + 1), abs=1e-14)


def test_time_nodes():
    generator = torch.Generator().manual_seed(0)
    t, w = time_nodes("uniform", 100, 8, generator)
    assert t.shape == (100, 1) and torch.all((t >= 0) & (t <= 1)) and float(w.sum()) == 1
    t, w = time_nodes("grid", 3, 8, generator)
    assert t.shape == (3, 8) and float(w.sum()) == pytest.approx(1)
    with pytest.raises(ValueError, match="time_sampling"):
        time_nodes("sobol", 3, 8, generator)


def test_running_mean_matches_final_summary():
    values = np.random.default_rng(0).normal(size=500)
    mean, stderr = running_mean_and_stderr(values)
    final_mean, final_stderr = mean_and_stderr(values)
    assert mean[-1] == pytest.approx(final_mean)
    assert stderr[-1] == pytest.approx(final_stderr)


def _block_cov(dim_x, dim_y, within, across):
    d = dim_x + dim_y
    cov = np.full((d, d), across)
    cov[:dim_x, :dim_x] = within
    cov[dim_x:, dim_x:] = within
    np.fill_diagonal(cov, 1.0)
    return cov


def _mixed_pairs(mi, dim, seed=0):
    """dim x dim Gaussian with MI = mi: correlated pairs, then an invertible linear map on X and on Y."""
    rho = np.sqrt(-np.expm1(-2 * mi / dim))
    cov = np.eye(2 * dim)
    cov[np.arange(dim), dim + np.arange(dim)] = rho
    cov[dim + np.arange(dim), np.arange(dim)] = rho
    rng = np.random.default_rng(seed)
    mix = np.zeros((2 * dim, 2 * dim))
    mix[:dim, :dim] = rng.normal(size=(dim, dim)) + 2 * np.eye(dim)
    mix[dim:, dim:] = rng.normal(size=(dim, dim)) + 2 * np.eye(dim)
    return mix @ cov @ mix.T


GAUSSIANS = {
    "1x1, 0.8304 nats": (CorrelatedGaussian.from_mi(0.8304).cov, 1),
    "1x1, 3 nats": (CorrelatedGaussian.from_mi(3.0).cov, 1),
    "2x3, independent blocks": (np.diag([1.0, 2.0, 0.5, 1.5, 3.0]), 2),
    "5x5 mixed, 2 nats": (_mixed_pairs(2.0, 5), 5),
    "2x2 dense": (_block_cov(2, 2, 0.2, 0.4), 2),
}


@pytest.mark.parametrize("name", sorted(GAUSSIANS))
@pytest.mark.parametrize("path", ["linear", "trigonometric"])
@pytest.mark.parametrize("coupling", ["independent", "shared_x"])
def test_exact_gaussian_velocity_recovers_closed_form_mi(name, path, coupling):
    cov, dim_x = GAUSSIANS[name]
    dist = CorrelatedGaussian(cov, dim_x)
    x, y = dist.sample(400, random_state=0)
    velocity = dist.velocity(path, coupling)
    values = divergence_integrals(
        velocity,
        joint_endpoints(torch.as_tensor(x), torch.as_tensor(y), coupling=coupling),
        len(x),
        path=get_path(path),
        generator=torch.Generator().manual_seed(0),
        n_mc=64,
        time_sampling="grid",
        n_time=64,
    )
    # The exact field is linear, so its divergence does not depend on the
    # points: the whole error is the time integration's.
    assert -values.mean() == pytest.approx(dist.mutual_information, abs=1e-3)
    assert values.std() < 1e-8


def test_uniform_time_is_unbiased_for_the_exact_field():
    dist = CorrelatedGaussian.from_mi(1.0)
    x, y = dist.sample(500, random_state=0)
    values = divergence_integrals(
        dist.velocity(),
        joint_endpoints(torch.as_tensor(x), torch.as_tensor(y)),
        len(x),
        path=get_path("linear"),
        generator=torch.Generator().manual_seed(0),
        n_mc=20000,
        time_sampling="uniform",
    )
    mean, stderr = mean_and_stderr(-values)
    assert abs(mean - 1.0) < 4 * stderr


def test_hutchinson_and_chunking():
    dist = CorrelatedGaussian(_block_cov(2, 2, 0.2, 0.4), 2)
    x, y = dist.sample(300, random_state=1)
    common = dict(path=get_path("linear"), n_mc=301, time_sampling="grid", n_time=16, eval_batch=160)
    endpoints = joint_endpoints(torch.as_tensor(x), torch.as_tensor(y))
    exact = divergence_integrals(
        dist.velocity(), endpoints, len(x), generator=torch.Generator().manual_seed(0), **common
    )
    probes = divergence_integrals(
        dist.velocity(),
        endpoints,
        len(x),
        generator=torch.Generator().manual_seed(0),
        divergence="hutchinson",
        n_probes=4,
        **common,
    )
    assert exact.shape == probes.shape == (301,)
    mean, stderr = mean_and_stderr(probes)
    assert abs(mean - exact.mean()) < 4 * stderr


def test_needs_two_units_and_two_rows():
    dist = CorrelatedGaussian.from_mi(1.0)
    x = torch.zeros(1, 1, dtype=torch.float64)
    common = dict(path=get_path("linear"), generator=torch.Generator())
    with pytest.raises(ValueError, match="at least 2 rows"):
        divergence_integrals(dist.velocity(), joint_endpoints(x, x), 1, n_mc=4, **common)
    with pytest.raises(ValueError, match="n_mc"):
        divergence_integrals(dist.velocity(), joint_endpoints(x, x), 1, n_mc=1, **common)


def test_exact_velocities_for_conditional_reverse_and_entropy_flows():
    from fmmi.coupling import conditional_endpoints, gaussian_source_endpoints
    from fmmi.distributions import GaussianVelocity

    cov, dim_x = _mixed_pairs(1.5, 2), 2
    dist = CorrelatedGaussian(cov, dim_x)
    x, y = (torch.as_tensor(a) for a in dist.sample(300, random_state=0))
    common = dict(path=get_path("trigonometric"), n_mc=32, time_sampling="grid", n_time=64)

    # cFMMI: the y-block of the shared-x joint field is the flow in y given x.
    shared = dist.velocity("trigonometric", "shared_x")

    def conditional(y_t, t, x_context):
        return shared(torch.cat([x_context, y_t], dim=-1), t)[:, dim_x:]

    values = divergence_integrals(conditional, conditional_endpoints(x, y), 300, generator=torch.Generator(), **common)
    assert -values.mean() == pytest.approx(dist.mutual_information, abs=1e-3)

    # Reverse: joint to product; the divergence integral is +MI.
    forward = dist.velocity("trigonometric")
    backward = GaussianVelocity(forward.cov_1, forward.cov_0, forward.cross.T, "trigonometric")
    values = divergence_integrals(
        backward, joint_endpoints(x, y, reverse=True), 300, generator=torch.Generator(), **common
    )
    assert values.mean() == pytest.approx(dist.mutual_information, abs=1e-3)

    # Entropy: from N(0, I) to N(0, Σ), h = d/2 log(2πe) + ∫ div.
    d = cov.shape[0]
    to_data = GaussianVelocity(np.eye(d), cov, np.zeros((d, d)), "trigonometric")
    data = torch.cat([x, y], dim=1)
    values = divergence_integrals(to_data, gaussian_source_endpoints(data), 300, generator=torch.Generator(), **common)
    entropy = 0.5 * d * np.log(2 * np.pi * np.e) + values.mean()
    assert entropy == pytest.approx(0.5 * np.linalg.slogdet(2 * np.pi * np.e * cov)[1], abs=1e-3)


@pytest.mark.parametrize("mi", [2.0, 6.0, 10.0])
def test_the_log_grid_integrates_the_spike_near_one_at_high_mi(mi):
    dist = CorrelatedGaussian.from_mi(mi)
    x, y = dist.sample(50, random_state=0)
    common = dict(path=get_path("trigonometric"), generator=torch.Generator().manual_seed(0), n_mc=8, n_time=32)
    endpoints = joint_endpoints(torch.as_tensor(x), torch.as_tensor(y))
    log_grid = divergence_integrals(dist.velocity("trigonometric"), endpoints, 50, time_sampling="log_grid", **common)
    assert -log_grid.mean() == pytest.approx(mi, abs=2e-3)
    if mi == 10.0:  # the grid in t misses most of the last nats
        grid = divergence_integrals(dist.velocity("trigonometric"), endpoints, 50, time_sampling="grid", **common)
        assert -grid.mean() < mi - 2


def test_log_grid_nodes():
    t, w = time_nodes("log_grid", 2, 16, torch.Generator())
    assert t.shape == (2, 16) and t.dtype == torch.float64
    assert 0 < float(t.min()) < 0.1 and 1 - 1e-5 < float(t.max()) < 1
    assert float(w.sum()) == pytest.approx(1 - 1e-6, abs=1e-9)  # polynomials in exp(-u) are integrated exactly
