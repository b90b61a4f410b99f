import itertools

import pytest
import torch

from fmmi.coupling import OT_BLOCK, derangement, moves_one_column, ot_pairing, pair, resolve_coupling, swaps_sides


def test_derangement_has_no_fixed_point():
    generator = torch.Generator().manual_seed(0)
    for n in (2, 3, 10, 100):
        perm = derangement(n, generator)
        assert sorted(perm.tolist()) == list(range(n))
        assert not torch.any(perm == torch.arange(n))


def test_derangement_needs_two():
    with pytest.raises(ValueError, match="at least 2"):
        derangement(1, torch.Generator())


@pytest.mark.parametrize("coupling", ["independent", "shared_x", "ot"])
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


def cost(source, target):
    return (source - target).square().sum().item()


def test_ot_pairing_is_the_least_cost_assignment_within_each_block():
    generator = torch.Generator().manual_seed(0)
    source, target = torch.randn(10, 2, generator=generator), torch.randn(10, 2, generator=generator)
    pick = ot_pairing(source, target, block=5)
    for start in (0, 5):  # each block's rows are re-paired among themselves, at the least total cost
        assert sorted(pick[start : start + 5].tolist()) == list(range(start, start + 5))
        best = min(
            cost(source[start + torch.tensor(order)], target[start : start + 5])
            for order in itertools.permutations(range(5))
        )
        assert cost(source[pick[start : start + 5]], target[start : start + 5]) == pytest.approx(best)


def test_ot_coupling_re_pairs_the_independent_draws_at_a_lower_cost():
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(600, 2, generator=generator), torch.randn(600, 1, generator=generator)
    independent, z_1 = pair(x, y, torch.Generator().manual_seed(3), coupling="independent")
    ot, _ = pair(x, y, torch.Generator().manual_seed(3), coupling="ot")
    for start in range(0, 600, OT_BLOCK):
        block = slice(start, start + OT_BLOCK)
        assert sorted(map(tuple, ot[block].tolist())) == sorted(map(tuple, independent[block].tolist()))
        assert cost(ot[block], z_1[block]) < cost(independent[block], z_1[block])


def test_unknown_coupling():
    with pytest.raises(ValueError, match="coupling must be one of"):
        pair(torch.zeros(3, 1), torch.zeros(3, 1), torch.Generator(), coupling="optimal")


@pytest.mark.parametrize(
    ("dims", "swapped", "coupling"),
    [
        ((3, 1), False, "shared_x"),
        ((1, 1), False, "shared_x"),
        ((1, 4), True, "shared_x"),
        ((2, 2), False, "independent"),
    ],
)
def test_auto_moves_a_single_column_given_the_other_side(dims, swapped, coupling):
    assert swaps_sides("auto", *dims) is swapped
    dim_x, dim_y = dims[::-1] if swapped else dims
    assert resolve_coupling("auto", dim_x, dim_y) == coupling


@pytest.mark.parametrize("named", ["independent", "shared_x", "ot"])
def test_a_named_coupling_is_kept_whatever_the_shapes(named):
    for dims in ((1, 1), (1, 4), (3, 1), (2, 2)):
        assert not swaps_sides(named, *dims)
        assert resolve_coupling(named, *dims) == named


def test_one_column_moves_where_a_shared_x_flow_has_one_column_to_move():
    assert moves_one_column("auto", 1, 1) and moves_one_column("auto", 4, 1) and moves_one_column("auto", 1, 4)
    assert not moves_one_column("auto", 2, 2)
    assert moves_one_column("shared_x", 4, 1) and not moves_one_column("shared_x", 1, 4)  # named: no swap
    assert not moves_one_column("independent", 1, 1) and not moves_one_column("ot", 3, 1)
