"""Data-parallel runs with torch.distributed: two gloo processes on the CPU."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fmmi.distributions import CorrelatedGaussian

FLAGS = ["--steps", "1500", "--hidden", "64", "--folds", "3", "--seed", "0", "--json", "--no-progress"]
FLAGS += ["--device", "cpu"]


def _run(command, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    x, y = CorrelatedGaussian.from_mi(1.0).sample(3000, random_state=0)
    np.save(folder / "xy.npy", np.hstack([x, y]))
    return folder / "xy.npy"


def test_two_gloo_ranks_agree_with_one_process(data_file, tmp_path):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    out = _run([*torchrun, "-m", "fmmi", "estimate", str(data_file), *FLAGS], tmp_path)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert len(lines) == 1, out  # only rank 0 reports
    parallel = json.loads(lines[0])
    single = json.loads(_run([sys.executable, "-m", "fmmi", "estimate", str(data_file), *FLAGS], tmp_path))
    assert parallel["interval_kind"] == single["interval_kind"] == "crossfit"
    both = np.hypot(parallel["stderr"], single["stderr"])
    assert abs(parallel["value"] - single["value"]) < 3 * both
    assert abs(parallel["value"] - 1.0) < 0.2


def test_no_buffer_sync_names_an_option_of_this_torch():
    import inspect

    import torch

    from fmmi.distributed import no_buffer_sync

    (name, value), *rest = no_buffer_sync().items()
    assert not rest and value is False
    assert name in inspect.signature(torch.nn.parallel.DistributedDataParallel.__init__).parameters
