import pytest
import torch

from fmmi.coupling import derangement, pair


def test_derangement_has_no_fixed_point():
    generator = torch.Generator().manual_seed(0)
    for n in (2, 3, 10, 100):
        perm = derangement(n, generator)
        assert sorted(perm.tolist()) == list(range(n))
        assert not torch.any(perm == torch.arange(n))


def test_derangement_needs_two():
    with pytest.raises(ValueError, match="at least 2"):
        derangement(1, torch.Generator())


@pytest.mark.parametrize("coupling", ["independent", "shared_x"])
@pytest.mark.parametrize("derange", [False, True])
def test_pair_keeps_the_marginals(coupling, derange):
    generator = torch.Generator().manual_seed(1)
    x = torch.arange(20.0)[:, None]
    y = 100 + torch.arange(20.0)[:, None]
    z_0, z_1 = pair(x, y, generator, coupling=coupling, derange=derange)
    assert torch.equal(z_1, torch.cat([x, y], dim=1))
    # Source columns are permutations of x and of y.
    assert sorted(z_0[:, 0].tolist()) == x[:, 0].tolist()
    assert sorted(z_0[:, 1].tolist()) == y[:, 0].tolist()
    if coupling == "shared_x":
        assert torch.equal(z_0[:, 0], x[:, 0])
    if derange:  # no source row is an original pair
        assert not torch.any(z_0[:, 1] - z_0[:, 0] == 100)


def test_unknown_coupling():
    with pytest.raises(ValueError, match="coupling must be one of"):
        pair(torch.zeros(3, 1), torch.zeros(3, 1), torch.Generator(), coupling="optimal")
