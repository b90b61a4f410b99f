import numpy as np
import pytest

from fmmi.distributions import AdditiveUniform


@pytest.mark.parametrize("epsilon", [0.1, 0.5, 0.75, 2.0])
def test_closed_form_matches_a_monte_carlo_of_the_log_density_ratio(epsilon):
    dist = AdditiveUniform(epsilon)
    x, y = dist.sample(200_000, random_state=0)
    assert x.min() >= 0 and x.max() <= 1 and np.all(np.abs(y - x) <= epsilon)
    # p(y|x) = 1/(2ε) on its support; p(y) = |[y-ε, y+ε] ∩ [0, 1]| / (2ε).
    overlap = np.minimum(y + epsilon, 1) - np.maximum(y - epsilon, 0)
    log_ratio = -np.log(overlap)
    estimate, stderr = log_ratio.mean(), log_ratio.std() / np.sqrt(log_ratio.size)
    assert abs(estimate - dist.mutual_information) < 4 * stderr + 1e-3


def test_bad_epsilon():
    with pytest.raises(ValueError, match="positive"):
        AdditiveUniform(0)
