import math

import pytest
import torch
from torch.func import jacrev, vmap

from fmmi.divergence import exact_divergence
from fmmi.nn import ACTIVATIONS, VelocityMLP


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


def test_log_time_feature_separates_times_near_one():
    net = VelocityMLP(1, hidden=4, time_features="log")
    t = torch.tensor([1 - 1e-3, 1 - 1e-5], dtype=torch.float64)
    inputs = net._inputs(torch.zeros(2, 1), t, None)
    assert inputs.shape == (2, 3) and inputs.dtype == torch.float32
    assert float(inputs[1, 2] - inputs[0, 2]) == pytest.approx(math.log(100) / 4, rel=1e-5)
    with pytest.raises(ValueError, match="time_features"):
        VelocityMLP(1, time_features="fourier")


def test_zero_output_starts_as_the_zero_field_and_still_learns():
    net = VelocityMLP(3, hidden=8, generator=torch.Generator().manual_seed(0)).zero_output()
    z, t = torch.randn(5, 3), torch.rand(5)
    assert torch.equal(net(z, t), torch.zeros(5, 3))
    assert torch.equal(net.trace_jacobian(z, t), torch.zeros(5))
    net(z, t).sum().backward()
    assert net.net[-1].weight.grad.abs().sum() > 0  # the hidden layers are not zero: gradients reach the output


def test_fourier_features_widen_the_input_and_leave_the_trace_to_autograd():
    net = VelocityMLP(3, hidden=8, fourier=5, fourier_scale=2.0, generator=torch.Generator().manual_seed(0)).double()
    z, t = torch.randn(7, 3, dtype=torch.float64), torch.rand(7, dtype=torch.float64)
    assert net._inputs(z, t, None).shape == (7, 3 + 2 * 5 + 1)
    assert net.frequencies.shape == (5, 3)
    assert not net.has_closed_form_trace
    with pytest.raises(ValueError, match="no Fourier features"):
        net.trace_jacobian(z, t)
    assert torch.allclose(exact_divergence(net, z, t), full_trace(net, z, t))
    # The features are periodic in z along B's rows: shifting z by a period of every frequency changes nothing.
    one = VelocityMLP(1, hidden=4, fourier=1, generator=torch.Generator().manual_seed(1)).double()
    period = 1 / float(one.frequencies[0, 0])
    inputs = one._inputs(torch.tensor([[0.3], [0.3 + period]], dtype=torch.float64), torch.zeros(2), None)
    assert torch.allclose(inputs[0, 1:], inputs[1, 1:], atol=1e-9)


def test_fourier_frequencies_follow_the_generator_and_are_checked():
    a = VelocityMLP(2, hidden=4, fourier=3, generator=torch.Generator().manual_seed(0))
    b = VelocityMLP(2, hidden=4, fourier=3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a.frequencies, b.frequencies) and "frequencies" in a.state_dict()
    # Without features the weights are those of a net built before the option existed.
    c = VelocityMLP(2, hidden=4, generator=torch.Generator().manual_seed(0))
    d = VelocityMLP(2, hidden=4, fourier=0, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(p, q) for p, q in zip(c.parameters(), d.parameters()))
    with pytest.raises(ValueError, match="fourier must be"):
        VelocityMLP(2, fourier=-1)
    with pytest.raises(ValueError, match="fourier_scale"):
        VelocityMLP(2, fourier=2, fourier_scale=0.0)
