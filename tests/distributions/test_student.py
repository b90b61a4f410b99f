import numpy as np
import pytest
from scipy import stats

from fmmi.distributions import SplitStudentT, student_t_mi_correction

# BMI v1's published ground truths for Student-t with identity dispersion.
PUBLISHED = {
    (1, 1): 0.2242,
    (2, 1): 0.4319,
    (2, 2): 0.1931,
    (3, 2): 0.2909,
    (3, 3): 0.1787,
    (5, 2): 0.4482,
    (5, 3): 0.2985,
}


@pytest.mark.parametrize(("dim", "nu"), sorted(PUBLISHED))
def test_closed_form_matches_published_values(dim, nu):
    dist = SplitStudentT(np.eye(2 * dim), dim_x=dim, nu=nu)
    assert dist.mutual_information == pytest.approx(PUBLISHED[dim, nu], abs=5e-5)


def test_monte_carlo_check_of_the_closed_form():
    dispersion = np.array([[1.0, 0.6], [0.6, 1.0]])
    dist = SplitStudentT(dispersion, dim_x=1, nu=3)
    x, y = dist.sample(200_000, random_state=0)
    joint = stats.multivariate_t(loc=[0, 0], shape=dispersion, df=3).logpdf(np.hstack([x, y]))
    marginal = stats.t(df=3).logpdf
    pointwise = joint - marginal(x[:, 0]) - marginal(y[:, 0])
    stderr = pointwise.std() / np.sqrt(pointwise.size)
    assert abs(pointwise.mean() - dist.mutual_information) < 4 * stderr


def test_correction_vanishes_as_tails_become_gaussian():
    assert student_t_mi_correction(1e6, 2, 3) == pytest.approx(0.0, abs=1e-5)


def test_sampling_is_repeatable_and_heavy_tailed():
    dist = SplitStudentT(np.eye(2), dim_x=1, nu=1)
    x, _ = dist.sample(10_000, random_state=1)
    np.testing.assert_array_equal(x, dist.sample(10_000, random_state=1)[0])
    assert np.abs(x).max() > 100  # Cauchy tails
    with pytest.raises(ValueError, match="nu"):
        SplitStudentT(np.eye(2), dim_x=1, nu=0)
