import numpy as np
import pytest
import torch

import fmmi
from fmmi import FMMI, MIResult, estimate_mi

from ..conftest import FAST


def held_out_loss(estimator, x, y):
    from fmmi.coupling import pair

    generator = torch.Generator().manual_seed(0)
    xt, yt = estimator._tensors(x, y)
    z_0, z_1 = pair(xt, yt, generator)
    t = torch.rand(len(x), generator=generator)
    z_t, target = estimator.path_.sample(z_0, z_1, t)
    with torch.no_grad():
        return float((estimator.net_(z_t, t) - target).square().mean())


def test_short_training_lands_near_the_truth(gaussian_1d):
    dist, x, y = gaussian_1d
    result = estimate_mi(x, y, random_state=0, **FAST)
    # Error budget: about 0.03 nats of training bias for this small net and
    # 400 steps, plus the sampling error of 1500 held-out rows (~0.02).
    assert result.value == pytest.approx(dist.mutual_information, abs=0.08)
    assert result.unit == "nats"
    assert result.n_train == 1500 and result.n_eval == 1500


def test_independent_variables_give_about_zero():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3000, 2)), rng.normal(size=(3000, 1))
    result = estimate_mi(x, y, random_state=0, **FAST)
    assert abs(result.value) < 0.05


def test_same_seed_same_value(gaussian_1d):
    _, x, y = gaussian_1d
    options = dict(FAST, steps=100)
    first = estimate_mi(x, y, random_state=3, **options)
    second = estimate_mi(x, y, random_state=3, **options)
    third = estimate_mi(x, y, random_state=4, **options)
    assert first.value == second.value and first.stderr == second.stderr
    assert third.value != first.value
    assert first.random_state == 3


def test_fit_then_estimate(gaussian_1d):
    dist, x, y = gaussian_1d
    estimator = FMMI(random_state=0, **FAST).fit(x[:1500], y[:1500])
    assert estimator.history_.shape == (FAST["steps"],)
    assert np.all(np.isfinite(estimator.history_))
    # Training lowers the flow-matching loss on fixed held-out pairs.
    untrained = FMMI(random_state=0, **dict(FAST, steps=1)).fit(x[:1500], y[:1500])
    assert held_out_loss(estimator, x[1500:], y[1500:]) < 0.97 * held_out_loss(untrained, x[1500:], y[1500:])
    result = estimator.estimate(x[1500:], y[1500:])
    assert isinstance(result, MIResult)
    assert result.n_train == 1500 and result.n_eval == 1500 and result.n_mc == 1500
    assert result.value == pytest.approx(dist.mutual_information, abs=0.08)
    assert estimator.contributions_.mean() == pytest.approx(result.value)


@pytest.mark.parametrize(
    "options",
    [
        dict(divergence="hutchinson", n_probes=2),
        dict(time_sampling="uniform", n_mc=4000),
        dict(path="linear"),
        dict(coupling="independent", derange=True),
        dict(depth=3, hidden=32),
        dict(activation="silu", dtype=torch.float64),
    ],
)
def test_options_give_sensible_estimates(gaussian_1d, options):
    dist, x, y = gaussian_1d
    result = estimate_mi(x, y, random_state=1, **{**FAST, **options})
    assert result.value == pytest.approx(dist.mutual_information, abs=0.1)
    assert result.options["path"] == options.get("path", "trigonometric")


def test_inputs_of_every_kind_agree(gaussian_1d):
    _, x, y = gaussian_1d
    x, y = x[:400], y[:400]
    options = dict(FAST, steps=20, random_state=0)
    reference = estimate_mi(x, y, **options).value
    assert estimate_mi(x[:, 0], y[:, 0], **options).value == reference
    assert estimate_mi(torch.as_tensor(x), torch.as_tensor(y), **options).value == reference
    assert estimate_mi(x.tolist(), y.tolist(), **options).value == reference
    pd = pytest.importorskip("pandas")
    assert estimate_mi(pd.DataFrame(x), pd.Series(y[:, 0]), **options).value == reference


def test_the_estimate_uses_held_out_rows_only(gaussian_1d):
    _, x, y = gaussian_1d
    result = estimate_mi(x[:100], y[:100], random_state=0, **dict(FAST, steps=5), test_size=0.3)
    assert (result.n_train, result.n_eval) == (70, 30)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((10, 1)), np.zeros((11, 1)), "same number of rows"),
        (np.full((20, 1), np.nan), np.zeros((20, 1)), "NaN"),
        (np.zeros((20, 1, 1)), np.zeros((20, 1)), "3 axes"),
        (np.random.default_rng(0).normal(size=(10, 1)), np.random.default_rng(1).normal(size=(10, 1)), "too few"),
        (np.ones((40, 1)), np.random.default_rng(1).normal(size=(40, 1)), "constant"),
    ],
)
def test_bad_data(x, y, message):
    with pytest.raises(ValueError, match=message):
        estimate_mi(x, y, steps=5)


def test_non_numeric_data():
    with pytest.raises(TypeError, match="numbers"):
        estimate_mi(np.array(["a"] * 20), np.zeros(20), steps=5)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (dict(path="spline"), "path"),
        (dict(coupling="ot"), "coupling"),
        (dict(steps=0), "steps"),
        (dict(hidden=2.5), "hidden"),
        (dict(lr=-1.0), "lr"),
        (dict(test_size=1.0), "test_size"),
        (dict(n_mc=1), "n_mc"),
        (dict(divergence="approx"), "divergence"),
        (dict(dtype=torch.int32), "dtype"),
    ],
)
def test_bad_options_are_named(gaussian_1d, option, message):
    _, x, y = gaussian_1d
    with pytest.raises(ValueError, match=message):
        FMMI(**option).fit_estimate(x, y)


def test_estimate_before_fit_and_wrong_dimensions(gaussian_1d):
    _, x, y = gaussian_1d
    with pytest.raises(RuntimeError, match="not fitted"):
        FMMI().estimate(x, y)
    estimator = FMMI(random_state=0, **dict(FAST, steps=5)).fit(x, y)
    with pytest.raises(ValueError, match="dim_x=1"):
        estimator.estimate(np.hstack([x, x]), y)


def test_params_and_repr():
    estimator = FMMI(steps=10, path="linear")
    assert estimator.get_params()["steps"] == 10
    assert repr(estimator) == "FMMI(path='linear', steps=10)"
    assert fmmi.__version__


@pytest.mark.slow
def test_seed_configuration_is_accurate():
    """The demo's configuration: within 0.02 nats of 0.8304 (one seed)."""
    dist = fmmi.distributions.CorrelatedGaussian.from_mi(0.8304)
    x, y = dist.sample(30_000, random_state=0)
    result = estimate_mi(x, y, random_state=0)
    assert result.value == pytest.approx(0.8304, abs=0.02)
