"""Sweeps on a Dask distributed cluster (a LocalCluster with 2 worker processes)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fmmi.benchmark.runner import load_records, run_benchmark

distributed = pytest.importorskip("distributed")

TASKS = ["seed-gaussian-1v1", "highmi-gaussian-1v1-mi2", "highmi-gaussian-2v2-mi4"]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local.scheduler_address


def test_a_sweep_runs_on_the_cluster(cluster, tmp_path):
    new = run_benchmark(TASKS, ["ksg", "cca"], n=500, seeds=[0, 1], out=tmp_path, dask=cluster, progress=False)
    assert len(new) == 12 and all(r["success"] for r in new)
    assert run_benchmark(TASKS, ["ksg", "cca"], n=500, seeds=[0, 1], out=tmp_path, dask=cluster, progress=False) == []


def test_a_killed_sweep_resumes_without_lost_or_duplicated_records(cluster, tmp_path):
    seeds = ",".join(str(s) for s in range(8))
    command = [sys.executable, "-m", "fmmi", "bench", "--tasks", ",".join(TASKS), "--estimators", "ksg,cca"]
    command += ["--n", "3000", "--seeds", seeds, "--out", str(tmp_path), "--dask", cluster, "--no-progress"]
    sweep = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    records = tmp_path / "runs.jsonl"
    deadline = time.monotonic() + 120
    while not (records.exists() and records.read_text().count("\n") >= 2):
        assert sweep.poll() is None, sweep.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    before = len(load_records(tmp_path))
    assert 2 <= before < 48
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    keys = [(r["task_id"], r["estimator"], r["seed"]) for r in load_records(tmp_path)]
    assert len(keys) == len(set(keys)) == 48  # 3 tasks x 2 estimators x 8 seeds, each once
    assert all(json.loads(line) for line in records.read_text().splitlines() if line.strip())
    assert os.path.getsize(records) > 0
