import math

import pytest

from fmmi.benchmark import get_task, list_tasks


def test_suites_and_ids():
    assert list_tasks("seed") == ["seed-gaussian-1v1"]
    assert len(list_tasks("highmi")) == 18 and len(list_tasks("highdim")) == 6
    assert len(set(list_tasks())) == len(list_tasks()) == 25
    with pytest.raises(ValueError, match="suite must be one of"):
        list_tasks("bmi2")
    with pytest.raises(ValueError, match="no task"):
        get_task("nonsense")


@pytest.mark.parametrize("task_id", list_tasks())
def test_ground_truth_matches_the_task_parameters(task_id):
    task = get_task(task_id)
    assert task.mutual_information == pytest.approx(task.params["mi"], abs=1e-6)
    x, y = task.sample(50, seed=0)
    assert x.shape == (50, task.dim_x) and y.shape == (50, task.dim_y)


def test_highdim_headline_case():
    task = get_task("highdim-gaussian-160v160-mi80")
    assert task.dim_x == task.dim_y == 160 and math.isclose(task.mutual_information, 80.0)
