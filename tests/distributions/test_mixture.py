import math

import numpy as np
import pytest

from fmmi.benchmark import get_task, list_tasks
from fmmi.distributions import CorrelatedGaussian, GaussianMixture


def test_one_component_is_the_gaussian_closed_form():
    gaussian = CorrelatedGaussian.paired(3, 1.0)
    mixture = GaussianMixture([1.0], [np.zeros(6)], gaussian.cov, dim_x=3)
    assert abs(mixture.mutual_information - 1.0) < 3 * mixture.mutual_information_stderr
    assert 0 < mixture.mutual_information_stderr < 0.01


def test_well_separated_clusters_carry_the_log_of_their_count():
    means = [[-6.0, -6.0], [0.0, 0.0], [6.0, 6.0]]
    mixture = GaussianMixture(np.ones(3), means, np.eye(2) * 0.25, dim_x=1)
    assert mixture.mutual_information == pytest.approx(math.log(3), abs=1e-3)


def test_opposite_correlations_hide_the_dependence_from_a_gaussian_fit():
    # BMI's "X": two components with correlation +0.9 and -0.9; zero correlation overall.
    covariances = [[[1.0, s * 0.9], [s * 0.9, 1.0]] for s in (1, -1)]
    mixture = GaussianMixture([0.5, 0.5], np.zeros((2, 2)), covariances, dim_x=1)
    x, y = mixture.sample(20_000, random_state=0)
    assert abs(np.corrcoef(x[:, 0], y[:, 0])[0, 1]) < 0.03
    # Bounded by the components' own MI, and above it by at most the label's log 2.
    gaussian = -0.5 * math.log(1 - 0.81)
    assert gaussian - math.log(2) < mixture.mutual_information < gaussian
    assert mixture.mutual_information == pytest.approx(0.409, abs=0.01)


def test_the_pointwise_mi_is_invariant_under_maps_of_each_variable():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(3, 4))
    mixture = GaussianMixture(np.ones(3), means, np.eye(4), dim_x=2)
    turn = np.zeros((4, 4))
    turn[:2, :2] = np.linalg.qr(rng.normal(size=(2, 2)))[0]
    turn[2:, 2:] = np.array([[2.0, 0.5], [0.0, 1.0]])  # any invertible linear map of Y
    moved = GaussianMixture(np.ones(3), means @ turn.T, turn @ np.eye(4) @ turn.T, dim_x=2)
    x, y = mixture.sample(500, random_state=1)
    xy = np.hstack([x, y]) @ turn.T
    assert np.allclose(mixture.pointwise_mi(x, y), moved.pointwise_mi(xy[:, :2], xy[:, 2:]))


def test_samples_are_repeatable_and_shaped():
    mixture = GaussianMixture([1, 3], [[0, 0, 0], [1, 1, 1]], np.eye(3), dim_x=2)
    x, y = mixture.sample(100, random_state=5)
    again, _ = mixture.sample(100, random_state=5)
    assert x.shape == (100, 2) and y.shape == (100, 1) and np.array_equal(x, again)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, -1], [[0, 0], [1, 1]], np.eye(2), 1), "positive"),
        (([1], [[0, 0]], np.eye(3), 1), "covariances must have shape"),
        (([1], [[0, 0]], np.eye(2), 2), "dim_x"),
        (([1], [[0, 0]], [[1.0, 2.0], [2.0, 1.0]], 1), "positive definite"),
    ],
)
def test_bad_mixtures_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(*args)


def test_the_mixtures_suite_spans_dimensions_and_levels():
    tasks = [get_task(t) for t in list_tasks("mixtures")]
    assert {t.dim_x for t in tasks} == {1, 5, 25, 50} and all(t.dim_x == t.dim_y for t in tasks)
    small = [t for t in tasks if t.dim_x <= 5]  # the true MI of the wide ones takes seconds each
    for task in small:
        assert 0.2 < task.mutual_information < 8.5 and task.mutual_information_stderr < 0.005
        x, y = task.sample(50, seed=0)
        assert x.shape == (50, task.dim_x) and y.shape == (50, task.dim_y)
    assert get_task("mixtures-sign-1v1").mutual_information_stderr > 0  # a Monte-Carlo truth says so


# BMI v2's published true MI of its new tasks (Monte Carlo, 100,000 samples, in the bmi package).
BMI_V2_PUBLISHED = {
    "1v1-X-0.9": 0.409,
    "1v1-AI": 0.778,
    "2v1-waves-12-5.0-3.0": 1.308,
    "2v1-galaxy-0.5-3.0": 0.493,
    "3v1-concentric_gaussians-5": 0.456,
    "5v1-concentric_gaussians-10": 0.749,
    "mult-sparse-w-inliers-5-5-2-2.0-0.2": 0.633,
}


def test_bmi_v2_has_its_26_tasks_with_the_published_truths():
    ids = list_tasks("bmi-v2")
    assert len(ids) == len(set(ids)) == 26
    assert set(list_tasks("bmi")) & set(ids) == set(ids[:13])  # the 13 kept v1 tasks, under their v1 ids
    for task_id, published in BMI_V2_PUBLISHED.items():
        task = get_task(task_id)
        # Both truths are Monte-Carlo means (bmi's of 100,000 samples): within their combined error.
        assert abs(task.mutual_information - published) < 0.01, task_id
        x, y = task.sample(20, seed=0)
        assert (x.shape[1], y.shape[1]) == (task.dim_x, task.dim_y)


def test_the_waves_map_is_a_bijection():
    from fmmi.distributions import waves

    a = np.random.default_rng(0).normal(size=(100, 2)) * 3
    assert np.allclose(waves().inverse(waves()(a)), a)
