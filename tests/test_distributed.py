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


EXCHANGE_SCRIPT = """
import json
import torch
import torch.distributed as dist
from fmmi import distributed

dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(0)
net = torch.nn.Linear(300, 40)
ddp = torch.nn.parallel.DistributedDataParallel(net)
ddp.register_comm_hook(None, distributed.bfloat16_exchange)
inputs = torch.randn(2, 64, 300, generator=torch.Generator().manual_seed(1))
ddp(inputs[rank]).square().mean().backward()
averaged = torch.cat([p.grad.reshape(-1) for p in net.parameters()])
# The exact average, from each rank's own gradient on a plain copy of the net.
exact = []
for r in range(2):
    copy = torch.nn.Linear(300, 40)
    copy.load_state_dict(net.state_dict())
    copy(inputs[r]).square().mean().backward()
    exact.append(torch.cat([p.grad.reshape(-1) for p in copy.parameters()]))
scale = (exact[0].abs() + exact[1].abs()) / 2  # rounding errors scale with the halves, not their sum
exact = (exact[0] + exact[1]) / 2
error = ((averaged - exact).abs() / scale.clamp_min(1e-30)).max().item()
if rank == 0:
    changed = bool((averaged != exact).any())
    print(json.dumps({"dtype": str(averaged.dtype), "max_relative_error": error, "changed": changed}))
dist.destroy_process_group()
"""


def test_bfloat16_exchange_averages_gradients_across_gloo_ranks(tmp_path):
    script = tmp_path / "exchange.py"
    script.write_text(EXCHANGE_SCRIPT)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    out = json.loads(_run([*torchrun, str(script)], tmp_path).strip().splitlines()[-1])
    assert out["dtype"] == "torch.float32"  # written back into the float32 gradients
    # bfloat16 keeps 8 significant bits: two roundings of the halves and one of their sum.
    assert out["max_relative_error"] < 3 * 2.0**-8
    assert out["changed"]  # the exchange did round (it is not a float32 all-reduce)
