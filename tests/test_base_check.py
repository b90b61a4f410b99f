import math
import warnings

import numpy as np
import pytest

import fmmi
from fmmi.base_check import BEYOND_BASE_P, base_note, beyond_base, unbounded
from fmmi.distributions import GaussianMixture


def _sign_mixture(n: int, dim: int = 3, rho: float = 0.8, seed: int = 0):
    """Two equally likely Gaussians with paired correlations +rho and -rho: no correlation overall, so a
    Gaussian copula carries none of the dependence."""
    cov = np.eye(2 * dim)
    covariances = []
    for sign in (1, -1):
        c = cov.copy()
        c[np.arange(dim), dim + np.arange(dim)] = c[dim + np.arange(dim), np.arange(dim)] = sign * rho
        covariances.append(c)
    mixture = GaussianMixture([0.5, 0.5], np.zeros((2, 2 * dim)), np.stack(covariances), dim_x=dim)
    return mixture.sample(n, random_state=seed)


def test_dependence_beyond_a_gaussian_copula_is_found():
    x, y = _sign_mixture(600)
    assert beyond_base(x, y, seed=0) < BEYOND_BASE_P


def test_a_gaussian_with_linear_dependence_is_not_flagged():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3))
    y = 0.8 * x @ rng.normal(size=(3, 2)) + rng.normal(size=(600, 2))
    assert beyond_base(x, y, seed=0) > 0.05


def test_the_p_value_is_that_of_the_permutations_and_repeats_with_the_seed():
    x, y = _sign_mixture(300)
    p = beyond_base(x, y, seed=3, permutations=19, level=0.2)
    assert p == beyond_base(x, y, seed=3, permutations=19, level=0.2)
    # No re-pairing reaches either statistic (the kernel's and, with 3 columns a side, the canonical
    # correlation's): the smaller p-value, 1 / 20, times two.
    assert p == pytest.approx(2 / 20)


def test_the_re_pairings_stop_once_the_test_cannot_fire():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    p = beyond_base(x, y, seed=0, permutations=399)
    assert p >= BEYOND_BASE_P
    # Stopped early: two statistics, each with at least two larger re-pairings among the few drawn.
    assert p > 2 * 3 / 400


def test_too_few_rows_are_refused_by_the_test_and_passed_over_by_the_note():
    x, y = _sign_mixture(9)
    with pytest.raises(ValueError, match="at least 10 rows"):
        beyond_base(x, y)
    assert base_note("jFMMI", [(x, y)]) == ()
    assert base_note("jFMMI", []) == ()


def test_unbounded_keeps_the_estimate_and_holds_every_mi_from_zero_up():
    for value, low in ((0.5, 0.0), (-0.01, -0.0492)):
        result = fmmi.MIResult.from_mean(value, 0.02, n_train=10, n_eval=10, n_mc=10)
        opened = unbounded(result)
        assert (opened.value, opened.stderr) == (result.value, result.stderr)
        assert opened.interval[0] == pytest.approx(low, abs=1e-3) and opened.interval[1] == math.inf


def test_a_fit_left_at_its_base_over_such_dependence_warns_and_opens_its_interval():
    x, y = _sign_mixture(1000)
    with pytest.warns(fmmi.UnderfitWarning, match="the base check") as caught:
        result = fmmi.FMMI(steps=0, n_folds=2, random_state=0).fit_estimate(x, y)
    assert abs(result.value) < 0.1  # the Gaussian copula has no dependence here; the truth is about 1.1 nats
    assert result.interval[1] == math.inf
    assert any("the base check" in note for note in result.warnings)
    assert any("base check" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fmmi.UnderfitWarning)
        quiet = fmmi.FMMI(steps=0, n_folds=2, random_state=0, sample_check=False).fit_estimate(x, y)
    assert math.isfinite(quiet.interval[1])


def test_a_gaussian_read_by_its_base_keeps_a_closed_interval():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 2))
    y = x + rng.normal(size=(1000, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", fmmi.UnderfitWarning)
        result = fmmi.FMMI(steps=0, n_folds=2, random_state=0).fit_estimate(x, y)
    assert math.isfinite(result.interval[1]) and result.warnings == ()
