import math

import pytest
import torch

from fmmi.solver import rk4_trajectory


def rotation(z, t, context=None):
    """dz/dt = (-z_2, z_1): the exact flow turns z by the angle t."""
    return torch.stack([-z[:, 1], z[:, 0]], dim=1)


def turned(z, angle):
    c, s = math.cos(angle), math.sin(angle)
    return torch.stack([c * z[:, 0] - s * z[:, 1], s * z[:, 0] + c * z[:, 1]], dim=1)


def test_states_follow_the_exact_flow():
    z_0 = torch.randn(7, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    states = rk4_trajectory(rotation, z_0, n_steps=20)
    assert states.shape == (21, 7, 2)
    assert torch.equal(states[0], z_0)
    for k in (5, 10, 20):
        assert torch.allclose(states[k], turned(z_0, k / 20), atol=1e-7)


def test_error_falls_as_the_fourth_power_of_the_step():
    # dz/dt = t z: z(1) = z(0) exp(1/2); the time argument matters here.
    z_0 = torch.ones(3, 1, dtype=torch.float64)

    def error(n_steps):
        end = rk4_trajectory(lambda z, t, c=None: t[:, None] * z, z_0, n_steps=n_steps)[-1]
        return float((end - math.exp(0.5)).abs().max())

    ratio = error(4) / error(8)
    assert 12 < ratio < 20  # 2**4 = 16 for a fourth-order method


def test_context_reaches_the_velocity():
    z_0 = torch.zeros(4, 2, dtype=torch.float64)
    shift = torch.arange(8, dtype=torch.float64).reshape(4, 2)
    end = rk4_trajectory(lambda z, t, c: c, z_0, n_steps=3, context=shift)[-1]
    assert torch.allclose(end, shift)


@pytest.mark.parametrize("n_steps", [0, -1, 2.5, True])
def test_bad_step_counts_are_named(n_steps):
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        rk4_trajectory(rotation, torch.zeros(2, 2), n_steps=n_steps)


def test_starting_points_must_be_a_matrix():
    with pytest.raises(ValueError, match=r"z_0 must have shape \(n, d\), got \(2,\)"):
        rk4_trajectory(rotation, torch.zeros(2))
