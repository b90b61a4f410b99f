import pytest
import torch

from fmmi.paths import LinearPath, TrigonometricPath, get_path


@pytest.mark.parametrize("path", [LinearPath(), TrigonometricPath()])
def test_endpoints_and_derivatives(path):
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    assert torch.allclose(path.alpha(t), torch.tensor([1.0, 0.0], dtype=torch.float64), atol=1e-12)
    assert torch.allclose(path.beta(t), torch.tensor([0.0, 1.0], dtype=torch.float64), atol=1e-12)
    s = torch.linspace(0.05, 0.95, 7, dtype=torch.float64, requires_grad=True)
    (d_alpha,) = torch.autograd.grad(path.alpha(s).sum(), s)
    (d_beta,) = torch.autograd.grad(path.beta(s).sum(), s)
    assert torch.allclose(d_alpha, path.d_alpha(s.detach()))
    assert torch.allclose(d_beta, path.d_beta(s.detach()))


def test_sample_hits_the_endpoints():
    z_0, z_1 = torch.randn(4, 3), torch.randn(4, 3)
    path = LinearPath()
    z_t, dz_t = path.sample(z_0, z_1, torch.zeros(4))
    assert torch.equal(z_t, z_0) and torch.allclose(dz_t, z_1 - z_0)
    z_t, _ = path.sample(z_0, z_1, torch.ones(4))
    assert torch.equal(z_t, z_1)


def test_get_path():
    assert isinstance(get_path("trigonometric"), TrigonometricPath)
    with pytest.raises(ValueError, match="path must be one of"):
        get_path("cubic")
