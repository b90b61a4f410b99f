import math

import pytest
import torch
from torch.func import jacrev, vmap

from fmmi.nn import ACTIVATIONS, EndpointVelocity, VelocityMLP
from fmmi.paths import get_path


def full_trace(net, z, t):
    jac = vmap(jacrev(lambda z_i, t_i: net(z_i[None], t_i[None])[0]))(z, t)
    return torch.diagonal(jac, dim1=-2, dim2=-1).sum(-1)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("depth", [1, 2])
def test_closed_form_trace_equals_jacobian_trace(activation, depth):
    net = VelocityMLP(6, hidden=17, depth=depth, activation=activation, generator=torch.Generator().manual_seed(3))
    net = net.double()
    z = torch.randn(50, 6, dtype=torch.float64)
    t = torch.rand(50, dtype=torch.float64)
    assert torch.allclose(net.trace_jacobian(z, t), full_trace(net, z, t), atol=1e-12, rtol=1e-10)


def test_closed_form_needs_depth_two_at_most():
    net = VelocityMLP(2, hidden=8, depth=3)
    assert not net.has_closed_form_trace
    with pytest.raises(ValueError, match="depth <= 2"):
        net.trace_jacobian(torch.zeros(1, 2), torch.zeros(1))


def test_same_generator_same_weights():
    a = VelocityMLP(3, hidden=8, generator=torch.Generator().manual_seed(0))
    b = VelocityMLP(3, hidden=8, generator=torch.Generator().manual_seed(0))
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_shapes_and_options():
    net = VelocityMLP(4, hidden=8, depth=3, activation="silu")
    assert net(torch.zeros(5, 4), torch.zeros(5)).shape == (5, 4)
    assert net(torch.zeros(4), torch.zeros(())).shape == (4,)
    with pytest.raises(ValueError, match="activation"):
        VelocityMLP(2, activation="sigmoidal")
    with pytest.raises(ValueError, match="depth"):
        VelocityMLP(2, depth=0)


def test_context_is_required_exactly_when_declared():
    net = VelocityMLP(2, context=3, hidden=8)
    assert net(torch.zeros(4, 2), torch.zeros(4), torch.zeros(4, 3)).shape == (4, 2)
    with pytest.raises(ValueError, match="context of dimension 3"):
        net(torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(ValueError, match="context of dimension 0"):
        VelocityMLP(2, hidden=8)(torch.zeros(4, 2), torch.zeros(4), torch.zeros(4, 3))


@pytest.mark.parametrize("time_features", ["linear", "log"])
@pytest.mark.parametrize("path", ["linear", "trigonometric"])
def test_endpoint_velocity_trace_equals_jacobian_trace(time_features, path):
    net = VelocityMLP(4, context=2, hidden=16, time_features=time_features, generator=torch.Generator().manual_seed(0))
    velocity = EndpointVelocity(net.double(), get_path(path))
    z, c = torch.randn(30, 4, dtype=torch.float64), torch.randn(30, 2, dtype=torch.float64)
    t = torch.cat([torch.rand(28, dtype=torch.float64), torch.tensor([1 - 1e-9, 1.0], dtype=torch.float64)])
    jac = vmap(jacrev(lambda z_i, t_i, c_i: velocity(z_i[None], t_i[None], c_i[None])[0]))(z, t, c)
    full = torch.diagonal(jac, dim1=-2, dim2=-1).sum(-1)
    trace = velocity.trace_jacobian(z, t, c)
    assert torch.all(torch.isfinite(trace))  # t = 1 is clamped to 1 - 1e-6
    assert torch.allclose(trace, full, rtol=1e-9, atol=1e-6)


def test_endpoint_velocity_of_the_exact_endpoint_is_the_exact_velocity():
    # Independent standard normal endpoints: E[z_1 | z_t] = beta z_t on the
    # trigonometric path, and the velocity is then zero.
    class Endpoint(torch.nn.Module):
        features, has_closed_form_trace = 3, False

        def forward(self, z, t, context=None):
            return torch.sin(0.5 * torch.pi * t)[:, None] * z

    velocity = EndpointVelocity(Endpoint(), get_path("trigonometric"))
    z, t = torch.randn(10, 3, dtype=torch.float64), torch.rand(10, dtype=torch.float64)
    assert torch.allclose(velocity(z, t), torch.zeros_like(z), atol=1e-12)


def test_log_time_feature_separates_times_near_one():
    net = VelocityMLP(1, hidden=4, time_features="log")
    t = torch.tensor([1 - 1e-3, 1 - 1e-5], dtype=torch.float64)
    inputs = net._inputs(torch.zeros(2, 1), t, None)
    assert inputs.shape == (2, 3) and inputs.dtype == torch.float32
    assert float(inputs[1, 2] - inputs[0, 2]) == pytest.approx(math.log(100) / 4, rel=1e-5)
    with pytest.raises(ValueError, match="time_features"):
        VelocityMLP(1, time_features="fourier")
