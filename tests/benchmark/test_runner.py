import json
import math

import pytest
import torch

from fmmi import FMMI, AutoFMMI, select
from fmmi.benchmark import runner
from fmmi.benchmark.report import solved, summarise, write_report
from fmmi.benchmark.runner import load_records, run_benchmark

TASKS = ["seed-gaussian-1v1", "highmi-gaussian-1v1-mi2"]


def test_records_resume_and_report(tmp_path):
    new = run_benchmark(TASKS, ["ksg", "cca"], n=500, seeds=[0, 1], out=tmp_path, progress=False)
    assert len(new) == 8 and all(r["success"] for r in new)
    record = new[0]
    for key in ("task_id", "true_mi", "estimator", "estimator_params", "n", "seed", "estimate", "stderr", "seconds"):
        assert key in record
    # The source commit the process loaded: a 40-digit hash (maybe "+dirty") in a git checkout, else None.
    commit = record["fmmi_commit"]
    assert commit is None or (len(commit.split("+")[0]) == 40 and commit.endswith(("+dirty", commit[:40])))
    # Rerunning the same sweep runs nothing; a new seed runs only its own runs.
    assert run_benchmark(TASKS, ["ksg", "cca"], n=500, seeds=[0, 1], out=tmp_path, progress=False) == []
    assert len(run_benchmark(TASKS, ["ksg"], n=500, seeds=[0, 2], out=tmp_path, progress=False)) == 2
    assert len(load_records(tmp_path)) == 10
    rows = summarise(load_records(tmp_path))
    cca_seed = next(r for r in rows if r["estimator"] == "cca" and r["task_id"] == "seed-gaussian-1v1")
    assert cca_seed["runs"] == 2 and cca_seed["solved"] == 1.0 and cca_seed["mae"] < 0.1
    text = write_report(tmp_path).read_text()
    assert "| seed-gaussian-1v1 | cca | 500 | 0.8304 | 2 (0) |" in text
    # Per estimator: 2 tasks, both solved by CCA on Gaussians; task by task, one column per estimator.
    assert "| cca | 500 | 2 | 4 (0) |" in text and "| 2/2 |" in text and text.count(" | cpu |") == 2
    assert "| task | true MI | ksg | cca |" in text
    assert (tmp_path / "estimates.png").exists() and (tmp_path / "highmi_errors.png").exists()


def test_a_failing_run_is_recorded_not_fatal(tmp_path, monkeypatch):
    class Broken:
        def fit_estimate(self, x, y):
            raise RuntimeError("boom")

    monkeypatch.setitem(runner.ESTIMATORS, "broken", lambda seed, device: Broken())
    new = run_benchmark(TASKS, ["broken", "cca"], n=300, seeds=[0], out=tmp_path, progress=False)
    failed = [r for r in new if not r["success"]]
    assert len(failed) == 2 and failed[0]["error"] == "RuntimeError: boom"
    assert sum(r["success"] for r in new) == 2
    broken_rows = [r for r in summarise(load_records(tmp_path)) if r["estimator"] == "broken"]
    assert len(broken_rows) == 2 and all(r["failed"] == r["runs"] == 1 for r in broken_rows)


def test_parallel_workers_and_a_killed_line(tmp_path):
    new = run_benchmark(TASKS, ["ksg", "cca"], n=400, seeds=[0], out=tmp_path, jobs=2, progress=False)
    assert len(new) == 4 and all(r["success"] for r in new)
    with open(tmp_path / "runs.jsonl", "a") as handle:
        handle.write('{"task_id": "half a line')  # what a kill mid-write leaves
    assert len(load_records(tmp_path)) == 4
    assert json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[0])["n"] == 400
    # The next record starts on a fresh line instead of being glued to the broken one.
    assert len(run_benchmark(TASKS, ["ksg"], n=400, seeds=[1], out=tmp_path, progress=False)) == 2
    assert len(load_records(tmp_path)) == 6


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown estimators"):
        run_benchmark(TASKS, ["mine2"], n=100, seeds=[0], out=tmp_path)
    with pytest.raises(ValueError, match="no task"):
        run_benchmark(["nope"], ["ksg"], n=100, seeds=[0], out=tmp_path)
    with pytest.raises(ValueError, match="not a valid torch device"):
        run_benchmark(TASKS, ["ksg"], n=100, seeds=[0], out=tmp_path, device="gpu please")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            run_benchmark(TASKS, ["ksg"], n=100, seeds=[0], out=tmp_path, device="cuda")
    assert load_records(tmp_path) == []  # refused before any run


def test_the_device_reaches_the_estimators(tmp_path, monkeypatch):
    asked = []

    def spy(seed, device):
        asked.append(device)
        return runner.ESTIMATORS["cca"](seed, device)

    monkeypatch.setitem(runner.ESTIMATORS, "spy", spy)
    new = run_benchmark(TASKS[:1], ["spy"], n=300, seeds=[0, 1], out=tmp_path, device="cpu", progress=False)
    assert asked == ["cpu", "cpu"] and [r["device"] for r in new] == ["cpu", "cpu"]
    # A net-training estimator records the device it resolved ("auto" becomes a real one).
    tiny = dict(steps=5, hidden=8, n_time=2, interval="monte_carlo")
    monkeypatch.setitem(runner.ESTIMATORS, "tiny", lambda seed, device: FMMI(random_state=seed, device=device, **tiny))
    record = runner.run_one(TASKS[0], "tiny", 300, 0, device="auto")
    resolved = "cuda" if torch.cuda.is_available() else "cpu"
    assert record["success"] and record["device"] == resolved
    # So do the default (pilots, then folds) and the full selection, which hold no single FMMI.
    small = dict(steps=5, hidden=8, n_time=2, n_folds=2)
    made = [
        runner.AutoFMMI(random_state=0, device="auto", **small),
        runner._FullSelection(random_state=0, device="auto", options=small),
    ]
    for name, estimator in zip(("auto-tiny", "select-tiny"), made):
        monkeypatch.setitem(runner.ESTIMATORS, name, lambda seed, device, made_one=estimator: made_one)
        assert runner.run_one(TASKS[0], name, 300, 0, device="auto")["device"] == resolved
    assert [str(estimator.device_) for estimator in made] == [resolved, resolved]


def test_selection_records_every_candidate(tmp_path, monkeypatch):
    assert "fmmi-select" in runner.ESTIMATORS
    tiny = dict(steps=5, hidden=8, n_time=2, n_folds=2)
    monkeypatch.setitem(
        runner.ESTIMATORS,
        "select-tiny",
        lambda seed, device: runner._FullSelection(random_state=seed, device=device, options=tiny),
    )
    record = runner.run_one(TASKS[0], "select-tiny", 300, 0, device="cpu")
    # One column on each side: the default's three candidates (`fmmi.config.net_candidates`).
    assert record["success"] and record["chosen"] in (0, 1, 2)
    assert len(record["candidate_estimates"]) == 3 and record["loss_gaps"][0] == 0
    assert record["estimate"] == record["candidate_estimates"][record["chosen"]]
    assert record["estimator_params"]["steps"] == 5
    assert record["mixed_precision_used"] in (True, False)


def test_selection_on_pilots_records_only_the_kept_candidates_fit(monkeypatch):
    assert runner.ESTIMATORS["fmmi-select-pilot"](0, "cpu").select is True
    tiny = dict(steps=5, hidden=8, n_time=2, n_folds=2)
    monkeypatch.setitem(
        runner.ESTIMATORS, "pilot-tiny", lambda seed, device: runner._auto(seed, device, pilot_steps=3, **tiny)
    )
    record = runner.run_one(TASKS[0], "pilot-tiny", 300, 0, device="cpu")
    assert record["success"] and record["estimator_params"]["pilot_steps"] == 3
    estimates = record["candidate_estimates"]
    assert estimates[record["chosen"]] == record["estimate"]
    assert [e is None for e in estimates] == [i != record["chosen"] for i in range(len(estimates))]
    assert record["interval_kind"] == "crossfit"


def test_selection_on_single_trainings_is_recorded_with_its_interval(monkeypatch):
    assert runner.ESTIMATORS["fmmi-select-mc"](0, "cpu").options == {"interval": "monte_carlo"}
    tiny = dict(steps=5, hidden=8, n_time=2, interval="monte_carlo")
    monkeypatch.setitem(
        runner.ESTIMATORS,
        "mc-tiny",
        lambda seed, device: runner._FullSelection(random_state=seed, device=device, options=tiny),
    )
    record = runner.run_one(TASKS[0], "mc-tiny", 300, 0, device="cpu")
    assert record["success"] and record["interval_kind"] == "monte_carlo"
    assert record["warnings"] == []  # the kept fit's own check found nothing
    assert record["estimator_params"]["interval"] == "monte_carlo" and record["estimator_params"]["steps"] == 5
    assert None not in record["candidate_estimates"]  # both candidates fitted, one training each


def test_the_default_records_its_choice_up_to_the_column_limit(monkeypatch):
    from fmmi.estimators import auto as module

    assert isinstance(runner.ESTIMATORS["fmmi-default"](0, "cpu"), AutoFMMI)
    tiny = dict(steps=5, hidden=8, n_time=2, n_folds=2)
    monkeypatch.setitem(runner.ESTIMATORS, "default-tiny", lambda seed, device: runner._auto(seed, device, **tiny))
    record = runner.run_one(TASKS[0], "default-tiny", 300, 0, device="cpu")
    assert record["success"] and record["estimator_params"]["steps"] == 5
    assert record["estimator_params"]["select_max_columns"] == module.SELECT_MAX_COLUMNS
    assert record["chosen"] in (0, 1) and record["interval_kind"] == "crossfit"
    monkeypatch.setattr(module, "SELECT_MAX_COLUMNS", 1)  # two columns: the tanh net alone, after one pilot of it
    record = runner.run_one(TASKS[0], "default-tiny", 300, 0, device="cpu")
    assert record["success"] and record["chosen"] == 0 and len(record["candidate_estimates"]) == 1
    x, y = runner.get_task(TASKS[0]).sample(300, 0)
    alone = select(x, y, [{}], pilot_steps=5, random_state=0, device="cpu", **tiny).result
    assert record["estimate"] == alone.value


def test_report_pools_several_sweeps(tmp_path):
    run_benchmark(TASKS, ["ksg"], n=300, seeds=[0], out=tmp_path / "a", progress=False)
    run_benchmark(TASKS, ["cca"], n=300, seeds=[0], out=tmp_path / "b", progress=False)
    text = write_report([tmp_path / "a", tmp_path / "b"], out=tmp_path / "both", plot=False).read_text()
    assert "| task | true MI | ksg | cca |" in text
    with pytest.raises(ValueError, match="give out"):
        write_report([tmp_path / "a", tmp_path / "b"])


def test_report_counts_intervals_containing_the_truth(tmp_path):
    def record(seed, estimate, interval, kind="crossfit", success=True):
        return {
            "task_id": "seed-gaussian-1v1",
            "true_mi": 1.0,
            "estimator": "fmmi",
            "n": 100,
            "seed": seed,
            "estimate": estimate,
            "interval": interval,
            "interval_kind": kind,
            "success": success,
            "seconds": 1.0,
        }

    records = [
        record(0, 0.98, [0.9, 1.1]),
        record(1, 0.7, [0.6, 0.8]),
        record(2, 1.0, [1.0, 1.2], kind="monte_carlo"),  # the truth on the edge counts as inside
        record(3, None, None, success=False),
    ]
    (row,) = summarise(records)
    assert (row["covered"], row["with_interval"], row["interval_kinds"]) == (2, 3, ["crossfit", "monte_carlo"])
    with open(tmp_path / runner.RECORDS, "w") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    text = write_report(tmp_path, plot=False).read_text()
    assert "| fmmi | 100 | 1 | 4 (1) | 0.107 | 1/1 | 2/3 (crossfit, monte_carlo) | 1.0 |" in text
    # An interval open above (the base check's) covers, and the report says how many were.
    records[1] = record(1, 0.7, [0.6, math.inf])
    with open(tmp_path / runner.RECORDS, "w") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    (row,) = summarise(load_records(tmp_path))
    assert (row["covered"], row["open_above"]) == (3, 1)
    text = write_report(tmp_path, plot=False).read_text()
    assert "| 3/3, 1 open above (crossfit, monte_carlo) |" in text


def test_report_per_seed_and_per_mi_level(tmp_path):
    def record(task_id, truth, seed, estimate, interval=None):
        return dict(
            task_id=task_id, true_mi=truth, estimator="fmmi", n=100, seed=seed, estimate=estimate,
            interval=interval, interval_kind="crossfit", success=estimate is not None, seconds=2.0,
        )  # fmt: skip

    records = [
        record("highmi-gaussian-1v1-mi2", 2.0, 0, 2.1, [1.9, 2.2]),
        record("highmi-gaussian-2v2-mi2", 2.00000001, 0, 1.7, [1.6, 1.8]),  # same level, a float apart
        record("highmi-gaussian-1v1-mi2", 2.0, 1, 2.3),
        record("highmi-gaussian-2v2-mi2", 2.00000001, 1, None),  # failed
        record("highmi-gaussian-1v1-mi0", 0.0, 0, 0.05),
        record("highmi-gaussian-1v1-mi0", 0.0, 10, 0.0),  # seed 10 is listed after seed 1
    ]
    with open(tmp_path / runner.RECORDS, "w") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    text = write_report(tmp_path, plot=False).read_text()
    # Seed 0: errors 0.1, 0.3, 0.05 (MAE 0.15), both MI = 2 tasks solved, one of two intervals covers.
    assert "| fmmi | 100 | 0 | 3 | 0 | 0.150 | 2/2 | 1/2 | 2.0 |" in text
    # Seed 1: one run failed, the other 0.3 off; no interval.
    assert "| fmmi | 100 | 1 | 2 | 1 | 0.300 | 1/1 | 0/0 | 2.0 |" in text
    seed_10 = "| fmmi | 100 | 10 | 1 | 0 | 0.000 | 0/0 | 0/0 | 2.0 |"
    assert text.index("| fmmi | 100 | 1 | 2 |") < text.index(seed_10)
    # MI levels pooled over tasks and seeds: 0 -> mean(0.05, 0); 2 -> mean(0.1, 0.3, 0.3).
    assert "| estimator | n | 0 | 2 | runs | s per run |" in text
    assert "| fmmi | 100 | 0.025 | 0.233 | 5 | 2.0 |" in text


def test_solved_is_bmis_ratio_rule():
    assert solved(1.49, 1.0) and solved(1 / 1.49, 1.0)
    assert solved(1.51, 1.0) is False and solved(1 / 1.51, 1.0) is False
    assert solved(-0.1, 0.5) is False and solved(0.0, 0.5) is False
    assert solved(0.01, 0.0) is None  # no ratio at zero MI


def test_a_wild_estimate_does_not_set_the_plots_scale(tmp_path):
    pytest.importorskip("matplotlib")
    from fmmi.benchmark.report import plot_limits

    low, high = plot_limits([0.2, 0.5, 1.7])
    assert -0.3 < low < 0.2 and 1.7 < high < 2.5  # the truth's range with a margin
    assert plot_limits([1.0, 1.0])[0] < 1.0 < plot_limits([1.0, 1.0])[1]  # never an empty range
    records = []
    for task, truth in (("a", 0.2), ("b", 1.7)):
        for estimator, estimate in (("fmmi", truth), ("nwj", -4.6e12 if task == "a" else truth)):
            records.append(
                dict(task_id=task, true_mi=truth, estimator=estimator, n=100, seed=0, estimate=estimate,
                     interval=None, success=True, seconds=1.0)
            )  # fmt: skip
    with open(tmp_path / "runs.jsonl", "w") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    write_report(tmp_path)
    assert (tmp_path / "estimates.png").stat().st_size > 10_000
