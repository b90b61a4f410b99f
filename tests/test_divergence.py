import math

import pytest
import torch
from torch.func import jacrev, vmap

from fmmi.divergence import divergence, exact_divergence, hutchinson_divergence
from fmmi.nn import VelocityMLP


def full_trace(velocity, z, t):
    jac = vmap(jacrev(lambda z_i, t_i: velocity(z_i[None], t_i[None], None)[0]))(z, t)
    return torch.diagonal(jac, dim1=-2, dim2=-1).sum(-1)


def nonlinear(z, t, context=None):
    # A field that is not an MLP: exercises the generic (jacrev) path.
    return torch.stack([torch.sin(z[:, 0] * z[:, 1]) + t, z[:, 1] ** 3 * t, torch.tanh(z[:, 2] + z[:, 0])], dim=-1)


@pytest.mark.parametrize("depth", [2, 3])
def test_exact_divergence_is_the_jacobian_trace_for_mlps(depth):
    net = VelocityMLP(5, hidden=32, depth=depth, generator=torch.Generator().manual_seed(0)).double()
    z = torch.randn(40, 5, dtype=torch.float64)
    t = torch.rand(40, dtype=torch.float64)
    assert torch.allclose(exact_divergence(net, z, t), full_trace(net, z, t), atol=1e-12)


def test_exact_divergence_of_a_known_field():
    z = torch.randn(30, 3, dtype=torch.float64)
    t = torch.rand(30, dtype=torch.float64)
    expected = z[:, 1] * torch.cos(z[:, 0] * z[:, 1]) + 3 * z[:, 1] ** 2 * t + 1 - torch.tanh(z[:, 2] + z[:, 0]) ** 2
    assert torch.allclose(exact_divergence(nonlinear, z, t), expected, atol=1e-12)


@pytest.mark.parametrize("probe", ["rademacher", "gaussian"])
def test_hutchinson_mean_is_within_its_standard_error(probe):
    net = VelocityMLP(6, hidden=32, depth=2, generator=torch.Generator().manual_seed(1)).double()
    z = torch.randn(8, 6, dtype=torch.float64)
    t = torch.rand(8, dtype=torch.float64)
    exact = exact_divergence(net, z, t)
    generator = torch.Generator().manual_seed(2)
    repeats = 4000
    one_probe_each = hutchinson_divergence(
        net, z.repeat(repeats, 1), t.repeat(repeats), probe=probe, generator=generator
    )
    draws = one_probe_each.reshape(repeats, -1)
    mean = draws.mean(0)
    stderr = draws.std(0) / math.sqrt(draws.shape[0])
    # 4 standard errors: a false alarm about once in 16,000 points.
    assert torch.all((mean - exact).abs() < 4 * stderr)


def test_more_probes_average():
    net = VelocityMLP(4, hidden=16, generator=torch.Generator().manual_seed(0)).double()
    z, t = torch.randn(5, 4, dtype=torch.float64), torch.rand(5, dtype=torch.float64)
    estimate = hutchinson_divergence(net, z, t, n_probes=5000, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(estimate, exact_divergence(net, z, t), atol=0.1)


def test_bad_options():
    z, t = torch.zeros(2, 2), torch.zeros(2)
    with pytest.raises(ValueError, match="divergence must be"):
        divergence(nonlinear, z, t, method="approx")
    with pytest.raises(ValueError, match="probe"):
        hutchinson_divergence(nonlinear, z, t, probe="uniform")
    with pytest.raises(ValueError, match="n_probes"):
        hutchinson_divergence(nonlinear, z, t, n_probes=0)


def test_divergence_with_a_context_is_taken_in_the_state_only():
    net = VelocityMLP(3, context=2, hidden=16, depth=3, generator=torch.Generator().manual_seed(0)).double()
    z, c = torch.randn(10, 3, dtype=torch.float64), torch.randn(10, 2, dtype=torch.float64)
    t = torch.rand(10, dtype=torch.float64)
    jac = vmap(jacrev(lambda z_i, t_i, c_i: net(z_i[None], t_i[None], c_i[None])[0]))(z, t, c)
    expected = torch.diagonal(jac, dim1=-2, dim2=-1).sum(-1)
    assert jac.shape == (10, 3, 3)
    assert torch.allclose(exact_divergence(net, z, t, c), expected, atol=1e-12)
    shallow = VelocityMLP(3, context=2, hidden=16, depth=2, generator=torch.Generator().manual_seed(0)).double()
    jac = vmap(jacrev(lambda z_i, t_i, c_i: shallow(z_i[None], t_i[None], c_i[None])[0]))(z, t, c)
    assert torch.allclose(exact_divergence(shallow, z, t, c), torch.diagonal(jac, dim1=-2, dim2=-1).sum(-1))
