import warnings

import numpy as np
import pytest
import torch

import fmmi
from fmmi.sample_check import same_sample_share

from .conftest import FAST


@pytest.fixture(scope="module")
def square():
    """y depends on |x| only: no correlation, so the Gaussian base alone carries none of the dependence."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 1))
    return x, x**2 + 0.3 * rng.normal(size=(2000, 1))


def test_the_statistic_is_a_half_for_alike_samples_and_more_for_others():
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(1000, 2, generator=generator), torch.randn(1000, 2, generator=generator)
    assert same_sample_share(a, b) == pytest.approx(0.5, abs=0.02)
    assert same_sample_share(a, b + 1.0) > 0.6


def test_a_flow_that_missed_the_dependence_draws_an_underfit_warning(square):
    x, y = square
    with pytest.warns(fmmi.UnderfitWarning, match="samples of the trained flow are told apart") as caught:
        result = fmmi.FMMI(steps=0, random_state=0).fit_estimate(x, y)  # the Gaussian base alone: about 0 nats
    assert result.value < 0.05
    assert {str(w.message) for w in caught} == set(result.warnings)  # the base check also sees it (test_base_check)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fmmi.UnderfitWarning)
        fmmi.FMMI(steps=0, random_state=0, sample_check=False).fit_estimate(x, y)


def test_a_flow_that_learned_the_dependence_or_a_gaussian_is_not_flagged(square):
    x, y = square
    rng = np.random.default_rng(1)
    u = rng.normal(size=(2000, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", fmmi.UnderfitWarning)
        learned = fmmi.FMMI(random_state=0, **FAST).fit_estimate(x, y)
        fmmi.FMMI(steps=0, random_state=0).fit_estimate(u, u[:, :1] + rng.normal(size=(2000, 1)))
    assert learned.value > 0.5 and learned.warnings == ()


def test_the_default_checks_the_samples_of_a_pilot_that_is_its_estimate(square):
    # With the Monte-Carlo interval and no early stopping, the kept pilot (one training of the full
    # length) is the estimate itself: its flow's samples are checked as that fit's would be.
    auto = fmmi.AutoFMMI(steps=1, early_stopping=False, interval="monte_carlo", random_state=0)
    with pytest.warns(fmmi.UnderfitWarning, match="samples of the trained flow are told apart"):
        result = auto.fit_estimate(*square)
    assert result.value == auto.selection_.pilot_results[auto.selection_.chosen].value  # not trained again
    assert any("samples of the trained flow" in note for note in result.warnings)
