import math

import numpy as np
import pytest

from fmmi.benchmark import get_task, list_tasks

# BMI v1's published ground truths (nats, 4 decimals), by task id.
BMI_PUBLISHED = {
    "1v1-normal-0.75": 0.4133,
    "normal_cdf-1v1-normal-0.75": 0.4133,
    "1v1-bimodal-0.75": 0.4133,
    "wiggly-1v1-normal-0.75": 0.4133,
    "half_cube-1v1-normal-0.75": 0.4133,
    "swissroll_x-normal_cdf-1v1-normal-0.75": 0.4133,
    "1v1-additive-0.1": 1.7094,
    "1v1-additive-0.75": 0.3333,
    "student-identity-1-1-1": 0.2242,
    "asinh-student-identity-1-1-1": 0.2242,
    "multinormal-dense-2-2-0.5": 0.2939,
    "multinormal-dense-3-3-0.5": 0.4133,
    "multinormal-dense-5-5-0.5": 0.5928,
    "multinormal-dense-25-25-0.5": 1.2922,
    "multinormal-dense-50-50-0.5": 1.6243,
    **{f"multinormal-sparse-{d}-{d}-2-2.0": 1.0217 for d in (2, 3, 5, 25)},
    "student-identity-2-2-1": 0.4319,
    "student-identity-2-2-2": 0.1931,
    "student-identity-3-3-2": 0.2909,
    "student-identity-3-3-3": 0.1787,
    "student-identity-5-5-2": 0.4482,
    "student-identity-5-5-3": 0.2985,
    **{
        f"{t}-multinormal-sparse-{d}-{d}-2-2.0": 1.0217
        for d in (3, 5, 25)
        for t in ("normal_cdf", "half_cube", "spiral", "spiral-normal_cdf")
    },
    "asinh-student-identity-2-2-1": 0.4319,
    "asinh-student-identity-3-3-2": 0.2909,
    "asinh-student-identity-5-5-2": 0.4482,
}


def test_suites_and_ids():
    assert list_tasks("seed") == ["seed-gaussian-1v1"]
    assert len(list_tasks("highmi")) == 18 and len(list_tasks("highdim")) == 6
    assert len(BMI_PUBLISHED) == 40 and sorted(list_tasks("bmi")) == sorted(BMI_PUBLISHED)
    assert len(list_tasks("mixtures")) == 24
    assert len(set(list_tasks())) == len(list_tasks()) == 102  # BMI v2 adds 13 tasks and reuses 13 of v1's
    with pytest.raises(ValueError, match="suite must be one of"):
        list_tasks("bmi3")
    with pytest.raises(ValueError, match="no task"):
        get_task("nonsense")


@pytest.mark.parametrize("task_id", list_tasks("seed") + list_tasks("highmi") + list_tasks("highdim"))
def test_ground_truth_matches_the_task_parameters(task_id):
    task = get_task(task_id)
    assert task.mutual_information == pytest.approx(task.params["mi"], abs=1e-6)
    x, y = task.sample(50, seed=0)
    assert x.shape == (50, task.dim_x) and y.shape == (50, task.dim_y)


@pytest.mark.parametrize("task_id", sorted(BMI_PUBLISHED))
def test_bmi_ground_truths_equal_the_published_values(task_id):
    task = get_task(task_id)
    assert round(task.mutual_information, 4) == BMI_PUBLISHED[task_id]
    x, y = task.sample(50, seed=0)
    assert x.shape == (50, task.dim_x) and y.shape == (50, task.dim_y)
    assert np.isfinite(x).all() and np.isfinite(y).all()
    again = task.sample(50, seed=0)
    np.testing.assert_array_equal(again[0], x)


def test_bmi_task_shapes():
    assert (
        get_task("swissroll_x-normal_cdf-1v1-normal-0.75").dim_x,
        get_task("multinormal-dense-50-50-0.5").dim_y,
    ) == (
        2,
        50,
    )


def test_highdim_headline_case():
    task = get_task("highdim-gaussian-160v160-mi80")
    assert task.dim_x == task.dim_y == 160 and math.isclose(task.mutual_information, 80.0)


@pytest.mark.parametrize("d", [3, 5, 25])
def test_spiral_tasks_turn_the_planes_bmi_turns(d):
    # BMI's spiral tasks rotate X in its coordinates (0, 1) and Y in (1, 2).
    x0, y0 = get_task(f"multinormal-sparse-{d}-{d}-2-2.0").distribution.sample(200, random_state=3)
    x, y = get_task(f"spiral-multinormal-sparse-{d}-{d}-2-2.0").distribution.sample(200, random_state=3)
    np.testing.assert_array_equal(x[:, 2:], x0[:, 2:])
    np.testing.assert_array_equal(y[:, 0], y0[:, 0])
    np.testing.assert_array_equal(y[:, 3:], y0[:, 3:])
    assert not np.allclose(x[:, :2], x0[:, :2]) and not np.allclose(y[:, 1:3], y0[:, 1:3])
