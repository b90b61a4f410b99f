"""Data-parallel runs with torch.distributed: two gloo processes on the CPU."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from fmmi.distributions import CorrelatedGaussian

FLAGS = ["--steps", "1500", "--hidden", "64", "--folds", "3", "--seed", "0", "--json", "--no-progress"]
FLAGS += ["--device", "cpu"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]


def _run(command, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    if done.returncode != 0 and "Signal 6 (SIGABRT)" in done.stderr:
        # A gloo rank aborting in its C++ threads (a class of PyTorch flakes): seen once, rank 1 of the
        # "auto" run on a clean-clone CI run (2026-12-01), not reproduced in 9 reruns of that command.
        # Run once more; any other failure, or a second abort, fails the test.
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    x, y = CorrelatedGaussian.from_mi(1.0).sample(3000, random_state=0)
    np.save(folder / "xy.npy", np.hstack([x, y]))
    return folder / "xy.npy"


@pytest.fixture(scope="module")
def single(data_file, tmp_path_factory):
    out = _run([sys.executable, "-m", "fmmi", "estimate", str(data_file), *FLAGS], tmp_path_factory.mktemp("one"))
    return json.loads(out)


# Three folds over two gloo ranks: "auto" deals the folds out (rank 0 takes two, rank 1 one);
# "rows" trains every net with DDP over both ranks.
@pytest.mark.parametrize("parallel", ["auto", "rows"])
def test_two_gloo_ranks_agree_with_one_process(data_file, single, tmp_path, parallel):
    out = _run([*TORCHRUN, "-m", "fmmi", "estimate", str(data_file), *FLAGS, "--parallel", parallel], tmp_path)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert len(lines) == 1, out  # only rank 0 reports
    parallel_result = json.loads(lines[0])
    assert parallel_result["interval_kind"] == single["interval_kind"] == "crossfit"
    assert len(parallel_result["fold_values"]) == 3  # every rank ends with every fold's estimate
    assert parallel_result["n_mc"] == single["n_mc"]
    both = np.hypot(parallel_result["stderr"], single["stderr"])
    assert abs(parallel_result["value"] - single["value"]) < 3 * both
    assert abs(parallel_result["value"] - 1.0) < 0.2
    if parallel == "auto":  # each fold had its own random stream: the folds differ
        assert len(set(parallel_result["fold_values"])) == 3


def test_deal_folds_rule():
    from fmmi.distributed import deal_folds

    assert not deal_folds(5, "auto", ranks=1, backend="gloo")
    assert deal_folds(5, "auto", ranks=2, backend="gloo")  # CPUs: 3 + 2 folds beat DDP
    assert not deal_folds(5, "auto", ranks=2, backend="nccl")  # GPUs: 3 + 2 folds lose to DDP's 2.5 + 2.5
    assert deal_folds(4, "auto", ranks=2, backend="nccl")
    assert not deal_folds(1, "auto", ranks=2, backend="gloo")  # one split (monte_carlo): DDP
    assert not deal_folds(5, "rows", ranks=2, backend="gloo")
    assert deal_folds(5, "folds", ranks=2, backend="nccl")
    with pytest.raises(ValueError, match="at least as many splits as ranks"):
        deal_folds(1, "folds", ranks=2, backend="gloo")
    with pytest.raises(ValueError, match="parallel must be one of"):
        deal_folds(5, "threads", ranks=2, backend="gloo")


def test_share_arrays_in_one_process():
    from fmmi.distributed import share_arrays

    parts = {0: np.arange(3.0), 1: np.array([7.0])}
    shared = share_arrays(parts, 2)
    assert [list(a) for a in shared] == [[0.0, 1.0, 2.0], [7.0]]


def test_no_buffer_sync_names_an_option_of_this_torch():
    import inspect

    import torch

    from fmmi.distributed import no_buffer_sync

    (name, value), *rest = no_buffer_sync().items()
    assert not rest and value is False
    assert name in inspect.signature(torch.nn.parallel.DistributedDataParallel.__init__).parameters


DEALT_SCRIPT = """
import json
import pathlib
import fmmi
from fmmi import distributed
from fmmi.distributions import CorrelatedGaussian

distributed.init_from_environment("cpu")
x, y = CorrelatedGaussian.paired(2, 1.0).sample(1500, random_state=0)
est = fmmi.FMMI(steps=200, hidden=32, n_folds=3, parallel="folds", random_state=0, device="cpu")
result = est.fit_estimate(x, y)
again = est.estimate(x[:500], y[:500])  # with this rank's first fold's nets and preprocessing
record = {
    "rank": distributed.rank(),
    "value": result.value,
    "folds": list(result.fold_values),
    "held": [flows is not None for flows in est.fold_flows_],
    "again": again.value,
    "losses": est.held_out_losses_.tolist(),
}
# One file per rank: two ranks printing to one tee'd stdout can interleave their lines.
pathlib.Path(f"rank{distributed.rank()}.json").write_text(json.dumps(record))
distributed.shutdown()
"""


def test_folds_dealt_to_ranks_give_every_rank_the_result(tmp_path):
    script = tmp_path / "dealt.py"
    script.write_text(DEALT_SCRIPT)
    _run([*TORCHRUN, str(script)], tmp_path)
    records = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    by_rank = {r["rank"]: r for r in records}
    assert set(by_rank) == {0, 1}
    assert by_rank[0]["held"] == [True, False, True] and by_rank[1]["held"] == [False, True, False]
    assert by_rank[0]["value"] == by_rank[1]["value"] and by_rank[0]["folds"] == by_rank[1]["folds"]
    # Each rank scored its own folds' held-out rows; both end with every row's loss.
    assert by_rank[0]["losses"] == by_rank[1]["losses"] and len(by_rank[0]["losses"]) == 1500
    assert all(math.isfinite(v) and v > 0 for v in by_rank[0]["losses"])
    for record in by_rank.values():
        assert abs(record["again"] - 1.0) < 0.5  # a sane reading from the rank's own nets
